package api

import (
	"log/slog"
	"net/http"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/auth"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/events"
	"github.com/cofferhq/coffer/nft"
	"github.com/cofferhq/coffer/txm"
)

// Config tunes the HTTP layer.
type Config struct {
	MaxBodyBytes      int64
	MaxUploadBytes    int64
	CORSOrigins       []string
	AllowUserSignHash bool     // owners may sign raw hashes (default: admins only)
	Chains            []uint64 // configured chain ids
	PublicURL         string
}

// Deps are the parts the API drives.
type Deps struct {
	Store   coffer.Store
	Blob    coffer.Blob
	Auth    *auth.Service
	Custody custody.Custodian // in process, or a remote `coffer signer`
	NFT     *nft.Service
	Txm     *txm.Manager
	Events  *events.Service // webhooks and GET /v1/events; nil: not served
	Gateway Gateway         // chain access; nil: its routes answer 503
	Log     *slog.Logger
}

// Gateway serves chain access (package gateway): JSON-RPC per chain and
// the proxy routes. Each writes its own answer; an error it returns is
// written as an API error.
type Gateway interface {
	RPC(w http.ResponseWriter, r *http.Request) error
	Proxy(w http.ResponseWriter, r *http.Request) error
}

// Server serves the HTTP API.
type Server struct {
	Deps
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
}

// New builds the server and its routes.
func New(d Deps, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 10 << 20
	}
	s := &Server{Deps: d, cfg: cfg, log: d.Log, mux: http.NewServeMux(), metrics: newMetrics()}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.middleware(s.mux).ServeHTTP(w, r)
}

// Handler is the server with its middleware, built once.
func (s *Server) Handler() http.Handler { return s.middleware(s.mux) }

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// route is one endpoint; the table below drives both the mux and /openapi.json.
type route struct {
	method, path, who, summary string
	h                          handlerFunc
}

