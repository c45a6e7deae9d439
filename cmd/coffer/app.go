package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/auth"
	"github.com/cofferhq/coffer/blob/fs"
	"github.com/cofferhq/coffer/blob/s3"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/events"
	"github.com/cofferhq/coffer/indexer"
	"github.com/cofferhq/coffer/keys/awskms"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/keys/pkcs11"
	"github.com/cofferhq/coffer/nft"
	"github.com/cofferhq/coffer/nft/artifacts"
	"github.com/cofferhq/coffer/policy"
	"github.com/cofferhq/coffer/signer"
	"github.com/cofferhq/coffer/store"
	"github.com/cofferhq/coffer/txm"
)

// app is a fully wired coffer: what `dev` and `serve` run.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	store    coffer.Store
	blob     coffer.Blob
	local    *local.Backend
	custody  *custody.Service // nil when signing through a remote signer
	auth     *auth.Service
	txm      *txm.Manager
	nft      *nft.Service
	indexers []*indexer.Indexer
	events   *events.Service
	clients  map[uint64]*chain.Client
	api      *api.Server
	closers  []func()

	// custodian is what the API, minting and the transaction manager sign
	// through: custody in process, or the client of `coffer signer`.
	custodian custody.Custodian
}

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// openBase opens what every command needs: store, blob, keys, custody.
func openBase(ctx context.Context, cfg config.Config, log *slog.Logger, createMaster bool) (*app, error) {
	a, err := openStores(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	master, err := loadMaster(ctx, cfg, createMaster, log)
	if err != nil {
		a.close()
		return nil, err
	}
	if err := checkMaster(ctx, a.store, master); err != nil {
		a.close()
		return nil, err
	}
	a.local = local.New(a.store, master)
	backends, err := a.extraBackends(ctx)
	if err != nil {
		a.close()
		return nil, err
	}
	a.custody, err = custody.New(a.store, append([]coffer.KeyBackend{a.local}, backends...), cfg.Keys.Backend, log)
	if err != nil {
		a.close()
		return nil, err
	}
	pol, err := policyFromConfig(cfg.Policy)
	if err != nil {
		a.close()
		return nil, err
	}
	a.custody.SetPolicy(policy.New(pol, a.store))
	a.custody.SetAllowExport(cfg.Keys.AllowExport)
	a.custodian = a.custody
	return a, nil
}

// extraBackends opens the configured key backends besides local: AWS KMS
// when keys.awskms is configured or chosen as the default, a PKCS#11 HSM
// when keys.pkcs11.module is set.
func (a *app) extraBackends(ctx context.Context) ([]coffer.KeyBackend, error) {
	var out []coffer.KeyBackend
	k := a.cfg.Keys
	if k.Backend == coffer.BackendAWSKMS || k.AWSKMS.Region != "" || k.AWSKMS.Endpoint != "" {
		b, err := awskms.New(ctx, awskms.Config{Region: k.AWSKMS.Region, Endpoint: k.AWSKMS.Endpoint, AliasPrefix: k.AWSKMS.AliasPrefix}, a.store)
		if err != nil {
			return nil, fmt.Errorf("keys.awskms: %w", err)
		}
		out = append(out, b)
	}
	if k.Backend == coffer.BackendPKCS11 || k.PKCS11.Module != "" {
		pin := k.PKCS11.PIN
		if k.PKCS11.PINEnv != "" && os.Getenv(k.PKCS11.PINEnv) != "" {
			pin = os.Getenv(k.PKCS11.PINEnv)
		}
		b, err := pkcs11.New(a.store, pkcs11.Config{Module: k.PKCS11.Module, TokenLabel: k.PKCS11.TokenLabel, PIN: pin})
		if err != nil {
			return nil, fmt.Errorf("keys.pkcs11: %w", err)
		}
		a.closers = append(a.closers, func() { b.Close() })
		out = append(out, b)
	}
	return out, nil
}

// openServeBase is openBase for `coffer serve`: with signer.remote set it
// signs through `coffer signer` and never touches key material — no master
// key is loaded, and one offered to this process is refused.
func openServeBase(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	if cfg.Signer.Remote == "" {
		return openBase(ctx, cfg, log, false)
	}
	if name := cfg.Keys.MasterKeyEnv; name != "" && os.Getenv(name) != "" {
		return nil, fmt.Errorf("signer.remote is set, so this process must hold no key material, but $%s holds a master key: give it to `coffer signer` only", name)
	}
	if cfg.Platform.PrivateKeyFile != "" || cfg.Platform.PrivateKeyEnv != "" && os.Getenv(cfg.Platform.PrivateKeyEnv) != "" {
		return nil, fmt.Errorf("signer.remote is set, so this process must hold no key material, but a platform key is configured (platform.private_key_file or $%s): give it to `coffer signer`, which imports it", cfg.Platform.PrivateKeyEnv)
	}
	var tlsCfg *tls.Config
	if strings.HasPrefix(cfg.Signer.Remote, "https://") {
		var err error
		if tlsCfg, err = signer.ClientTLS(cfg.Signer.TLS.CA, cfg.Signer.TLS.Cert, cfg.Signer.TLS.Key); err != nil {
			return nil, err
		}
	}
	client, err := signer.NewClient(signer.ClientConfig{Remote: cfg.Signer.Remote, TLS: tlsCfg, Timeout: cfg.Signer.Timeout})
	if err != nil {
		return nil, err
	}
	a, err := openStores(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.custodian = client
	a.closers = append(a.closers, client.Close)
	if err := client.Ping(ctx); err != nil {
		log.Warn("signer not reachable yet; signing answers 503 until it is", "remote", cfg.Signer.Remote, "err", coffer.ErrorMessage(err))
	} else {
		log.Info("signing through a remote signer; no key material in this process", "remote", cfg.Signer.Remote)
	}
	return a, nil
}

// openStores opens the store and the blob store.
func openStores(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log, clients: map[uint64]*chain.Client{}}
	st, err := store.Open(ctx, cfg.Store.Driver, cfg.Store.DSN)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", cfg.Store.Driver, err)
	}
	a.store = st
	a.closers = append(a.closers, func() { st.Close() })

	switch cfg.Blob.Driver {
	case "s3":
		a.blob, err = s3.New(ctx, s3.Config{Bucket: cfg.Blob.S3.Bucket, Prefix: cfg.Blob.S3.Prefix, Region: cfg.Blob.S3.Region,
			Endpoint: cfg.Blob.S3.Endpoint, PathStyle: cfg.Blob.S3.PathStyle, AccessKeyID: cfg.Blob.S3.AccessKeyID, SecretAccessKey: cfg.Blob.S3.SecretAccessKey})
	default:
		a.blob, err = fs.New(cfg.Blob.Dir)
	}
	if err != nil {
		a.close()
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return a, nil
}

// loadMaster returns the local backend's master key, from the first of: an
// AWS KMS symmetric key, a passphrase (scrypt), the environment variable
// named in the configuration, the key file (created on first use by `dev`).
func loadMaster(ctx context.Context, cfg config.Config, create bool, log *slog.Logger) (local.MasterKey, error) {
	if id := cfg.Keys.MasterKMSKey; id != "" {
		client, err := awskms.NewClient(ctx, cfg.Keys.AWSKMS.Region, cfg.Keys.AWSKMS.Endpoint)
		if err != nil {
			return nil, err
		}
		m, err := local.ResolveKMSMaster(ctx, client, id)
		if err != nil {
			return nil, fmt.Errorf("keys.master_kms_key: %w", err)
		}
		return m, nil
	}
	if name := cfg.Keys.MasterPassphraseEnv; name != "" && os.Getenv(name) != "" {
		salt, err := loadOrCreateSalt(cfg.Keys.MasterKeyFile+".salt", create)
		if err != nil {
			return nil, err
		}
		m, err := local.NewPassphraseMaster(os.Getenv(name), salt)
		if err != nil {
			return nil, fmt.Errorf("master passphrase in $%s: %w", name, err)
		}
		return m, nil
	}
	if name := cfg.Keys.MasterKeyEnv; name != "" {
		if v := os.Getenv(name); v != "" {
			m, err := local.MasterFromHex(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("master key in $%s: %w", name, err)
			}
			return m, nil
		}
	}
	if !create {
		if _, err := os.Stat(cfg.Keys.MasterKeyFile); err != nil {
			return nil, fmt.Errorf("no master key: set $%s or keys.master_key_file (%s does not exist; `coffer dev` creates one)", cfg.Keys.MasterKeyEnv, cfg.Keys.MasterKeyFile)
		}
	}
	m, created, err := local.LoadOrCreateMasterFile(cfg.Keys.MasterKeyFile)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if created {
		log.Warn("generated a new master key; back it up — without it the local keys cannot be opened", "file", cfg.Keys.MasterKeyFile)
	}
	return m, nil
}

// wire builds the chain-facing parts and the HTTP API over clients.
func (a *app) wire(ctx context.Context) error {
	cfg := a.cfg
	chains := map[uint64]txm.ChainConfig{}
	var ids []uint64
	for _, c := range cfg.Chains {
		client := a.clients[c.ID]
		if client == nil {
			return fmt.Errorf("chain %d has no client", c.ID)
		}
		chains[c.ID] = txm.ChainConfig{Client: client, Confirmations: c.Confirmations, PollInterval: c.PollInterval,
			FeeSpeed: c.FeeSpeed, FeeBlocks: c.FeeHistoryBlocks, MaxFeePerGas: gweiToWei(c.MaxFeeGwei), GasBuffer: c.GasBuffer,
			ResubmitAfter: c.ResubmitAfter, BumpPercent: c.FeeBumpPercent, GasTank: gasTank(c.GasTank)}
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return errors.New("no chain configured: set chains in the config file, or COFFER_CHAIN_ID and COFFER_RPC_URLS")
	}
	chain.RegisterErrors(artifacts.ABI())
	a.txm = txm.New(a.store, a.custodian, chains, a.log)
	a.txm.SetPlatform(func(ctx context.Context) (common.Address, error) { // the gas tank's funder
		w, err := a.custodian.PlatformWallet(ctx)
		if err != nil {
			return common.Address{}, err
		}
		return w.Address, nil
	})
	a.nft = nft.New(a.store, a.blob, a.custodian, a.txm, nft.Config{
		PublicURL: cfg.HTTP.PublicURL, MaxMetadataBytes: cfg.NFT.MaxMetadataBytes, AllowMintToOthers: cfg.NFT.AllowMintToOthers, Chains: ids,
		VoucherTTL: cfg.NFT.VoucherTTL,
	}, a.log)
	a.txm.Annotate(nft.MintedToken) // a mint's token is recorded with its transaction
	a.txm.OnChange(func(ctx context.Context, cs []txm.Change) {
		txs := make([]*coffer.Transaction, len(cs))
		for i, c := range cs {
			txs[i] = c.Tx
		}
		a.nft.OnTransactions(ctx, txs)
	})
	for _, c := range cfg.Chains {
		ix := indexer.New(a.store, a.clients[c.ID], c.PollInterval, a.log)
		a.indexers = append(a.indexers, ix)
	}
	// A mined transaction of ours is news for the indexer.
	a.txm.OnChange(func(ctx context.Context, cs []txm.Change) {
		for _, c := range cs {
			if c.Tx.Status == coffer.TxMined || c.Tx.Status == coffer.TxConfirmed {
				for _, ix := range a.indexers {
					ix.Notify()
				}
				return
			}
		}
	})
	// Events: the store writes them with each change; these hooks (after the
	// NFT service's, so a mint's own event is written too) only wake the
	// delivery worker and the streams before their next poll.
	ec := cfg.Events
	a.events = events.New(a.store, events.Config{AllowPrivateTargets: ec.AllowPrivateTargets, Timeout: ec.Timeout, MaxAge: ec.MaxAge,
		RetryInitial: ec.RetryInitial, RetryMax: ec.RetryMax, PollInterval: ec.PollInterval, Retention: ec.Retention,
		Concurrency: int(ec.Concurrency), Heartbeat: ec.Heartbeat}, a.log)
	a.txm.OnChange(func(context.Context, []txm.Change) { a.events.Notify() })
	a.txm.OnPlatformLow(publishLowBalance(a.events, a.log))
	for _, ix := range a.indexers {
		ix.OnTransfers(func(context.Context, []coffer.Transfer) { a.events.Notify() })
	}

	key, created, err := auth.LoadOrCreateSigningKey(cfg.Auth.SigningKeyFile)
	if err != nil {
		return fmt.Errorf("token signing key: %w", err)
	}
	if created {
		a.log.Info("generated a new token signing key", "file", cfg.Auth.SigningKeyFile)
	}
	var oidc []auth.OIDCProvider
	for _, o := range cfg.Auth.OIDC {
		oidc = append(oidc, auth.OIDCProvider{Issuer: o.Issuer, Audience: o.Audience, JWKSURL: o.JWKSURL, RolesClaim: o.RolesClaim})
	}
	a.auth, err = auth.NewService(a.store, key, auth.Config{
		Issuer: cfg.Auth.Issuer, AccessTTL: cfg.Auth.AccessTTL, RefreshTTL: cfg.Auth.RefreshTTL, NonceTTL: cfg.Auth.NonceTTL, Skew: cfg.Auth.Skew,
		SIWEDomain: cfg.Auth.SIWE.Domain, SIWEScheme: cfg.Auth.SIWE.Scheme, SIWEURI: cfg.Auth.SIWE.URI, ChainID: ids[0], OIDC: oidc,
	})
	if err != nil {
		return err
	}
	gw, err := newGateway(cfg, a.store, a.custodian, a.txm, a.log) // gateway.go
	if err != nil {
		return err
	}
	a.api = api.New(api.Deps{Store: a.store, Blob: a.blob, Auth: a.auth, Custody: a.custodian, NFT: a.nft, Txm: a.txm, Events: a.events, Gateway: gw, Log: a.log}, api.Config{
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes, MaxUploadBytes: cfg.HTTP.MaxUploadBytes, CORSOrigins: cfg.HTTP.CORSOrigins, Chains: ids, PublicURL: cfg.HTTP.PublicURL,
	})
	registerGasTankGauges(a.api, a.txm)
	return nil
}

// gasTank converts a chain's gas_tank block (validated by config) for txm;
// nil when it is off.
func gasTank(g config.GasTank) *txm.GasTank {
	if !g.Enabled() {
		return nil
	}
	wei := func(s string) *big.Int {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil
		}
		return v
	}
	return &txm.GasTank{TopUp: wei(g.TopUpWei), MinBalance: wei(g.MinBalanceWei), MaxPerWalletPerDay: wei(g.MaxPerWalletPerDayWei), PlatformLow: wei(g.PlatformLowWei)}
}

