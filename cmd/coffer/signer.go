package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/signer"
)

const signerSummary = `Runs custody — the key backends, ownership checks, signing policies and the audit
log — as an isolated process, the role of the Nitro Enclave in the AWS reference
architecture. It listens on signer.listen: a Unix socket (mode 0600, default
<data-dir>/signer.sock) or tcp://host:port with mutual TLS (signer.tls.cert, key,
client_ca). Point ` + "`coffer serve`" + ` at it with signer.remote; the API process then holds
no key material. The signer needs the store, the keys settings (master key) and,
on first start, the platform key (platform.private_key_file or $COFFER_PLATFORM_KEY),
which it imports.`

func runSigner(ctx context.Context, args []string) error {
	return runInstance(ctx, "signer", signerSummary, args, startSigner, nil)
}

// signerInstance is a running `coffer signer`.
type signerInstance struct {
	*instance
	Addr string // the listener's address
}

// startSigner opens the store and the key backends, imports the platform
// key when one is configured, and returns once the signer listens.
func startSigner(ctx context.Context, cfg config.Config, log *slog.Logger) (*signerInstance, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var tlsCfg *tls.Config
	if strings.HasPrefix(cfg.Signer.Listen, "tcp://") {
		var err error
		if tlsCfg, err = signer.ServerTLS(cfg.Signer.TLS.Cert, cfg.Signer.TLS.Key, cfg.Signer.TLS.ClientCA); err != nil {
			return nil, err
		}
	}
	a, err := openBase(ctx, cfg, log, false)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	if key, _, err := platformKey(cfg); err != nil {
		return nil, err
	} else if key != nil {
		if err := ensurePlatformWallet(ctx, a, cfg); err != nil {
			return nil, err
		}
	}
	ln, err := signer.Listen(cfg.Signer.Listen, tlsCfg)
	if err != nil {
		return nil, err
	}
	h := signer.NewServer(a.custody, signer.ServerOptions{Log: log})
	in := startInstance(ctx, a, func(ctx context.Context) error { return signer.Serve(ctx, ln, h) })
	addr := ln.Addr().String()
	log.Info("coffer signer listening", "listen", cfg.Signer.Listen, "addr", addr, "mutual_tls", tlsCfg != nil)
	ok = true
	return &signerInstance{instance: in, Addr: addr}, nil
}
