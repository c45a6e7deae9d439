package signer

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/ethsign"
)

// ServerOptions tune the server.
type ServerOptions struct {
	// AllowOwnersSignHash lets wallet owners sign raw hashes when the API
	// asks for it too; the API's wish alone is not enough.
	AllowOwnersSignHash bool
	Log                 *slog.Logger
}

// Server answers the wire protocol with a custodian that holds the keys.
type Server struct {
	c    custody.Custodian
	opts ServerOptions
	log  *slog.Logger
	mux  *http.ServeMux
}

// NewServer returns the HTTP handler of the signer over c.
func NewServer(c custody.Custodian, opts ServerOptions) *Server {
	s := &Server{c: c, opts: opts, log: opts.Log, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.mux.HandleFunc("GET "+pathPrefix+opHealth, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	for op, h := range map[string]func(context.Context, *request) (*response, error){
		opWallet: s.wallet, opCreateWallet: s.createWallet, opUserWallet: s.userWallet, opPlatformWallet: s.platformWallet,
		opSignTx: s.signTx, opSignTransaction: s.signTransaction, opSignMessage: s.signMessage,
		opSignTypedData: s.signTypedData, opSignHash: s.signHash,
		opSetWalletDisabled: s.setWalletDisabled, opWalletPolicy: s.walletPolicy, opSetWalletPolicy: s.setWalletPolicy,
		opExportKey: s.exportKey, opCheckTransaction: s.checkTransaction,
	} {
		s.mux.HandleFunc("POST "+pathPrefix+op, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, op, h) })
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeResponse(w, http.StatusNotFound, &response{Error: &wireError{Code: coffer.ENOTFOUND,
			Message: fmt.Sprintf("no signer operation %s %s (this signer speaks %s)", r.Method, r.URL.Path, Version)}})
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request, op string, h func(context.Context, *request) (*response, error)) {
	var req request
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBodyBytes))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err = dec.Decode(&req); err == nil && dec.More() {
			err = errors.New("trailing data after the request object")
		}
	}
	if err != nil {
		writeResponse(w, http.StatusBadRequest, &response{Error: &wireError{Code: coffer.EINVALID, Message: "signer request: " + err.Error()}})
		return
	}
	ctx := coffer.WithRequestID(r.Context(), req.RequestID)
	if p := req.Principal.domain(); p != nil {
		ctx = coffer.NewContext(ctx, p)
	}
	res, err := h(ctx, &req)
	if err != nil {
		status := coffer.HTTPStatus(coffer.ErrorCode(err))
		if status >= 500 {
			s.log.Error("signer request failed", "op", op, "request_id", req.RequestID, "principal", req.Principal.domain().ID(), "err", err)
		}
		writeResponse(w, status, &response{Error: toWireError(err)})
		return
	}
	writeResponse(w, http.StatusOK, res)
}

