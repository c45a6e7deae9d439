// Package config loads coffer's configuration from a YAML file, COFFER_*
// environment variables and command-line flags.
//
// Precedence, highest first: flag, environment, file, built-in default.
// Values derived from others (paths under DataDir, PublicURL from HTTP.Addr,
// SIWE and issuer from PublicURL) are filled by Resolve, after all sources have
// been applied, so that e.g. --data-dir moves every default path with it.
//
// Typical use in a subcommand:
//
//	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
//	defaults := config.Default()
//	defaults.RegisterFlags(fs) // help text shows the defaults
//	cfg, err := config.FromArgs(fs, os.Args[2:], os.Getenv)
package config

import (
	"strings"
	"time"
)

// Config is the whole of coffer's configuration. The yaml tag of each field is
// its key in the config file; see docs/CONFIG.md for env vars and flags.
type Config struct {
	DataDir  string   `yaml:"data_dir"`
	Log      Log      `yaml:"log"`
	HTTP     HTTP     `yaml:"http"`
	Store    Store    `yaml:"store"`
	Blob     Blob     `yaml:"blob"`
	Keys     Keys     `yaml:"keys"`
	Signer   Signer   `yaml:"signer"`
	Chains   []Chain  `yaml:"chains"`
	Platform Platform `yaml:"platform"`
	Dev      Dev      `yaml:"dev"`
	Auth     Auth     `yaml:"auth"`
	NFT      NFT      `yaml:"nft"`
	Policy   Policy   `yaml:"policy"`
	RPC      RPC      `yaml:"rpc"`
	Proxy    Proxy    `yaml:"proxy"`
	Events   Events   `yaml:"events"`

	// src maps a key ("http.addr", "chains[0].id") to where its value came
	// from ("COFFER_HTTP_ADDR", "--http-addr", "coffer.yaml:3") for errors.
	src map[string]string
}

// Log configures the process logger.
type Log struct {
	Level  string `yaml:"level"`  // debug|info|warn|error
	Format string `yaml:"format"` // text|json
}

