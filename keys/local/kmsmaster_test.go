package local

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys/awskms/kmstest"
	"github.com/cofferhq/coffer/keys/keystest"
)

func kmsKey(t *testing.T, c *kms.Client) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

func TestKMSMasterConformance(t *testing.T) {
	srv := kmstest.NewServer()
	defer srv.Close()
	c := srv.Client()
	keystest.Run(t, func(t *testing.T) coffer.KeyBackend {
		return New(keystest.NewMemKeyStore(), NewKMSMaster(c, kmsKey(t, c)), WithCacheSize(1))
	})
}

func TestKMSMaster(t *testing.T) {
	ctx := context.Background()
	srv := kmstest.NewServer()
	defer srv.Close()
	c := srv.Client()
	arn := kmsKey(t, c)
	m := NewKMSMaster(c, arn)
	if m.ID() != "kms:"+arn {
		t.Errorf("ID = %q", m.ID())
	}
	dk := bytes.Repeat([]byte{7}, 32)
	w, err := m.Wrap(ctx, dk)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, dk[:8]) {
		t.Error("wrapped key contains the data key")
	}
	got, err := m.Unwrap(ctx, w)
	if err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Unwrap: %x, %v", got, err)
	}

	// Another KMS key does not unwrap it (Decrypt is pinned to the key).
	if _, err := NewKMSMaster(c, kmsKey(t, c)).Unwrap(ctx, w); err == nil {
		t.Error("another KMS key unwrapped the data key")
	}
	// A ciphertext made for another purpose does not unwrap.
	other, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(arn), Plaintext: dk, EncryptionContext: map[string]string{"purpose": "something-else"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Unwrap(ctx, append([]byte{kmsWrapVersion}, other.CiphertextBlob...)); err == nil {
		t.Error("unwrapped a ciphertext with another encryption context")
	}
	tampered := bytes.Clone(w)
	tampered[len(tampered)-1] ^= 1
	if _, err := m.Unwrap(ctx, tampered); err == nil {
		t.Error("unwrapped a tampered ciphertext")
	}
	if _, err := m.Wrap(ctx, dk[:16]); err == nil {
		t.Error("wrapped a 16-byte data key")
	}

	// A disabled master key stops signing with keys not yet in memory.
	ks := keystest.NewMemKeyStore()
	rec, err := New(ks, m).CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetEnabled(arn, false)
	if _, err := New(ks, m).SignDigest(ctx, rec.ID, [32]byte{1}); err == nil || !strings.Contains(err.Error(), "Disabled") {
		t.Errorf("signed with a disabled KMS master key: %v", err)
	}
	srv.SetEnabled(arn, true)
	if _, err := New(ks, m).SignDigest(ctx, rec.ID, [32]byte{1}); err != nil {
		t.Fatal(err)
	}
}

func TestResolveKMSMaster(t *testing.T) {
	ctx := context.Background()
	srv := kmstest.NewServer()
	defer srv.Close()
	c := srv.Client()
	arn := kmsKey(t, c)
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/coffer-master"), TargetKeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	m, err := ResolveKMSMaster(ctx, c, "alias/coffer-master")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID() != "kms:"+arn {
		t.Errorf("ID = %q, want kms:%s", m.ID(), arn)
	}
	sign, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccSecgP256k1, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveKMSMaster(ctx, c, aws.ToString(sign.KeyMetadata.KeyId)); err == nil {
		t.Error("accepted a signing key as master")
	}
	if _, err := ResolveKMSMaster(ctx, c, "alias/missing"); err == nil {
		t.Error("accepted a missing key")
	}
}

func TestPassphraseMaster(t *testing.T) {
	ctx := context.Background()
	salt := []byte("0123456789abcdef")
	m, err := NewPassphraseMaster("correct horse battery staple", salt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.ID(), "scrypt:") {
		t.Errorf("ID = %q", m.ID())
	}
	ks := keystest.NewMemKeyStore()
	rec, err := New(ks, m).CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The same passphrase and salt, derived again, open the key.
	again, err := NewPassphraseMaster("correct horse battery staple", salt)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != m.ID() {
		t.Fatal("same passphrase and salt give another ID")
	}
	if _, err := New(ks, again).SignDigest(ctx, rec.ID, [32]byte{1}); err != nil {
		t.Fatal(err)
	}
	// A wrong passphrase, or the right one with another salt, does not.
	for _, tc := range []struct {
		pass string
		salt []byte
	}{
		{"correct horse battery stapl", salt},
		{"correct horse battery staple", []byte("0123456789abcdeF")},
	} {
		wrong, err := NewPassphraseMaster(tc.pass, tc.salt)
		if err != nil {
			t.Fatal(err)
		}
		if wrong.ID() == m.ID() {
			t.Error("wrong passphrase has the same ID")
		}
		if _, err := New(ks, wrong).SignDigest(ctx, rec.ID, [32]byte{1}); !errors.Is(err, ErrWrongMaster) {
			t.Errorf("wrong passphrase: %v, want ErrWrongMaster", err)
		}
		// Even if the ID check were bypassed, unwrapping fails.
		r, _ := ks.Key(ctx, rec.ID)
		if _, err := wrong.Unwrap(ctx, r.WrappedKey); err == nil {
			t.Error("wrong passphrase unwrapped the data key")
		}
	}
	if _, err := NewPassphraseMaster("", salt); err == nil {
		t.Error("empty passphrase accepted")
	}
	if _, err := NewPassphraseMaster("x", salt[:15]); err == nil {
		t.Error("short salt accepted")
	}
}