func writeResponse(w http.ResponseWriter, status int, res *response) {
	b, err := json.Marshal(res)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func walletResponse(w *coffer.Wallet, err error) (*response, error) {
	if err != nil {
		return nil, err
	}
	return &response{Wallet: toWireWallet(w)}, nil
}

func (s *Server) wallet(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	return walletResponse(s.c.Wallet(ctx, r.Principal.domain(), *r.Address))
}

func (s *Server) createWallet(ctx context.Context, r *request) (*response, error) {
	return walletResponse(s.c.CreateWallet(ctx, r.OwnerID, r.Backend, r.Label))
}

func (s *Server) userWallet(ctx context.Context, r *request) (*response, error) {
	if r.UserID == "" {
		return nil, missing("user_id")
	}
	return walletResponse(s.c.UserWallet(ctx, r.UserID))
}

func (s *Server) platformWallet(ctx context.Context, r *request) (*response, error) {
	return walletResponse(s.c.PlatformWallet(ctx))
}

func decodeTx(r *request) (*types.Transaction, error) {
	if len(r.Tx) == 0 {
		return nil, missing("tx")
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(r.Tx); err != nil {
		return nil, badField("tx", err)
	}
	return tx, nil
}

// txArgs are a transaction signing request's address, transaction and
// chain id.
func txArgs(r *request) (common.Address, *types.Transaction, *big.Int, error) {
	if r.Address == nil {
		return common.Address{}, nil, nil, missing("address")
	}
	tx, err := decodeTx(r)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	chainID, err := chainIDOf(r)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return *r.Address, tx, chainID, nil
}

func txResponse(tx *types.Transaction, err error) (*response, error) {
	if err != nil {
		return nil, err
	}
	b, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &response{Tx: b}, nil
}

func (s *Server) signTx(ctx context.Context, r *request) (*response, error) {
	addr, tx, chainID, err := txArgs(r)
	if err != nil {
		return nil, err
	}
	return txResponse(s.c.SignTx(ctx, addr, tx, chainID))
}

func (s *Server) signTransaction(ctx context.Context, r *request) (*response, error) {
	addr, tx, chainID, err := txArgs(r)
	if err != nil {
		return nil, err
	}
	return txResponse(s.c.SignTransaction(ctx, r.Principal.domain(), addr, tx, chainID))
}

func sigResponse(sig []byte, err error) (*response, error) {
	if err != nil {
		return nil, err
	}
	return &response{Signature: sig}, nil
}

func (s *Server) signMessage(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	return sigResponse(s.c.SignMessage(ctx, r.Principal.domain(), *r.Address, r.Message))
}

func (s *Server) signTypedData(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	if len(r.TypedData) == 0 {
		return nil, missing("typed_data")
	}
	// The signer validates hostile input itself, with the API's own parser.
	td, err := ethsign.ParseTypedData(r.TypedData)
	if err != nil {
		return nil, err
	}
	return sigResponse(s.c.SignTypedData(ctx, r.Principal.domain(), *r.Address, td))
}

func (s *Server) signHash(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	if r.Digest == nil {
		return nil, missing("digest")
	}
	allow := r.AllowOwners && s.opts.AllowOwnersSignHash
	return sigResponse(s.c.SignHash(ctx, r.Principal.domain(), *r.Address, *r.Digest, allow))
}

func (s *Server) setWalletDisabled(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	return walletResponse(s.c.SetWalletDisabled(ctx, r.Principal.domain(), *r.Address, r.Disabled))
}

func (s *Server) walletPolicy(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	own, eff, err := s.c.WalletPolicy(ctx, r.Principal.domain(), *r.Address)
	if err != nil {
		return nil, err
	}
	return &response{OwnPolicy: own, EffectivePolicy: &eff}, nil
}

func (s *Server) setWalletPolicy(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	if err := s.c.SetWalletPolicy(ctx, r.Principal.domain(), *r.Address, r.Policy); err != nil {
		return nil, err
	}
	return &response{OK: true}, nil
}

func (s *Server) exportKey(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	key, err := s.c.ExportKey(ctx, r.Principal.domain(), *r.Address)
	if err != nil {
		return nil, err
	}
	return &response{Key: key}, nil
}

func (s *Server) checkTransaction(ctx context.Context, r *request) (*response, error) {
	if r.Address == nil {
		return nil, missing("address")
	}
	var chainID uint64
	if r.ChainID != nil {
		if !r.ChainID.ToInt().IsUint64() {
			return nil, coffer.Errorf(coffer.EINVALID, "chain_id is out of range")
		}
		chainID = r.ChainID.ToInt().Uint64()
	}
	if err := s.c.CheckTransaction(ctx, r.Principal.domain(), *r.Address, chainID, r.To, r.Value.ToInt()); err != nil {
		return nil, err
	}
	return &response{OK: true}, nil
}

// Listen opens the signer's listener at addr: "unix:///path/to.sock" (the
// socket is created with mode 0600; a stale socket left by a killed signer is
// replaced) or "tcp://host:port", which requires tlsConfig (mutual TLS).
func Listen(addr string, tlsConfig *tls.Config) (net.Listener, error) {
	network, target, err := parseListen(addr)
	if err != nil {
		return nil, err
	}
	if network == "tcp" {
		if tlsConfig == nil || tlsConfig.ClientAuth != tls.RequireAndVerifyClientCert {
			return nil, fmt.Errorf("signer: %s: TCP needs mutual TLS (signer.tls.cert, signer.tls.key, signer.tls.client_ca)", addr)
		}
		ln, err := net.Listen("tcp", target)
		if err != nil {
			return nil, fmt.Errorf("signer: listen on %s: %w", addr, err)
		}
		return tls.NewListener(ln, tlsConfig), nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return nil, fmt.Errorf("signer: socket directory: %w", err)
	}
	removeStaleSocket(target)
	ln, err := listenUnix(target)
	if err != nil {
		return nil, fmt.Errorf("signer: listen on %s: %w", addr, err)
	}
	if err := os.Chmod(target, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("signer: socket permissions: %w", err)
	}
	if tlsConfig != nil {
		return tls.NewListener(ln, tlsConfig), nil
	}
	return ln, nil
}

// removeStaleSocket deletes a socket file nobody answers on.
func removeStaleSocket(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close() // a live signer: Listen will fail with "address already in use"
		return
	}
	_ = os.Remove(path)
}

func parseListen(addr string) (network, target string, err error) {
	switch {
	case strings.HasPrefix(addr, "unix://") && len(addr) > len("unix://"):
		return "unix", strings.TrimPrefix(addr, "unix://"), nil
	case strings.HasPrefix(addr, "tcp://"):
		hp := strings.TrimPrefix(addr, "tcp://")
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return "", "", fmt.Errorf("signer: listen address %q: %v", addr, err)
		}
		return "tcp", hp, nil
	}
	return "", "", fmt.Errorf("signer: listen address %q: want unix:///path/to.sock or tcp://host:port", addr)
}

// Serve answers on ln until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc
	return err
}