// HTTP configures the API server.
type HTTP struct {
	Addr            string        `yaml:"addr"`
	PublicURL       string        `yaml:"public_url"` // externally visible base URL, no trailing slash
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	MaxUploadBytes  int64         `yaml:"max_upload_bytes"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	CORSOrigins     []string      `yaml:"cors_origins"`
}

// Store selects the database.
type Store struct {
	Driver string `yaml:"driver"` // sqlite|postgres
	DSN    string `yaml:"dsn"`
}

// Blob selects where uploaded files and metadata live.
type Blob struct {
	Driver string `yaml:"driver"` // fs|s3
	Dir    string `yaml:"dir"`
	S3     S3     `yaml:"s3"`
}

// S3 configures the s3 blob driver. Empty credentials mean the AWS default
// credential chain.
type S3 struct {
	Bucket          string `yaml:"bucket"`
	Prefix          string `yaml:"prefix"`
	Region          string `yaml:"region"`
	Endpoint        string `yaml:"endpoint"`
	PathStyle       bool   `yaml:"path_style"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

// Keys configures key custody.
type Keys struct {
	Backend       string `yaml:"backend"`         // default backend for new wallets: local|awskms|pkcs11
	MasterKeyFile string `yaml:"master_key_file"` // hex master key of the local backend
	// MasterKeyEnv names an env var holding the hex master key; when that
	// variable is non-empty it is used instead of MasterKeyFile.
	MasterKeyEnv string `yaml:"master_key_env"`
	// MasterKMSKey, when set, wraps local data keys with this AWS KMS
	// symmetric key (id, ARN or alias) instead of a master key file.
	MasterKMSKey string `yaml:"master_kms_key"`
	// MasterPassphraseEnv names an env var holding a passphrase; when set
	// and non-empty the master key is derived from it with scrypt (the salt
	// lives beside the master key file, as <master_key_file>.salt).
	MasterPassphraseEnv string `yaml:"master_passphrase_env"`
	// AllowExport enables POST /v1/wallets/{address}/export (admin only,
	// local keys only, audited): the one way a private key leaves coffer.
	AllowExport bool   `yaml:"allow_export"`
	AWSKMS      AWSKMS `yaml:"awskms"`
	PKCS11      PKCS11 `yaml:"pkcs11"`
}

// AWSKMS configures the awskms key backend.
type AWSKMS struct {
	Region      string `yaml:"region"`
	Endpoint    string `yaml:"endpoint"`
	AliasPrefix string `yaml:"alias_prefix"`
}

// PKCS11 configures the pkcs11 key backend. PINEnv, when set, names an env var
// holding the PIN and takes the place of PIN.
type PKCS11 struct {
	Module     string `yaml:"module"`
	TokenLabel string `yaml:"token_label"`
	PIN        string `yaml:"pin"`
	PINEnv     string `yaml:"pin_env"`
}

// Signer configures the isolated signer: `coffer signer` serves custody
// (key backends, policies, audit) on Listen; `coffer serve` with Remote set
// signs through it and holds no key material. TLS serves both sides: the
// signer's certificate and ClientCA, or the API's client certificate and CA.
type Signer struct {
	Listen  string        `yaml:"listen"`  // unix:///path/to.sock | tcp://host:port (mutual TLS)
	Remote  string        `yaml:"remote"`  // unix:///path/to.sock | https://host:port; "" = sign in process
	Timeout time.Duration `yaml:"timeout"` // per call to the signer
	TLS     SignerTLS     `yaml:"tls"`
}

// SignerTLS holds the certificate files of mutual TLS between API and signer.
type SignerTLS struct {
	Cert     string `yaml:"cert"`      // this side's certificate (PEM)
	Key      string `yaml:"key"`       // its private key (PEM)
	CA       string `yaml:"ca"`        // API side: CA of the signer's certificate ("" = system roots)
	ClientCA string `yaml:"client_ca"` // signer side: CA every client certificate must chain to
}

// Chain is an external EVM chain used by `coffer serve`.
type Chain struct {
	ID             uint64        `yaml:"id"`
	Name           string        `yaml:"name"`
	RPCURLs        []string      `yaml:"rpc_urls"` // tried in order
	Confirmations  uint64        `yaml:"confirmations"`
	PollInterval   time.Duration `yaml:"poll_interval"`
	ReceiptTimeout time.Duration `yaml:"receipt_timeout"` // 0 = no limit

	// Transaction manager.
	FeeSpeed         string        `yaml:"fee_speed"`          // slow|normal|fast: 10th/50th/90th reward percentile
	FeeHistoryBlocks int           `yaml:"fee_history_blocks"` // blocks of eth_feeHistory
	MaxFeeGwei       float64       `yaml:"max_fee_gwei"`       // cap on max_fee_per_gas / gas_price; 0 = none
	GasBuffer        float64       `yaml:"gas_buffer"`         // multiplier on estimated gas
	ResubmitAfter    time.Duration `yaml:"resubmit_after"`     // unmined this long: re-sign with higher fees
	FeeBumpPercent   float64       `yaml:"fee_bump_percent"`   // raise of both fee fields per replacement (≥ 10)

	GasTank GasTank `yaml:"gas_tank"` // funds users' wallets with gas; off unless top_up_wei is set
}

// GasTank funds the gas of users' custodial wallets (voucher mints, their own
// transactions) from the platform wallet. Amounts are decimal wei; it is on
// when TopUpWei is non-zero, and then MaxPerWalletPerDayWei is required.
type GasTank struct {
	MinBalanceWei         string `yaml:"min_balance_wei"`            // also top up a wallet left below this ("" = only when it cannot pay)
	TopUpWei              string `yaml:"top_up_wei"`                 // sent per top-up (at least the shortfall); "" or 0 = off
	MaxPerWalletPerDayWei string `yaml:"max_per_wallet_per_day_wei"` // per wallet over a rolling 24h
	PlatformLowWei        string `yaml:"platform_low_wei"`           // platform balance below this: WARN and metric ("" = never)
}

// Enabled reports whether the gas tank tops wallets up.
func (g GasTank) Enabled() bool { return g.TopUpWei != "" && strings.Trim(g.TopUpWei, "0") != "" }

// Platform is the treasury/minter wallet used by `coffer serve`: a hex private
// key read from PrivateKeyFile, or else from the env var named PrivateKeyEnv.
type Platform struct {
	PrivateKeyFile string `yaml:"private_key_file"`
	PrivateKeyEnv  string `yaml:"private_key_env"`
}

// Dev configures the in-process chain of `coffer dev`.
type Dev struct {
	RPCAddr     string        `yaml:"rpc_addr"` // HTTP and WebSocket JSON-RPC
	ChainID     uint64        `yaml:"chain_id"`
	BlockPeriod time.Duration `yaml:"block_period"` // 0 = mine when a transaction arrives
	Fresh       bool          `yaml:"fresh"`        // start chain and database afresh
	Persist     bool          `yaml:"persist"`      // keep the chain in ChainDir
	ChainDir    string        `yaml:"chain_dir"`
	GasTank     GasTank       `yaml:"gas_tank"` // the dev chain's gas tank (on by default)
	// EventsAllowPrivateTargets lets `coffer dev` deliver webhooks to
	// loopback and private addresses whatever events.allow_private_targets says.
	EventsAllowPrivateTargets bool `yaml:"events_allow_private_targets"`
}

// Events configures webhook deliveries and the event stream (docs/EVENTS.md).
type Events struct {
	// AllowPrivateTargets lets webhooks reach loopback, private and other
	// non-public addresses (checked on every resolved address).
	AllowPrivateTargets bool          `yaml:"allow_private_targets"`
	Timeout             time.Duration `yaml:"timeout"`       // per delivery attempt
	MaxAge              time.Duration `yaml:"max_age"`       // retries stop once an event is this old
	RetryInitial        time.Duration `yaml:"retry_initial"` // first retry after about this, doubling (with jitter)
	RetryMax            time.Duration `yaml:"retry_max"`     // longest wait between attempts
	PollInterval        time.Duration `yaml:"poll_interval"` // outbox reads (other processes' events; local ones wake at once)
	Retention           time.Duration `yaml:"retention"`     // events and finished deliveries are pruned after this
	Concurrency         int64         `yaml:"concurrency"`   // deliveries in flight per process
	Heartbeat           time.Duration `yaml:"heartbeat"`     // SSE comment interval
}

// Auth configures sessions, Sign-In with Ethereum and OIDC.
type Auth struct {
	Issuer            string        `yaml:"issuer"`
	AccessTTL         time.Duration `yaml:"access_ttl"`
	RefreshTTL        time.Duration `yaml:"refresh_ttl"`
	NonceTTL          time.Duration `yaml:"nonce_ttl"`
	Skew              time.Duration `yaml:"skew"` // allowed clock skew
	SigningKeyFile    string        `yaml:"signing_key_file"`
	SIWE              SIWE          `yaml:"siwe"`
	OIDC              []OIDC        `yaml:"oidc"`
	BootstrapAdminKey string        `yaml:"bootstrap_admin_key"`
}

// SIWE holds the EIP-4361 message fields a sign-in must match.
type SIWE struct {
	Domain string `yaml:"domain"`
	Scheme string `yaml:"scheme"`
	URI    string `yaml:"uri"`
}

// OIDC is a trusted external identity provider.
type OIDC struct {
	Issuer     string `yaml:"issuer"`
	Audience   string `yaml:"audience"`
	JWKSURL    string `yaml:"jwks_url"`    // default: discovered from the issuer
	RolesClaim string `yaml:"roles_claim"` // claim holding coffer roles
}

// NFT holds NFT policy.
type NFT struct {
	AllowMintToOthers bool  `yaml:"allow_mint_to_others"`
	MaxMetadataBytes  int64 `yaml:"max_metadata_bytes"`
	// VoucherTTL is how long a mint voucher (mint_mode "voucher") can be
	// redeemed; a voucher mint not sent by then fails.
	VoucherTTL time.Duration `yaml:"voucher_ttl"`
}

// Policy is the global signing policy; a wallet's own policy (admin API)
// overrides it rule by rule. Empty lists and limits restrict nothing.
type Policy struct {
	ChainIDs         []uint64          `yaml:"chain_ids"`         // allowed chains
	To               []string          `yaml:"to"`                // allowed destinations and contracts
	MaxValuePerTx    string            `yaml:"max_value_per_tx"`  // decimal wei; "" = no limit
	MaxValuePerDay   string            `yaml:"max_value_per_day"` // decimal wei per wallet and chain over a rolling 24h
	RawHash          string            `yaml:"raw_hash"`          // admins|owners|off
	TypedDataDomains []TypedDataDomain `yaml:"typed_data_domains"`
}

// TypedDataDomain is an allowed EIP-712 domain: every field that is set must match.
type TypedDataDomain struct {
	Name              string `yaml:"name"`
	VerifyingContract string `yaml:"verifying_contract"`
	ChainID           uint64 `yaml:"chain_id"`
}

// RPC configures the JSON-RPC gateway, POST /v1/rpc/{chain_id}.
type RPC struct {
	RateLimit      int64         `yaml:"rate_limit"`       // calls per minute per signed-in principal; 0 = no limit
	GuestRateLimit int64         `yaml:"guest_rate_limit"` // calls per minute per guest address; 0 = no limit
	MaxBatch       int64         `yaml:"max_batch"`        // calls per batch
	MaxBodyBytes   int64         `yaml:"max_body_bytes"`
	MaxLogBlocks   uint64        `yaml:"max_log_blocks"` // eth_getLogs block range
	SendWait       time.Duration `yaml:"send_wait"`      // eth_sendTransaction: wait for the managed transaction's hash
	// Extra pass-through methods per role (each role also gets those of the
	// roles below it); only admin_methods may name admin_, debug_, personal_,
	// miner_, txpool_, engine_… methods.
	GuestMethods []string `yaml:"guest_methods"`
	UserMethods  []string `yaml:"user_methods"`
	AdminMethods []string `yaml:"admin_methods"`
}

// Proxy configures ANY /v1/proxy/{name}/…: third-party HTTP APIs behind
// coffer's sign-in, their keys injected server-side.
type Proxy struct {
	MaxRequestBytes int64        `yaml:"max_request_bytes"`
	Routes          []ProxyRoute `yaml:"routes"`
}

// ProxyRoute is one proxied API. Upstream and the values of Headers and Query
// may be "env:NAME", read from the environment at start.
type ProxyRoute struct {
	Name             string            `yaml:"name"`
	Upstream         string            `yaml:"upstream"`
	AllowPaths       []string          `yaml:"allow_paths"`
	Methods          []string          `yaml:"methods"`
	Headers          map[string]string `yaml:"headers"`
	Query            map[string]string `yaml:"query"`
	Roles            []string          `yaml:"roles"`
	RateLimit        int64             `yaml:"rate_limit"` // per principal per minute; 0 = no limit
	Timeout          time.Duration     `yaml:"timeout"`
	MaxResponseBytes int64             `yaml:"max_response_bytes"`
	ForwardClientIP  bool              `yaml:"forward_client_ip"`
}

// Default returns the built-in defaults. Derived values (paths under DataDir,
// PublicURL, SIWE, issuer, chain defaults) are left empty for Resolve.
func Default() Config {
	return Config{
		DataDir: "./.coffer",
		Log:     Log{Level: "info", Format: "text"},
		HTTP: HTTP{
			Addr:            "127.0.0.1:8080",
			MaxBodyBytes:    1 << 20,
			MaxUploadBytes:  10 << 20,
			ReadTimeout:     15 * time.Second,
			WriteTimeout:    30 * time.Second,
			ShutdownTimeout: 10 * time.Second,
		},
		Store:    Store{Driver: "sqlite"},
		Blob:     Blob{Driver: "fs"},
		Keys:     Keys{Backend: "local", MasterKeyEnv: "COFFER_MASTER_KEY"},
		Signer:   Signer{Timeout: 10 * time.Second},
		Platform: Platform{PrivateKeyEnv: "COFFER_PLATFORM_KEY"},
		Dev: Dev{
			RPCAddr:                   "127.0.0.1:8545",
			ChainID:                   1337,
			Persist:                   true,
			EventsAllowPrivateTargets: true,
			GasTank: GasTank{
				MinBalanceWei:         "1000000000000000",     // 0.001 ETH
				TopUpWei:              "10000000000000000",    // 0.01 ETH
				MaxPerWalletPerDayWei: "100000000000000000",   // 0.1 ETH
				PlatformLowWei:        "10000000000000000000", // 10 ETH
			},
		},
		Auth: Auth{
			AccessTTL:  15 * time.Minute,
			RefreshTTL: 720 * time.Hour,
			NonceTTL:   5 * time.Minute,
			Skew:       time.Minute,
		},
		NFT:    NFT{MaxMetadataBytes: 64 << 10, VoucherTTL: 24 * time.Hour},
		Policy: Policy{RawHash: "admins"},
		RPC: RPC{RateLimit: 600, GuestRateLimit: 120, MaxBatch: 100, MaxBodyBytes: 1 << 20, MaxLogBlocks: 10_000,
			SendWait: 20 * time.Second},
		Proxy: Proxy{MaxRequestBytes: 1 << 20},
		Events: Events{Timeout: 10 * time.Second, MaxAge: 24 * time.Hour, RetryInitial: 5 * time.Second, RetryMax: time.Hour,
			PollInterval: time.Second, Retention: 7 * 24 * time.Hour, Concurrency: 8, Heartbeat: 15 * time.Second},
	}
}

// Chain defaults, applied by Resolve to zero fields.
const (
	DefaultConfirmations = 1
	DefaultPollInterval  = time.Second

	DefaultFeeSpeed         = "normal"
	DefaultFeeHistoryBlocks = 20
	DefaultGasBuffer        = 1.2
	DefaultResubmitAfter    = time.Minute
	DefaultFeeBumpPercent   = 12.5
)
