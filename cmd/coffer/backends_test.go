package main

import (
	"context"
	"os"
	"testing"
	"time"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/keys/awskms/kmstest"
)

// TestWalletOnAWSKMS runs the full stack with the AWS KMS backend configured
// against the in-repo KMS server (real aws-sdk-go-v2 client on the wire): a
// user creates a wallet on it and signs; the signature recovers to the wallet.
func TestWalletOnAWSKMS(t *testing.T) {
	kms := kmstest.NewServer()
	defer kms.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDKMSTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "kmstest-secret")
	cfg := devConfig(t, t.TempDir())
	cfg.Keys.AWSKMS.Endpoint = kms.URL
	cfg.Keys.AWSKMS.Region = kmstest.Region
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, _, _ := signedIn(t, ctx, cfg.HTTP.PublicURL)
	addr := walletOn(t, ctx, c, "awskms")
	if kms.KeyCount() != 1 {
		t.Fatalf("KMS keys %d after creating one wallet", kms.KeyCount())
	}
	var out struct{ Signature string }
	if err := c.do(ctx, "POST", "/v1/wallets/"+addr.Hex()+"/sign-message", map[string]string{"message": "hello from KMS"}, &out); err != nil {
		t.Fatal(err)
	}
	sig, err := hexutil.Decode(out.Signature)
	if err != nil || len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
		t.Fatalf("signature %s", out.Signature)
	}
	sig[64] -= 27
	pub, err := crypto.SigToPub(accounts.TextHash([]byte("hello from KMS")), sig)
	if err != nil || crypto.PubkeyToAddress(*pub) != addr {
		t.Fatalf("signature does not recover to the KMS wallet: %v", err)
	}
	if kms.Calls("Sign") == 0 {
		t.Fatal("KMS was never asked to sign")
	}
}

// TestMasterKeySources starts the stack with the local backend's master key
// from a passphrase and from an AWS KMS symmetric key; each survives a restart
// (the platform wallet, created on the first start, still signs).
func TestMasterKeySources(t *testing.T) {
	t.Run("passphrase", func(t *testing.T) {
		t.Setenv("TEST_COFFER_PASSPHRASE", "correct horse battery staple")
		dir := t.TempDir()
		cfg := devConfig(t, dir)
		cfg.Keys.MasterPassphraseEnv = "TEST_COFFER_PASSPHRASE"
		d := startTestDev(t, cfg)
		platform := d.Platform.Address
		d.Close()
		if _, err := os.Stat(cfg.Keys.MasterKeyFile); err == nil {
			t.Fatal("a master key file was written although a passphrase was configured")
		}
		cfg = devConfig(t, dir)
		cfg.Keys.MasterPassphraseEnv = "TEST_COFFER_PASSPHRASE"
		d = startTestDev(t, cfg)
		defer d.Close()
		if d.Platform.Address != platform {
			t.Fatal("platform wallet changed across restart")
		}
		signWithPlatform(t, d)

		// A wrong passphrase cannot open the keys.
		d.Close()
		t.Setenv("TEST_COFFER_PASSPHRASE", "wrong")
		if _, err := startDev(context.Background(), cfg, testenv.Logger()); err == nil {
			t.Fatal("started with a wrong passphrase")
		}
	})
	t.Run("kms", func(t *testing.T) {
		kms := kmstest.NewServer()
		defer kms.Close()
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDKMSTEST")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "kmstest-secret")
		out, err := kms.Client().CreateKey(context.Background(), &awskms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		cfg := devConfig(t, t.TempDir())
		cfg.Keys.MasterKMSKey = *out.KeyMetadata.Arn
		cfg.Keys.AWSKMS.Endpoint, cfg.Keys.AWSKMS.Region = kms.URL, kmstest.Region
		d := startTestDev(t, cfg)
		defer d.Close()
		signWithPlatform(t, d)
		if kms.Calls("Encrypt") == 0 {
			t.Fatal("the data key was not wrapped by KMS")
		}
	})
}

func signWithPlatform(t *testing.T, d *devInstance) {
	t.Helper()
	var digest [32]byte
	digest[0] = 1
	sig, err := d.local.SignDigest(context.Background(), d.Platform.KeyID, digest)
	if err != nil || len(sig) != 65 {
		t.Fatalf("platform key does not sign: %v", err)
	}
}

// TestMain removes the SoftHSM2 token directory (testenv.SoftHSM) afterwards.
func TestMain(m *testing.M) { testenv.Main(m) }

// TestWalletOnPKCS11 runs the full stack with a SoftHSM2 token as a key
// backend: a user's wallet is created on the token and signs a transaction.
func TestWalletOnPKCS11(t *testing.T) {
	module, label, pin := testenv.SoftHSM(t)
	t.Setenv("TEST_HSM_PIN", pin)
	cfg := devConfig(t, t.TempDir())
	cfg.Keys.PKCS11.Module, cfg.Keys.PKCS11.TokenLabel, cfg.Keys.PKCS11.PINEnv = module, label, "TEST_HSM_PIN"
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, _, _ := signedIn(t, ctx, cfg.HTTP.PublicURL)
	addr := walletOn(t, ctx, c, "pkcs11")
	var out struct{ Raw, Hash string }
	body := map[string]any{"chain_id": d.Chain.ChainID(), "to": d.Platform.Address.Hex(), "value": "0", "nonce": 0, "gas": 21000,
		"max_fee_per_gas": "2000000000", "max_priority_fee_per_gas": "1000000000"}
	if err := c.do(ctx, "POST", "/v1/wallets/"+addr.Hex()+"/sign-transaction", body, &out); err != nil {
		t.Fatal(err)
	}
	raw, _ := hexutil.Decode(out.Raw)
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil || from != addr {
		t.Fatalf("transaction signed on the HSM recovers to %s, want %s (%v)", from, addr, err)
	}
}

// walletOn creates a wallet for c's user on the key backend through the API.
func walletOn(t *testing.T, ctx context.Context, c *client, backend string) common.Address {
	t.Helper()
	var w struct {
		Address common.Address `json:"address"`
		Backend string         `json:"backend"`
	}
	if err := c.do(ctx, "POST", "/v1/wallets", map[string]string{"backend": backend}, &w); err != nil {
		t.Fatal(err)
	}
	if w.Backend != backend {
		t.Fatalf("wallet %+v, want one on %s", w, backend)
	}
	return w.Address
}
