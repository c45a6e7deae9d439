// Package gateway is coffer's chain access (../shared/spec/API.md, "Chain
// access"): an authenticated JSON-RPC endpoint per configured chain
// (POST /v1/rpc/{chain_id}) and configured proxy routes to third-party Web3
// HTTP APIs (ANY /v1/proxy/{name}/…) — the seed's "API Gateway proxy to
// third-party Web3 APIs", with coffer's sign-in instead of Cognito.
//
// # JSON-RPC
//
// Read methods pass through to the chain's node(s) (chain.Client: failover,
// retries) by a role allowlist: guests get a safe read set (guestMethods),
// rpc.guest_methods/user_methods/admin_methods add to it per role, and only
// admin_methods may name admin_, debug_, personal_, miner_, txpool_, engine_
// methods. eth_getLogs is capped at rpc.max_log_blocks blocks. Wallet
// methods (eth_accounts, eth_requestAccounts, eth_sendTransaction,
// eth_signTransaction, eth_sendRawTransaction, personal_sign, eth_sign,
// eth_signTypedData_v4) are answered by coffer with the caller's custodial
// wallets through custody.Custodian, so ownership, policies and the audit
// log apply exactly as on the REST API. eth_chainId is answered locally.
//
// Errors follow JSON-RPC 2.0 and EIP-1193/1474: -32700 parse error, -32600
// invalid request, -32601 method not available, -32602 invalid params,
// -32603 internal, -32002 unavailable (signer or node down), -32005 rate
// limited, 4100 unauthorized (not signed in, or not your account), 4001
// refused by policy (what a wallet answers when its user declines; ethers
// reports ACTION_REJECTED). Node errors are passed through with their code,
// message and data, scrubbed of the node URLs' secrets; transport failures
// never show the URL.
//
// HTTP status: 200 for every JSON-RPC answer, errors included, as nodes do —
// except the rate limit, answered 429 with Retry-After (and a JSON-RPC
// -32005 body): ethers' FetchRequest and viem both retry a 429 with backoff,
// while neither retries a -32005 inside a 200 (viem does, ethers does not).
// A batch is admitted or refused whole (each call costs one token).
//
// eth_sendTransaction queues a managed transaction (like POST
// /v1/transactions: the manager owns nonces, prices, bumps stuck
// transactions, tops up gas and survives restarts) and waits up to
// rpc.send_wait until the manager has signed it, then answers its hash, as
// EIP-1474 wants. Signing and sending synchronously outside the manager
// would race its nonces. The nonce and fee fields of the request are
// ignored (the manager assigns them); gas is kept when given. A replacement
// (fee bump) changes the hash later; ethers' wait() reports it as a
// "repriced" replacement, and GET /v1/transactions/{id} (whose id is in the
// error data on a timeout) always knows the mined hash.
//
// # Proxy
//
// See proxy.go.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/txm"
)

// Config tunes the gateway; zero values take the defaults below.
type Config struct {
	RPC   RPCConfig
	Proxy []Route
	// ProxyMaxRequestBytes bounds a proxied request body.
	ProxyMaxRequestBytes int64
	// Redact lists secrets (node URLs with API keys, their paths and
	// queries) scrubbed from anything an upstream says before it is shown or
	// logged.
	Redact []string
}

// RPCConfig tunes POST /v1/rpc/{chain_id}.
type RPCConfig struct {
	RateLimit      int64         // calls per minute per signed-in principal; 0 = no limit
	GuestRateLimit int64         // calls per minute per guest address; 0 = no limit
	MaxBatch       int           // calls per batch
	MaxBodyBytes   int64         // request body
	MaxLogBlocks   uint64        // eth_getLogs block range
	SendWait       time.Duration // eth_sendTransaction: how long to wait for the managed transaction's hash

	// Extra pass-through methods per role (each role also gets the ones of
	// the roles below it: guest < user < admin).
	GuestMethods, UserMethods, AdminMethods []string
}

// Defaults of Config.
const (
	DefaultMaxBatch        = 100 // ethers' batchMaxCount
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxLogBlocks    = 10_000
	DefaultSendWait        = 20 * time.Second // below http.write_timeout's default
	DefaultProxyTimeout    = 30 * time.Second
	DefaultProxyMaxResp    = 5 << 20
	DefaultProxyMaxRequest = 1 << 20
)

// Deps are the parts the gateway drives.
type Deps struct {
	Store   coffer.Store
	Custody custody.Custodian
	Txm     *txm.Manager
	Log     *slog.Logger
}

