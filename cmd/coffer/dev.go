package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/chain/devchain"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/nft"
)

const devSummary = `Runs coffer with embedded defaults: an in-process go-ethereum dev chain (JSON-RPC over
HTTP and WebSocket on --rpc-addr, chain id 1337, mining as transactions arrive), a SQLite
database, a local blob directory and a generated master key under --data-dir, the HTTP
API on --http-addr, a prefunded platform wallet and a deployed demo ERC-721 collection.`

// platformFunds is what the dev chain gives the platform wallet at genesis.
var platformFunds = new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(1e18))

func runDev(ctx context.Context, args []string) error {
	return runInstance(ctx, "dev", devSummary, args, startDev, func(cfg config.Config, d *devInstance) {
		fmt.Printf(`
coffer dev is running
  API             %s   (listening on %s)
  JSON-RPC        %s   (WebSocket %s)
  chain id        %d
  admin API key   %s
  platform wallet %s
  demo collection %s at %s
  data dir        %s

Try: go run ./cmd/coffer demo --api %s
Stop with Ctrl-C.
`, cfg.HTTP.PublicURL, d.Addr, orDash(d.Chain.URL()), orDash(d.Chain.WSURL()), d.Chain.ChainID(), d.AdminKey, d.Platform.Address.Hex(),
			d.Demo.ID, d.Demo.Address.Hex(), cfg.DataDir, cfg.HTTP.PublicURL)
	})
}

// devInstance is a running `coffer dev`; Close stops the chain too.
type devInstance struct {
	*instance
	Chain    *devchain.Chain
	Addr     string // where the API listens
	AdminKey string
	Platform *coffer.Wallet
	Demo     *coffer.Collection
}

