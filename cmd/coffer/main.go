// Command coffer is the self-hosted custodial Web3 backend: one binary that
// runs the API, the transaction manager and the indexer, embedded on a
// laptop (`coffer dev`) or against real infrastructure (`coffer serve`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/cofferhq/coffer/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
	signs         bool // runs custody or drives it at full load: see signingProcs
}

func commands() []command {
	return []command{
		{"dev", "run everything embedded: dev chain, SQLite, local keys, API", runDev, true},
		{"serve", "run the API, transaction manager and indexer against configured nodes", runServe, true},
		{"signer", "run custody (keys, policies, audit) as an isolated signer for `serve`", runSigner, true},
		{"migrate", "apply database migrations and exit", runMigrate, false},
		{"apikey", "manage operator API keys (apikey create)", runAPIKey, false},
		{"keys", "manage custodial keys (keys create | list | import | disable | enable | rotate-master)", runKeys, false},
		{"audit", "verify the signing audit log's hash chain (audit verify)", runAudit, false},
		{"demo", "act as a client of a running server: sign in with SIWE and mint three NFTs", runDemo, false},
		{"bench", "load generators: bench sign (sign-hash over HTTP), bench mint (mints to confirmed)", runBench, true},
		{"version", "print the version", runVersion, false},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "coffer — self-hosted custodial Web3 backend\n\nUsage: coffer <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun `coffer <command> --help` for a command's flags. Configuration: docs/CONFIG.md.\n")
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage(os.Stdout)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands() {
		if c.name == name {
			if c.signs {
				signingProcs()
			}
			err := c.run(ctx, os.Args[2:])
			if errors.Is(err, flag.ErrHelp) {
				return
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "coffer %s: %v\n", name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "coffer: unknown command %q\n\n", name)
	usage(os.Stderr)
	os.Exit(2)
}

// loadConfig parses a command's flags over the configuration file and
// environment. extra registers command-specific flags.
func loadConfig(name, summary string, args []string, extra func(fs *flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("coffer "+name, flag.ContinueOnError)
	def := config.Default()
	def.RegisterFlags(fs)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: coffer %s [flags]\n\n%s\n\nFlags (each also settable by file and environment, see docs/CONFIG.md):\n", name, summary)
		fs.PrintDefaults()
	}
	cfg, err := config.FromArgs(fs, args, os.Getenv)
	return cfg, fs, err
}

// simpleFlags parses a command that needs no configuration.
func simpleFlags(name, summary string, args []string, extra func(fs *flag.FlagSet)) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet("coffer "+name, flag.ContinueOnError)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: coffer %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs, fs.Parse(args)
}

func runVersion(ctx context.Context, args []string) error {
	if _, err := simpleFlags("version", "Print the version and build information.", args, nil); err != nil {
		return err
	}
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		fmt.Printf("coffer %s %s\n", v, bi.GoVersion)
		return nil
	}
	fmt.Printf("coffer %s\n", v)
	return nil
}