// Gateway serves the JSON-RPC endpoint and the proxy routes.
type Gateway struct {
	Deps
	cfg       Config
	rpcLimit  *limiter
	guestLim  *limiter
	methods   map[string]string // extra method → least role
	routes    map[string]*route
	redactor  *strings.Replacer
	txChanged chan struct{} // closed and replaced on every transaction change
	txMu      sync.Mutex
}

// New validates cfg and builds the gateway.
func New(d Deps, cfg Config) (*Gateway, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RPC.MaxBatch <= 0 {
		cfg.RPC.MaxBatch = DefaultMaxBatch
	}
	if cfg.RPC.MaxBodyBytes <= 0 {
		cfg.RPC.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RPC.MaxLogBlocks == 0 {
		cfg.RPC.MaxLogBlocks = DefaultMaxLogBlocks
	}
	if cfg.RPC.SendWait <= 0 {
		cfg.RPC.SendWait = DefaultSendWait
	}
	if cfg.ProxyMaxRequestBytes <= 0 {
		cfg.ProxyMaxRequestBytes = DefaultProxyMaxRequest
	}
	g := &Gateway{Deps: d, cfg: cfg, rpcLimit: newLimiter(cfg.RPC.RateLimit), guestLim: newLimiter(cfg.RPC.GuestRateLimit),
		methods: map[string]string{}, routes: map[string]*route{}, txChanged: make(chan struct{})}
	for _, m := range []struct {
		role  string
		names []string
	}{{"admin", cfg.RPC.AdminMethods}, {"user", cfg.RPC.UserMethods}, {"guest", cfg.RPC.GuestMethods}} {
		for _, name := range m.names {
			if err := CheckMethod(name, m.role); err != nil {
				return nil, err
			}
			g.methods[name] = m.role
		}
	}
	var secrets []string
	for _, s := range cfg.Redact {
		if len(s) >= 6 {
			secrets = append(secrets, s, "***")
		}
	}
	for i := range cfg.Proxy {
		rt, err := newRoute(cfg.Proxy[i])
		if err != nil {
			return nil, err
		}
		if g.routes[rt.Name] != nil {
			return nil, fmt.Errorf("gateway: proxy route %q is configured twice", rt.Name)
		}
		g.routes[rt.Name] = rt
		secrets = append(secrets, rt.secrets()...)
	}
	g.redactor = strings.NewReplacer(secrets...)
	if d.Txm != nil {
		d.Txm.OnChange(func(context.Context, []txm.Change) { g.txChange() })
	}
	return g, nil
}

// scrub removes configured secrets from s.
func (g *Gateway) scrub(s string) string { return g.redactor.Replace(s) }

// txChange wakes every eth_sendTransaction waiting for its hash.
func (g *Gateway) txChange() {
	g.txMu.Lock()
	close(g.txChanged)
	g.txChanged = make(chan struct{})
	g.txMu.Unlock()
}

func (g *Gateway) txWait() <-chan struct{} {
	g.txMu.Lock()
	defer g.txMu.Unlock()
	return g.txChanged
}

// dangerousPrefixes are namespaces that manage or inspect the node itself
// (or hold its keys): only admin_methods may name them.
var dangerousPrefixes = []string{"admin_", "debug_", "personal_", "miner_", "txpool_", "engine_", "clique_", "les_", "trace_", "parity_", "hardhat_", "anvil_", "evm_"}

// CheckMethod validates a method name configured as a pass-through for role
// (guest, user or admin).
func CheckMethod(name, role string) error {
	if name == "" || len(name) > 64 || strings.IndexFunc(name, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		return fmt.Errorf("gateway: %q is not a JSON-RPC method name", name)
	}
	if walletMethods[name] {
		return fmt.Errorf("gateway: %s is answered by coffer with the caller's wallet; it cannot be passed through", name)
	}
	if role != "admin" {
		for _, p := range dangerousPrefixes {
			if strings.HasPrefix(name, p) {
				return fmt.Errorf("gateway: %s reaches into the node (%s*); only admin methods may", name, p)
			}
		}
	}
	return nil
}

// rateKey names the caller for rate limits: the principal, or a guest's
// address. RemoteAddr, not X-Forwarded-For, which any client can write:
// behind a load balancer every guest shares the balancer's bucket, so set
// guest limits with that in mind.
func rateKey(r *http.Request, p *coffer.Principal) string {
	if p != nil {
		return p.ID()
	}
	return "guest:" + clientIP(r)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// errorCause is a client-safe error for logs: its text has passed through
// scrub.
type errorCause struct{ msg string }

func (e errorCause) Error() string { return e.msg }

func (g *Gateway) cause(err error) error {
	if err == nil {
		return nil
	}
	var ce *coffer.Error
	if errors.As(err, &ce) {
		return err
	}
	return errorCause{g.scrub(err.Error())}
}