func (s *Server) table() []route {
	return []route{
		{"GET", "/healthz", "guest", "Process is up", s.healthz},
		{"GET", "/readyz", "guest", "Store and chains reachable", s.readyz},
		{"GET", "/openapi.json", "guest", "This document", s.openapi},
		{"GET", "/docs", "guest", "Human-readable API reference", s.docs},

		{"POST", "/v1/auth/siwe/nonce", "guest", "Issue a single-use SIWE nonce", s.siweNonce},
		{"POST", "/v1/auth/siwe/verify", "guest", "Sign in with a signed EIP-4361 message", s.siweVerify},
		{"POST", "/v1/auth/refresh", "guest", "Rotate a refresh token", s.refresh},
		{"POST", "/v1/auth/logout", "user", "Revoke the session", s.logout},
		{"GET", "/.well-known/jwks.json", "guest", "Keys that verify coffer access tokens", s.jwks},
		{"GET", "/v1/me", "user", "The caller and their wallets", s.me},

		{"POST", "/v1/wallets", "user, admin", "Create a custodial wallet", s.createWallet},
		{"GET", "/v1/wallets", "user, admin", "List own wallets (admin: all)", s.listWallets},
		{"GET", "/v1/wallets/{address}", "owner, admin", "One wallet; ?chain_id= adds its balance", s.getWallet},
		{"POST", "/v1/wallets/{address}/sign-message", "owner", "EIP-191 personal_sign", s.signMessage},
		{"POST", "/v1/wallets/{address}/sign-typed-data", "owner", "EIP-712 v4 typed data", s.signTypedData},
		{"POST", "/v1/wallets/{address}/sign-hash", "admin, owner if allowed", "Sign a raw 32-byte digest", s.signHash},
		{"POST", "/v1/wallets/{address}/sign-transaction", "owner", "Sign a transaction without sending it", s.signTransaction},
		{"POST", "/v1/wallets/{address}/disable", "admin", "Disable a wallet: it refuses every signature (audited)", s.disableWallet},
		{"POST", "/v1/wallets/{address}/enable", "admin", "Enable a disabled wallet (audited)", s.enableWallet},
		{"GET", "/v1/wallets/{address}/policy", "admin", "The wallet's own signing policy and the effective one", s.getPolicy},
		{"PUT", "/v1/wallets/{address}/policy", "admin", "Replace the wallet's own signing policy (audited)", s.putPolicy},
		{"POST", "/v1/wallets/{address}/export", "admin", "DANGER: the wallet's private key (keys.allow_export, local keys only, audited)", s.exportKey},

		{"POST", "/v1/transactions", "owner of from", "Queue a managed transaction (Idempotency-Key)", s.createTransaction},
		{"GET", "/v1/transactions", "user, admin", "List transactions, newest first", s.listTransactions},
		{"GET", "/v1/transactions/{id}", "owner, admin", "One transaction with its attempts", s.getTransaction},
		{"POST", "/v1/transactions/raw", "user, admin", "Submit a transaction signed by its sender (self-custody); validated, broadcast and tracked", s.submitRawTransaction},
		{"POST", "/v1/transactions/{id}/cancel", "owner, admin", "Replace a not-yet-mined transaction with a 0-value self-transfer", s.cancelTransaction},

		{"POST", "/v1/collections", "admin", "Deploy an ERC-721 collection; mint_mode \"platform\" (default: the platform wallet sends mints) or \"voucher\" (the platform signs an EIP-712 voucher, the recipient's custodial wallet sends mintWithVoucher, gas from the gas tank)", s.createCollection},
		{"GET", "/v1/collections", "guest", "List collections", s.listCollections},
		{"GET", "/v1/collections/{id}", "guest", "One collection", s.getCollection},
		{"POST", "/v1/collections/{id}/mint", "user, admin", "Store metadata and queue a mint (Idempotency-Key); in a voucher collection the mint is sent from the recipient's own custodial wallet", s.mint},
		{"GET", "/v1/mints", "user, admin", "List own mints (admin: all, ?owner=), newest first (?collection_id=&status=&limit=&cursor=); items omit the metadata, GET /v1/mints/{id} has it", s.listMints},
		{"GET", "/v1/mints/{id}", "owner, admin", "One mint with its token id once mined", s.getMint},
		{"POST", "/v1/media", "user, admin", "Upload an image or media file (multipart)", s.uploadMedia},
		{"GET", "/v1/nfts", "guest", "Indexed tokens (?owner=&collection_id=&contract=&chain_id=)", s.listNFTs},
		{"GET", "/v1/nfts/{chain_id}/{contract}/{token_id}", "guest", "One indexed token with its metadata", s.getNFT},
		{"GET", "/metadata/{key...}", "guest", "Stored NFT metadata JSON", s.getMetadata},
		{"GET", "/media/{key...}", "guest", "Stored media", s.getMetadata},

		{"POST", "/v1/rpc/{chain_id}", "guest, user, admin", "JSON-RPC 2.0 (single and batch) to the chain's node: reads by role allowlist and rate limit; eth_accounts, eth_sendTransaction, eth_signTransaction, personal_sign, eth_sign, eth_signTypedData_v4 answered with the caller's custodial wallets", s.rpc},
		{"ANY", "/v1/proxy/{name}/{path...}", "per route", "Configured third-party Web3 HTTP API: path allowlist, secret headers injected server-side, per-role rate limits", s.proxy},

		{"POST", "/v1/webhooks", "admin", "Register a webhook {url, events, secret?}; the secret (generated when omitted) is shown once", s.createWebhook},
		{"GET", "/v1/webhooks", "admin", "List webhooks (without secrets)", s.listWebhooks},
		{"GET", "/v1/webhooks/{id}", "admin", "One webhook (without its secret)", s.getWebhook},
		{"DELETE", "/v1/webhooks/{id}", "admin", "Delete a webhook and its pending deliveries", s.deleteWebhook},
		{"GET", "/v1/webhooks/{id}/deliveries", "admin", "A webhook's deliveries, newest first (?limit=&cursor=)", s.listDeliveries},
		{"GET", "/v1/events", "user, admin", "Server-Sent Events stream of the caller's events (?types=; Last-Event-ID resumes)", s.streamEvents},

		{"GET", "/v1/audit", "admin", "The signing audit log (?wallet=&principal=&kind=&outcome=&since=&until=&limit=&cursor=)", s.listAudit},
	}
}

func (s *Server) routes() {
	for _, rt := range s.table() {
		if rt.method == "ANY" {
			s.handle(rt.path, rt.h)
			continue
		}
		s.handle(rt.method+" "+rt.path, rt.h)
	}
	s.mux.HandleFunc("GET /metrics", s.metrics.serve)
	// Everything else is a JSON 405 when the path has routes for other
	// methods, else a JSON 404, not the mux's plain text.
	s.handle("/", func(w http.ResponseWriter, r *http.Request) error {
		if s.wrongMethod(w, r) {
			return nil
		}
		return coffer.Errorf(coffer.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path)
	})
}

func (s *Server) rpc(w http.ResponseWriter, r *http.Request) error {
	if s.Gateway == nil {
		return coffer.Errorf(coffer.EUNAVAILABLE, "the JSON-RPC gateway is not configured on this server")
	}
	return s.Gateway.RPC(w, r)
}

func (s *Server) proxy(w http.ResponseWriter, r *http.Request) error {
	if s.Gateway == nil {
		return coffer.Errorf(coffer.ENOTFOUND, "no proxy route %q", r.PathValue("name"))
	}
	return s.Gateway.Proxy(w, r)
}
