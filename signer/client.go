package signer

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
)

// ClientConfig says where the signer is and how to reach it.
type ClientConfig struct {
	// Remote is "unix:///path/to.sock" or "https://host:port".
	Remote string
	// TLS is required for https (RootCAs for the signer's certificate and
	// the client certificate); nil over a Unix socket.
	TLS *tls.Config
	// Timeout bounds each call (default 10s).
	Timeout time.Duration
	// MaxConns is the number of keep-alive connections kept open (default 64).
	MaxConns int
}

// Backoff bounds: after a connection failure calls fail fast (503) until the
// next attempt, which waits twice as long after each consecutive failure.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// Client is a custody.Custodian answered by a `coffer signer` process.
// It holds no key material. Calls reuse keep-alive connections; when the
// signer is unreachable they fail with EUNAVAILABLE (a 503 at the API) naming
// the address and the cause, and the client redials with backoff, so it
// recovers by itself once the signer is back.
type Client struct {
	remote  string
	base    string
	hc      *http.Client
	tr      *http.Transport
	timeout time.Duration

	mu       sync.Mutex
	failures int
	retryAt  time.Time
	lastErr  string
}

var _ custody.Custodian = (*Client)(nil)

// NewClient returns a client of the signer at cfg.Remote. It does not
// connect: a signer that is down now is simply unavailable until it is up.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 64
	}
	dialer := &net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		MaxIdleConns: cfg.MaxConns, MaxIdleConnsPerHost: cfg.MaxConns, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second, DisableCompression: true,
	}
	c := &Client{remote: cfg.Remote, timeout: cfg.Timeout, tr: tr}
	switch {
	case strings.HasPrefix(cfg.Remote, "unix://") && len(cfg.Remote) > len("unix://"):
		path := strings.TrimPrefix(cfg.Remote, "unix://")
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", path)
		}
		c.base = "http://signer"
		if cfg.TLS != nil {
			c.base = "https://signer"
			tr.TLSClientConfig = cfg.TLS
		}
	case strings.HasPrefix(cfg.Remote, "https://"):
		u, err := url.Parse(cfg.Remote)
		if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("signer.remote %q: want https://host:port", cfg.Remote)
		}
		if cfg.TLS == nil || len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetClientCertificate == nil {
			return nil, fmt.Errorf("signer.remote %q: mutual TLS needs a client certificate (signer.tls.cert, signer.tls.key)", cfg.Remote)
		}
		tr.DialContext = dialer.DialContext
		tr.TLSClientConfig = cfg.TLS
		c.base = "https://" + u.Host
	default:
		return nil, fmt.Errorf("signer.remote %q: want unix:///path/to.sock or https://host:port", cfg.Remote)
	}
	c.hc = &http.Client{Transport: tr}
	return c, nil
}

// Remote is the address the client talks to.
func (c *Client) Remote() string { return c.remote }

// Close drops the idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Ping checks the signer answers.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.gate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+pathPrefix+opHealth, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	c.ok()
	if resp.StatusCode != http.StatusOK {
		return coffer.Errorf(coffer.EUNAVAILABLE, "signer at %s answered its health check with HTTP %d", c.remote, resp.StatusCode)
	}
	return nil
}

// gate fails fast while the signer is known to be down and the next attempt is not due.
func (c *Client) gate() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures > 0 && time.Now().Before(c.retryAt) {
		return coffer.Errorf(coffer.EUNAVAILABLE, "signer unavailable at %s: %s", c.remote, c.lastErr)
	}
	return nil
}

func (c *Client) ok() {
	c.mu.Lock()
	c.failures, c.lastErr = 0, ""
	c.mu.Unlock()
}

func (c *Client) down(cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures++
	d := minBackoff << min(c.failures-1, 10)
	c.retryAt = time.Now().Add(min(d, maxBackoff))
	c.lastErr = cause
}