// registerGasTankGauges exposes the platform wallet's balance on chains with
// a gas tank at /metrics, and whether it is below gas_tank.platform_low_wei.
func registerGasTankGauges(s *api.Server, m *txm.Manager) {
	s.RegisterGauge("coffer_platform_balance_wei", "Last read balance of the platform wallet (funds gas-tank top-ups), in wei.", func() []api.Sample {
		var out []api.Sample
		for _, b := range m.PlatformBalances() {
			if b.Balance != nil {
				f, _ := new(big.Float).SetInt(b.Balance).Float64()
				out = append(out, api.Sample{Labels: map[string]string{"chain_id": strconv.FormatUint(b.ChainID, 10), "address": b.Address.Hex()}, Value: f})
			}
		}
		return out
	})
	s.RegisterGauge("coffer_platform_low_balance", "1 when the platform wallet holds less than gas_tank.platform_low_wei on the chain, else 0.", func() []api.Sample {
		var out []api.Sample
		for _, b := range m.PlatformBalances() {
			v := 0.0
			if b.Low {
				v = 1
			}
			out = append(out, api.Sample{Labels: map[string]string{"chain_id": strconv.FormatUint(b.ChainID, 10)}, Value: v})
		}
		return out
	})
}

// run serves HTTP and runs the background workers until ctx ends.
func (a *app) run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (http.addr): %w", a.cfg.HTTP.Addr, err)
	}
	srv := &http.Server{
		Handler: a.api.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: a.cfg.HTTP.ReadTimeout, WriteTimeout: a.cfg.HTTP.WriteTimeout, IdleTimeout: 2 * time.Minute,
	}
	var wg sync.WaitGroup
	bg, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { a.txm.Run(bg) })
	for _, ix := range a.indexers {
		wg.Go(func() { ix.Run(bg) })
	}
	wg.Go(func() { a.events.Run(bg) })
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	_ = srv.Shutdown(sctx)
	stop()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// ensureAdminKey seeds the bootstrap admin key, or creates one to print.