// startDev brings up the whole embedded stack and returns once the API
// listens and the demo collection is deployed.
func startDev(ctx context.Context, cfg config.Config, log *slog.Logger) (*devInstance, error) {
	if len(cfg.Chains) > 0 {
		log.Warn("dev runs its own chain; ignoring the configured chains", "chains", len(cfg.Chains))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if cfg.Dev.Fresh {
		log.Warn("--fresh: starting the dev chain and the database afresh", "data_dir", cfg.DataDir)
		if err := devchain.RemoveData(cfg.Dev.ChainDir); err != nil {
			return nil, err
		}
		if cfg.Store.Driver == "sqlite" {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(cfg.Store.DSN + suffix)
			}
		}
	}
	a, err := openBase(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	if cfg.Dev.Fresh && cfg.Store.Driver != "sqlite" {
		if err := a.store.ResetChainState(ctx); err != nil {
			return nil, err
		}
	}

	platform, err := a.custody.PlatformWallet(ctx)
	if coffer.IsNotFound(err) {
		platform, err = a.custody.CreateWallet(ctx, "", coffer.BackendLocal, custody.LabelPlatform)
	}
	if err != nil {
		return nil, fmt.Errorf("platform wallet: %w", err)
	}

	chainCfg := devchain.Config{ChainID: cfg.Dev.ChainID, Addr: cfg.Dev.RPCAddr, BlockPeriod: cfg.Dev.BlockPeriod,
		Alloc: map[common.Address]*big.Int{platform.Address: platformFunds}, Logger: log}
	if cfg.Dev.Persist {
		chainCfg.Dir = cfg.Dev.ChainDir
	}
	dc, err := devchain.Start(chainCfg)
	if errors.Is(err, devchain.ErrGenesisMismatch) {
		log.Warn("the stored dev chain was made for another platform wallet; starting the chain afresh", "dir", cfg.Dev.ChainDir)
		if err := devchain.RemoveData(cfg.Dev.ChainDir); err != nil {
			return nil, err
		}
		dc, err = devchain.Start(chainCfg)
	}
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { dc.Close() })
	client := chain.NewFromRPC(dc.ChainID(), dc.RPC())
	client.SetDirect(dc.Direct())
	if err := reconcile(ctx, a, client, dc.Fresh); err != nil {
		return nil, err
	}

	a.cfg.Chains = []config.Chain{{ID: dc.ChainID(), Name: "dev", RPCURLs: []string{dc.URL()}, Confirmations: 1, PollInterval: 250 * time.Millisecond,
		GasTank: cfg.Dev.GasTank}}
	a.clients[dc.ChainID()] = client
	if cfg.Dev.EventsAllowPrivateTargets { // a receiver on this machine
		a.cfg.Events.AllowPrivateTargets = true
	}
	if err := a.wire(ctx); err != nil {
		return nil, err
	}
	adminKey, err := devAdminKey(ctx, a)
	if err != nil {
		return nil, err
	}

	in, addr, err := startAPI(ctx, a)
	if err != nil {
		return nil, err
	}
	d := &devInstance{instance: in, Chain: dc, Addr: addr, AdminKey: adminKey, Platform: platform}
	if d.Demo, err = ensureDemoCollection(ctx, a, dc.ChainID()); err != nil {
		in.stop()
		in.Wait()
		return nil, err
	}
	ok = true
	return d, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// reconcile keeps the database in agreement with the dev chain: if the chain
// is new, or lacks a contract the database believes in, chain state in the
// database is cleared (and the user told) rather than left pointing nowhere.
func reconcile(ctx context.Context, a *app, client *chain.Client, freshChain bool) error {
	cols, _, err := a.store.Collections(ctx, 500, "")
	if err != nil {
		return err
	}
	_, cursorHash, err := a.store.IndexCursor(ctx, client.ID())
	if err != nil {
		return err
	}
	stale := ""
	switch {
	case freshChain && (len(cols) > 0 || cursorHash != (common.Hash{})):
		stale = "the dev chain is new but the database remembers an older one"
	default:
		for _, c := range cols {
			if c.ChainID != client.ID() || c.Address == nil {
				continue
			}
			code, err := client.Code(ctx, *c.Address)
			if err != nil {
				return err
			}
			if len(code) == 0 {
				stale = fmt.Sprintf("collection %s has no contract at %s on the dev chain", c.ID, c.Address.Hex())
				break
			}
		}
	}
	if stale == "" {
		return nil
	}
	a.log.Warn("database and dev chain disagree; clearing chain state from the database (wallets, users and keys are kept)", "why", stale)
	fmt.Fprintf(os.Stderr, "coffer dev: %s — cleared transactions, collections, mints and the index so they match the chain.\n", stale)
	return a.store.ResetChainState(ctx)
}

// devAdminKey returns the admin API key for the banner: the bootstrap key
// when configured, else one generated on first start and kept (0600) in the
// data directory so restarts print the same key.
func devAdminKey(ctx context.Context, a *app) (string, error) {
	if a.cfg.Auth.BootstrapAdminKey != "" {
		return a.ensureAdminKey(ctx, false)
	}
	path := filepath.Join(a.cfg.DataDir, "admin.key")
	if b, err := os.ReadFile(path); err == nil {
		k := string(b)
		if err := a.auth.EnsureAPIKey(ctx, k, "dev-admin", []string{coffer.RoleAdmin}); err == nil {
			return k, nil
		}
	}
	k, err := a.ensureAdminKey(ctx, true)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(k), 0o600); err != nil {
		return "", fmt.Errorf("save dev admin key: %w", err)
	}
	return k, nil
}

// ensureDemoCollection deploys the demo collection on first start and waits
// until it is on chain.
func ensureDemoCollection(ctx context.Context, a *app, chainID uint64) (*coffer.Collection, error) {
	cols, _, err := a.store.Collections(ctx, 500, "")
	if err != nil {
		return nil, err
	}
	var demo *coffer.Collection
	for _, c := range cols {
		if c.ChainID == chainID && c.Name == "Coffer Demo" && c.Status != coffer.CollectionFailed {
			demo = c
		}
	}
	if demo == nil {
		admin := &coffer.Principal{Issuer: "system", Subject: "dev", Roles: []string{coffer.RoleAdmin}}
		if demo, err = a.nft.CreateCollection(ctx, admin, nft.CollectionRequest{ChainID: chainID, Name: "Coffer Demo", Symbol: "CDEMO"}); err != nil {
			return nil, fmt.Errorf("deploy demo collection: %w", err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for demo.Status != coffer.CollectionDeployed {
		if demo.Status == coffer.CollectionFailed {
			return nil, fmt.Errorf("demo collection %s failed to deploy", demo.ID)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("demo collection %s not deployed after 60s", demo.ID)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if demo, err = a.store.Collection(ctx, demo.ID); err != nil {
			return nil, err
		}
	}
	return demo, nil
}