// transportError turns a failed round trip into EUNAVAILABLE.
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "signer at %s did not answer in time", c.remote)
		}
		return coffer.WrapError(coffer.EUNAVAILABLE, err, "signing request to %s was cancelled", c.remote)
	}
	cause := rootCause(err)
	c.down(cause)
	return coffer.WrapError(coffer.EUNAVAILABLE, err, "signer unavailable at %s: %s", c.remote, cause)
}

// rootCause is the innermost error's text: "connection refused", "EOF",
// "x509: certificate signed by unknown authority".
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// call performs one operation.
func (c *Client) call(ctx context.Context, op string, p *coffer.Principal, req *request) (*response, error) {
	if err := c.gate(); err != nil {
		return nil, err
	}
	req.Principal = toWirePrincipal(p)
	req.RequestID = coffer.RequestIDFrom(ctx)
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+pathPrefix+op, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	c.ok()
	var res response
	if err := json.Unmarshal(rb, &res); err != nil {
		return nil, coffer.WrapError(coffer.EUNAVAILABLE, err, "signer at %s answered HTTP %d with an unreadable body (is it a coffer signer speaking %s?)", c.remote, resp.StatusCode, Version)
	}
	if res.Error != nil {
		return nil, res.Error.domain()
	}
	if resp.StatusCode != http.StatusOK {
		return nil, coffer.Errorf(coffer.EUNAVAILABLE, "signer at %s answered HTTP %d", c.remote, resp.StatusCode)
	}
	return &res, nil
}

func (c *Client) walletCall(ctx context.Context, op string, p *coffer.Principal, req *request) (*coffer.Wallet, error) {
	res, err := c.call(ctx, op, p, req)
	if err != nil {
		return nil, err
	}
	if res.Wallet == nil {
		return nil, coffer.Errorf(coffer.EINTERNAL, "signer answered %s without a wallet", op)
	}
	return res.Wallet.domain(), nil
}

func (c *Client) sigCall(ctx context.Context, op string, p *coffer.Principal, req *request) ([]byte, error) {
	res, err := c.call(ctx, op, p, req)
	if err != nil {
		return nil, err
	}
	if len(res.Signature) != 65 {
		return nil, coffer.Errorf(coffer.EINTERNAL, "signer answered %s with a %d-byte signature", op, len(res.Signature))
	}
	return res.Signature, nil
}

func (c *Client) txCall(ctx context.Context, op string, p *coffer.Principal, from common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, coffer.Errorf(coffer.EINVALID, "transaction does not encode: %v", err)
	}
	res, err := c.call(ctx, op, p, &request{Address: &from, Tx: raw, ChainID: (*hexutil.Big)(chainID)})
	if err != nil {
		return nil, err
	}
	signed := new(types.Transaction)
	if err := signed.UnmarshalBinary(res.Tx); err != nil {
		return nil, coffer.WrapError(coffer.EINTERNAL, err, "signer answered %s with an undecodable transaction", op)
	}
	// The signer checked the signature; check it signs what was asked for.
	ls := types.LatestSignerForChainID(chainID)
	if sender, err := types.Sender(ls, signed); err != nil || sender != from || ls.Hash(signed) != ls.Hash(tx) {
		return nil, coffer.Errorf(coffer.EINTERNAL, "signer answered %s with a transaction that is not the one asked for", op)
	}
	return signed, nil
}

// Wallet implements custody.Custodian.
func (c *Client) Wallet(ctx context.Context, p *coffer.Principal, addr common.Address) (*coffer.Wallet, error) {
	return c.walletCall(ctx, opWallet, p, &request{Address: &addr})
}

// CreateWallet implements custody.Custodian.
func (c *Client) CreateWallet(ctx context.Context, ownerID, backend, label string) (*coffer.Wallet, error) {
	return c.walletCall(ctx, opCreateWallet, coffer.PrincipalFrom(ctx), &request{OwnerID: ownerID, Backend: backend, Label: label})
}