func (a *app) ensureAdminKey(ctx context.Context, generate bool) (string, error) {
	if k := a.cfg.Auth.BootstrapAdminKey; k != "" {
		return k, a.auth.EnsureAPIKey(ctx, k, "bootstrap", []string{coffer.RoleAdmin})
	}
	if !generate {
		return "", nil
	}
	return a.auth.CreateAPIKey(ctx, "dev-admin-"+time.Now().UTC().Format("20060102T150405"), []string{coffer.RoleAdmin})
}

// gweiToWei converts a configured gwei amount (nil for 0: no cap).
func gweiToWei(g float64) *big.Int {
	if g <= 0 {
		return nil
	}
	wei, _ := new(big.Float).Mul(big.NewFloat(g), big.NewFloat(1e9)).Int(nil)
	return wei
}

// loadOrCreateSalt reads the passphrase salt (hex), creating a random one
// when allowed. The salt is not secret, but losing it loses the keys.
func loadOrCreateSalt(path string, create bool) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		salt, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(salt) < local.MinSaltLen {
			return nil, fmt.Errorf("passphrase salt %s is not %d+ bytes of hex", path, local.MinSaltLen)
		}
		return salt, nil
	} else if !os.IsNotExist(err) || !create {
		return nil, fmt.Errorf("passphrase salt %s: %w (it is created by `coffer dev`; keep it with your backups)", path, err)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(salt)), 0o600); err != nil {
		return nil, fmt.Errorf("write passphrase salt: %w", err)
	}
	return salt, nil
}

