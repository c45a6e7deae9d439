package main

import (
	"context"
	"log/slog"

	"github.com/cofferhq/coffer/config"
)

// instance is what `dev`, `serve` and `signer` have in common once started:
// the app and what runs on it in the background until the caller's context
// ends or Close.
type instance struct {
	*app
	stop   context.CancelFunc
	errc   chan error
	done   error
	waited bool
}

// startInstance runs run on a context derived from ctx.
func startInstance(ctx context.Context, a *app, run func(context.Context) error) *instance {
	runCtx, stop := context.WithCancel(ctx)
	in := &instance{app: a, stop: stop, errc: make(chan error, 1)}
	go func() { in.errc <- run(runCtx) }()
	return in
}

// startAPI runs the HTTP API and the background workers (app.run) and
// returns once the API listens, with its address.
func startAPI(ctx context.Context, a *app) (*instance, string, error) {
	ready := make(chan string, 1)
	in := startInstance(ctx, a, func(ctx context.Context) error {
		return a.run(ctx, func(addr string) { ready <- addr })
	})
	select {
	case addr := <-ready:
		return in, addr, nil
	case err := <-in.errc:
		in.stop()
		return nil, "", err
	}
}

// Wait blocks until the instance stops and returns why (every time).
func (in *instance) Wait() error {
	if !in.waited {
		in.done, in.waited = <-in.errc, true
	}
	return in.done
}

// Close stops what runs, waits for it, and closes the app: store, nodes,
// key backends, in the reverse order of opening.
func (in *instance) Close() {
	in.stop()
	in.Wait()
	in.app.close()
}

// runInstance is a long-running command: it loads the configuration,
// starts the command with a logger from it, calls started (when not nil),
// and returns when the command stops.
func runInstance[T interface {
	Wait() error
	Close()
}](ctx context.Context, name, summary string, args []string,
	start func(context.Context, config.Config, *slog.Logger) (T, error), started func(config.Config, T)) error {
	cfg, _, err := loadConfig(name, summary, args, nil)
	if err != nil {
		return err
	}
	in, err := start(ctx, cfg, newLogger(cfg))
	if err != nil {
		return err
	}
	defer in.Close()
	if started != nil {
		started(cfg, in)
	}
	return in.Wait()
}