// UserWallet implements custody.Custodian.
func (c *Client) UserWallet(ctx context.Context, userID string) (*coffer.Wallet, error) {
	return c.walletCall(ctx, opUserWallet, coffer.PrincipalFrom(ctx), &request{UserID: userID})
}

// PlatformWallet implements custody.Custodian.
func (c *Client) PlatformWallet(ctx context.Context) (*coffer.Wallet, error) {
	return c.walletCall(ctx, opPlatformWallet, coffer.PrincipalFrom(ctx), &request{})
}

// SignTx implements custody.Custodian.
func (c *Client) SignTx(ctx context.Context, from common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	return c.txCall(ctx, opSignTx, nil, from, tx, chainID)
}

// SignTransaction implements custody.Custodian.
func (c *Client) SignTransaction(ctx context.Context, p *coffer.Principal, addr common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	return c.txCall(ctx, opSignTransaction, p, addr, tx, chainID)
}

// SignMessage implements custody.Custodian.
func (c *Client) SignMessage(ctx context.Context, p *coffer.Principal, addr common.Address, msg []byte) ([]byte, error) {
	return c.sigCall(ctx, opSignMessage, p, &request{Address: &addr, Message: msg})
}

// SignTypedData implements custody.Custodian.
func (c *Client) SignTypedData(ctx context.Context, p *coffer.Principal, addr common.Address, td apitypes.TypedData) ([]byte, error) {
	raw, err := json.Marshal(td)
	if err != nil {
		return nil, coffer.Errorf(coffer.EINVALID, "typed data does not encode: %v", err)
	}
	return c.sigCall(ctx, opSignTypedData, p, &request{Address: &addr, TypedData: raw})
}

// SignHash implements custody.Custodian.
func (c *Client) SignHash(ctx context.Context, p *coffer.Principal, addr common.Address, digest [32]byte, allowOwners bool) ([]byte, error) {
	d := common.Hash(digest)
	return c.sigCall(ctx, opSignHash, p, &request{Address: &addr, Digest: &d, AllowOwners: allowOwners})
}

// SetWalletDisabled implements custody.Custodian.
func (c *Client) SetWalletDisabled(ctx context.Context, p *coffer.Principal, addr common.Address, disabled bool) (*coffer.Wallet, error) {
	return c.walletCall(ctx, opSetWalletDisabled, p, &request{Address: &addr, Disabled: disabled})
}

// WalletPolicy implements custody.Custodian.
func (c *Client) WalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address) (*coffer.Policy, coffer.Policy, error) {
	res, err := c.call(ctx, opWalletPolicy, p, &request{Address: &addr})
	if err != nil {
		return nil, coffer.Policy{}, err
	}
	if res.EffectivePolicy == nil {
		return nil, coffer.Policy{}, coffer.Errorf(coffer.EINTERNAL, "signer answered %s without a policy", opWalletPolicy)
	}
	return res.OwnPolicy, *res.EffectivePolicy, nil
}

// SetWalletPolicy implements custody.Custodian.
func (c *Client) SetWalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address, pol *coffer.Policy) error {
	_, err := c.call(ctx, opSetWalletPolicy, p, &request{Address: &addr, Policy: pol})
	return err
}

// ExportKey implements custody.Custodian. The key is exported by the signer
// (admin only, when its keys.allow_export is on, audited there).
func (c *Client) ExportKey(ctx context.Context, p *coffer.Principal, addr common.Address) (string, error) {
	res, err := c.call(ctx, opExportKey, p, &request{Address: &addr})
	if err != nil {
		return "", err
	}
	return res.Key, nil
}

// CheckTransaction implements custody.Custodian.
func (c *Client) CheckTransaction(ctx context.Context, p *coffer.Principal, addr common.Address, chainID uint64, to *common.Address, value *big.Int) error {
	_, err := c.call(ctx, opCheckTransaction, p, &request{Address: &addr, ChainID: (*hexutil.Big)(new(big.Int).SetUint64(chainID)), To: to, Value: (*hexutil.Big)(value)})
	return err
}