// checkMaster refuses to start with a master key that wrapped none of the
// existing local keys (a wrong key, passphrase or KMS key), rather than
// starting and failing at the first signature.
func checkMaster(ctx context.Context, ks coffer.KeyStore, master local.MasterKey) error {
	recs, err := ks.Keys(ctx, coffer.BackendLocal)
	if err != nil || len(recs) == 0 {
		return err
	}
	for _, r := range recs {
		if r.MasterID == master.ID() {
			dk, err := master.Unwrap(ctx, r.WrappedKey)
			clear(dk)
			if err != nil {
				return fmt.Errorf("master key %s cannot unwrap key %s: %w", master.ID(), r.ID, err)
			}
			return nil
		}
	}
	return fmt.Errorf("the configured master key (%s) wrapped none of the %d local keys (they use %s): wrong master key, passphrase or KMS key?", master.ID(), len(recs), recs[0].MasterID)
}

// publishLowBalance makes the gas tank's "platform wallet below
// gas_tank.platform_low_wei" (once per crossing) a platform.low_balance event
// for admins.
func publishLowBalance(ev *events.Service, log *slog.Logger) func(context.Context, txm.PlatformBalance) {
	return func(ctx context.Context, b txm.PlatformBalance) {
		data, _ := json.Marshal(map[string]any{"chain_id": b.ChainID, "address": b.Address.Hex(), "balance_wei": fmt.Sprint(b.Balance),
			"threshold_wei": fmt.Sprint(b.Threshold)})
		if err := ev.Publish(ctx, &coffer.Event{Type: coffer.EventLowBalance, Subject: fmt.Sprintf("platform:%d", b.ChainID), Data: data}); err != nil {
			log.Warn("events: publish platform.low_balance", "err", err)
		}
	}
}
