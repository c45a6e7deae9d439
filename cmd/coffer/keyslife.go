package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/user"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/policy"
)

// policyFromConfig turns the validated policy section into the domain type.
func policyFromConfig(c config.Policy) (coffer.Policy, error) {
	p := coffer.Policy{ChainIDs: c.ChainIDs, RawHash: c.RawHash}
	for _, a := range c.To {
		p.To = append(p.To, common.HexToAddress(a))
	}
	for _, v := range []struct {
		s   string
		dst **big.Int
	}{{c.MaxValuePerTx, &p.MaxValuePerTx}, {c.MaxValuePerDay, &p.MaxValuePerDay}} {
		if v.s == "" {
			continue
		}
		n, ok := new(big.Int).SetString(v.s, 10)
		if !ok {
			return p, fmt.Errorf("policy: %q is not a decimal amount of wei", v.s)
		}
		*v.dst = n
	}
	for _, d := range c.TypedDataDomains {
		r := coffer.DomainRule{Name: d.Name}
		if d.VerifyingContract != "" {
			a := common.HexToAddress(d.VerifyingContract)
			r.VerifyingContract = &a
		}
		if d.ChainID != 0 {
			id := d.ChainID
			r.ChainID = &id
		}
		p.TypedDataDomains = append(p.TypedDataDomains, r)
	}
	return p, policy.Validate(&p)
}

// cliPrincipal is the operator at the terminal: an admin, named in audit
// records as cli:<os user>.
func cliPrincipal() *coffer.Principal {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return &coffer.Principal{Issuer: "cli", Subject: name, Roles: []string{coffer.RoleAdmin}}
}

// runKeysLifecycle runs `keys disable|enable|rotate-master`.
func runKeysLifecycle(ctx context.Context, sub string, args []string) error {
	var address, newFile, newEnv string
	summary := map[string]string{
		"disable": "Disables a wallet: it refuses every signature until enabled again. Audited.",
		"enable":  "Enables a disabled wallet. Audited.",
		"rotate-master": "Re-wraps the data key of every local key under a new master key, online: each\n" +
			"key is checked to decrypt under the old master and to unwrap under the new one\n" +
			"before its record changes, and a repeated run skips keys already rotated. Then\n" +
			"point keys.master_key_file (or $COFFER_MASTER_KEY) at the new key and restart every\n" +
			"coffer process; keep the old key until they have restarted.",
	}[sub]
	cfg, _, err := loadConfig("keys "+sub, summary, args, func(fs *flag.FlagSet) {
		switch sub {
		case "disable", "enable":
			fs.StringVar(&address, "address", "", "wallet address (required)")
		case "rotate-master":
			fs.StringVar(&newFile, "new-master-file", "", "file holding the new hex master key (created, mode 0600, when it does not exist)")
			fs.StringVar(&newEnv, "new-master-env", "", "name of an env var holding the new hex master key (instead of --new-master-file)")
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
	case "disable", "enable":
		if !common.IsHexAddress(address) {
			return errors.New("--address must be a wallet address (0x and 40 hex digits)")
		}
		w, err := a.custody.SetWalletDisabled(ctx, cliPrincipal(), common.HexToAddress(address), sub == "disable")
		if err != nil {
			return err
		}
		fmt.Printf("%s %sd\n", w.Address.Hex(), sub)
		return nil
	}

	// rotate-master
	var next local.MasterKey
	switch {
	case newFile != "" && newEnv == "":
		m, created, err := local.LoadOrCreateMasterFile(newFile)
		if err != nil {
			return fmt.Errorf("new master key: %w", err)
		}
		if created {
			fmt.Fprintf(os.Stderr, "generated a new master key in %s; back it up before anything else\n", newFile)
		}
		next = m
	case newEnv != "" && newFile == "":
		v := os.Getenv(newEnv)
		if v == "" {
			return fmt.Errorf("$%s is empty", newEnv)
		}
		m, err := local.MasterFromHex(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("new master key in $%s: %w", newEnv, err)
		}
		next = m
	default:
		return errors.New("give exactly one of --new-master-file or --new-master-env")
	}
	old, err := loadMaster(ctx, cfg, false, a.log)
	if err != nil {
		return err
	}
	n, err := local.RewrapAll(ctx, a.store, old, next)
	if err != nil {
		return fmt.Errorf("rotated %d keys, then: %w (run again to continue; rotated keys are skipped)", n, err)
	}
	recs, err := a.store.Keys(ctx, coffer.BackendLocal)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.MasterID != next.ID() {
			return fmt.Errorf("key %s is still wrapped by master %s (created during the rotation?): run again", r.ID, r.MasterID)
		}
	}
	fmt.Printf("re-wrapped %d local keys (%d in all) from master %s to master %s\n", n, len(recs), old.ID(), next.ID())
	fmt.Println("now configure the new master key and restart every coffer process; keep the old one until then")
	return nil
}
