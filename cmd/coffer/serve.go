package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/custody"
)

const serveSummary = `Runs the HTTP API, the transaction manager and the indexer against the JSON-RPC nodes
in the configuration (each node's chain id is checked at start). The platform wallet
(treasury and minter) is imported once from platform.private_key_file or the variable
named by platform.private_key_env (default COFFER_PLATFORM_KEY), as hex.`

func runServe(ctx context.Context, args []string) error {
	return runInstance(ctx, "serve", serveSummary, args, startServe, nil)
}

// serveInstance is a running `coffer serve`.
type serveInstance struct {
	*instance
	Addr string // where the API listens
}

// startServe connects to the configured nodes (checking each one's chain id),
// imports the platform wallet, and returns once the API listens. It stops
// when ctx ends or on Close.
func startServe(ctx context.Context, cfg config.Config, log *slog.Logger) (*serveInstance, error) {
	if len(cfg.Chains) == 0 {
		return nil, fmt.Errorf("no chain configured: set chains in the config file, or COFFER_CHAIN_ID and COFFER_RPC_URLS")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	a, err := openServeBase(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	for _, c := range cfg.Chains {
		client, err := chain.Dial(ctx, c.ID, c.RPCURLs)
		if err != nil {
			return nil, err
		}
		a.clients[c.ID] = client
		a.closers = append(a.closers, client.Close)
		log.Info("chain connected", "chain_id", c.ID, "urls", len(c.RPCURLs))
	}
	if err := ensurePlatformWallet(ctx, a, cfg); err != nil {
		return nil, err
	}
	if err := a.wire(ctx); err != nil {
		return nil, err
	}
	if _, err := a.ensureAdminKey(ctx, false); err != nil {
		return nil, err
	}
	in, addr, err := startAPI(ctx, a)
	if err != nil {
		return nil, err
	}
	log.Info("coffer serving", "addr", addr, "public_url", cfg.HTTP.PublicURL)
	ok = true
	return &serveInstance{instance: in, Addr: addr}, nil
}

// platformKey reads the platform private key from its file or variable.
func platformKey(cfg config.Config) (*ecdsa.PrivateKey, string, error) {
	var raw, src string
	if f := cfg.Platform.PrivateKeyFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, "", fmt.Errorf("platform.private_key_file: %w", err)
		}
		raw, src = string(b), f
	} else if name := cfg.Platform.PrivateKeyEnv; name != "" && os.Getenv(name) != "" {
		raw, src = os.Getenv(name), "$"+name
	} else {
		return nil, "", nil
	}
	key, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(raw), "0x"))
	if err != nil {
		// Never echo the value: it is a private key.
		return nil, "", fmt.Errorf("platform key from %s is not a hex secp256k1 private key", src)
	}
	return key, src, nil
}

// ensurePlatformWallet imports the configured platform key into the local
// backend on first start and checks it matches on later ones.
func ensurePlatformWallet(ctx context.Context, a *app, cfg config.Config) error {
	if a.custody == nil {
		return nil // a remote signer holds the keys and imports the platform key itself
	}
	key, src, err := platformKey(cfg)
	if err != nil {
		return err
	}
	existing, err := a.custody.PlatformWallet(ctx)
	if err != nil && !coffer.IsNotFound(err) {
		return err
	}
	switch {
	case key == nil && existing == nil:
		return fmt.Errorf("no platform wallet: set %s (hex private key) or platform.private_key_file", cfg.Platform.PrivateKeyEnv)
	case key == nil:
		return nil
	case existing != nil:
		if addr := crypto.PubkeyToAddress(key.PublicKey); addr != existing.Address {
			return fmt.Errorf("platform key from %s is for %s but the platform wallet is %s", src, addr.Hex(), existing.Address.Hex())
		}
		return nil
	}
	rec, err := a.local.ImportKey(ctx, key)
	if err != nil {
		return fmt.Errorf("import platform key: %w", err)
	}
	w, err := a.custody.AdoptKey(ctx, rec, "", custody.LabelPlatform)
	if err != nil {
		return err
	}
	a.log.Info("platform wallet imported", "address", w.Address, "from", src)
	return nil
}
