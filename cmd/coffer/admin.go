package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/auth"
	"github.com/cofferhq/coffer/store"
)

func runMigrate(ctx context.Context, args []string) error {
	cfg, _, err := loadConfig("migrate", "Applies the database migrations (also done at every start) and exits.", args, nil)
	if err != nil {
		return err
	}
	if cfg.Store.Driver == "sqlite" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, cfg.Store.Driver, cfg.Store.DSN)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Printf("%s database is migrated to the latest schema\n", cfg.Store.Driver)
	return nil
}

// subcommand splits "coffer <group> <sub> …" and prints the group's help.
func subcommand(group string, args []string, subs map[string]string) (string, []string, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || subs[args[0]] == "" {
		fmt.Fprintf(os.Stderr, "Usage: coffer %s <command> [flags]\n\nCommands:\n", group)
		for name, s := range subs {
			fmt.Fprintf(os.Stderr, "  %-8s %s\n", name, s)
		}
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
			return "", nil, flag.ErrHelp
		}
		return "", nil, fmt.Errorf("unknown %s command %q", group, args[0])
	}
	return args[0], args[1:], nil
}

func runAPIKey(ctx context.Context, args []string) error {
	sub, rest, err := subcommand("apikey", args, map[string]string{"create": "create an operator API key and print it (once)"})
	if err != nil {
		return err
	}
	_ = sub
	var name, roles string
	cfg, _, err := loadConfig("apikey create", "Creates an API key with the given roles and prints its token. Only a hash is stored.", rest, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "a name for the key, shown in listings (required)")
		fs.StringVar(&roles, "roles", coffer.RoleAdmin, "comma-separated roles")
	})
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("--name is required")
	}
	st, err := store.Open(ctx, cfg.Store.Driver, cfg.Store.DSN)
	if err != nil {
		return err
	}
	defer st.Close()
	token, key := auth.GenerateAPIKey()
	key.Name, key.Roles = name, strings.Split(roles, ",")
	for _, r := range key.Roles {
		if r != coffer.RoleAdmin && r != coffer.RoleUser {
			return fmt.Errorf("unknown role %q (admin, user)", r)
		}
	}
	if err := st.CreateAPIKey(ctx, key); err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

func runKeys(ctx context.Context, args []string) error {
	sub, rest, err := subcommand("keys", args, map[string]string{
		"create":        "create a custodial wallet key",
		"list":          "list wallets and their key backends",
		"import":        "import a hex private key or a V3 keystore JSON into the local backend",
		"disable":       "disable a wallet: it refuses to sign (audited)",
		"enable":        "enable a disabled wallet (audited)",
		"rotate-master": "re-wrap every local key under a new master key (see keyslife.go)",
	})
	if err != nil {
		return err
	}
	if sub == "disable" || sub == "enable" || sub == "rotate-master" {
		return runKeysLifecycle(ctx, sub, rest)
	}
	var owner, label, backend, hexFile, keystoreFile, passEnv string
	cfg, _, err := loadConfig("keys "+sub, "Manages custodial keys; key material never leaves the backend.", rest, func(fs *flag.FlagSet) {
		switch sub {
		case "create":
			fs.StringVar(&owner, "owner", "", "user id owning the wallet (empty: unowned, admin use)")
			fs.StringVar(&label, "label", "", "a label for the wallet")
			fs.StringVar(&backend, "backend", "", "key backend (default keys.backend)")
		case "list":
			fs.StringVar(&owner, "owner", "", "only this user's wallets")
		case "import":
			fs.StringVar(&owner, "owner", "", "user id owning the wallet")
			fs.StringVar(&label, "label", "", "a label for the wallet")
			fs.StringVar(&hexFile, "hex-file", "", "file holding a hex private key")
			fs.StringVar(&keystoreFile, "keystore", "", "V3 keystore JSON file")
			fs.StringVar(&passEnv, "password-env", "COFFER_KEYSTORE_PASSWORD", "variable holding the keystore password")
		}
	})
	if err != nil {
		return err
	}
	a, err := openBase(ctx, cfg, newLogger(cfg), false)
	if err != nil {
		return err
	}
	defer a.close()
	switch sub {
	case "create":
		w, err := a.custody.CreateWallet(ctx, owner, backend, label)
		if err != nil {
			return err
		}
		fmt.Println(w.Address.Hex())
	case "list":
		ws, _, err := a.store.Wallets(ctx, owner, 500, "")
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ADDRESS\tBACKEND\tOWNER\tLABEL\tDISABLED\tCREATED")
		for _, w := range ws {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", w.Address.Hex(), w.Backend, w.OwnerID, w.Label, w.Disabled, w.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	case "import":
		var raw []byte
		switch {
		case hexFile != "" && keystoreFile == "":
			b, err := os.ReadFile(hexFile)
			if err != nil {
				return err
			}
			key, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(b)), "0x"))
			if err != nil {
				return fmt.Errorf("%s does not hold a hex secp256k1 private key", hexFile)
			}
			raw = crypto.FromECDSA(key)
		case keystoreFile != "" && hexFile == "":
			js, err := os.ReadFile(keystoreFile)
			if err != nil {
				return err
			}
			k, err := keystore.DecryptKey(js, os.Getenv(passEnv))
			if err != nil {
				return fmt.Errorf("decrypt keystore (password from $%s): %w", passEnv, err)
			}
			raw = crypto.FromECDSA(k.PrivateKey)
		default:
			return fmt.Errorf("give exactly one of --hex-file or --keystore")
		}
		key, err := crypto.ToECDSA(raw)
		clear(raw)
		if err != nil {
			return err
		}
		rec, err := a.local.ImportKey(ctx, key)
		if err != nil {
			return err
		}
		w, err := a.custody.AdoptKey(ctx, rec, owner, label)
		if err != nil {
			return err
		}
		fmt.Println(w.Address.Hex())
	}
	return nil
}
