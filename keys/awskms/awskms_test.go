package awskms

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys/awskms/kmstest"
	"github.com/cofferhq/coffer/keys/keystest"
	"github.com/ethereum/go-ethereum/crypto"
)

// fast retries keep the fault tests quick; the policy is the same.
func testConfig(srv *kmstest.Server) Config {
	return Config{
		Client:      srv.Client(),
		MaxAttempts: 4,
		BaseDelay:   time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
	}
}

func newTestBackend(t testing.TB) (*Backend, *kmstest.Server, *keystest.MemKeyStore) {
	t.Helper()
	srv := kmstest.NewServer()
	t.Cleanup(srv.Close)
	ks := keystest.NewMemKeyStore()
	b, err := New(context.Background(), testConfig(srv), ks)
	if err != nil {
		t.Fatal(err)
	}
	return b, srv, ks
}

func TestConformance(t *testing.T) {
	keystest.Run(t, func(t *testing.T) coffer.KeyBackend {
		b, _, _ := newTestBackend(t)
		return b
	})
}

// A second backend on the same store starts with empty caches and must
// check the records against KMS.
func TestConformanceColdBackend(t *testing.T) {
	keystest.Run(t, func(t *testing.T) coffer.KeyBackend {
		b, srv, ks := newTestBackend(t)
		return &coldCreator{b: b, srv: srv, ks: ks}
	})
}

// coldCreator creates keys with one backend and serves every other call from
// a fresh one.
type coldCreator struct {
	b    *Backend
	srv  *kmstest.Server
	ks   *keystest.MemKeyStore
	once sync.Once
	cold *Backend
}

func (c *coldCreator) Name() string { return c.b.Name() }
func (c *coldCreator) CreateKey(ctx context.Context) (*coffer.KeyRecord, error) {
	return c.b.CreateKey(ctx)
}
func (c *coldCreator) get() *Backend {
	c.once.Do(func() {
		var err error
		c.cold, err = New(context.Background(), testConfig(c.srv), c.ks)
		if err != nil {
			panic(err)
		}
	})
	return c.cold
}
func (c *coldCreator) SignDigest(ctx context.Context, id string, d [32]byte) ([]byte, error) {
	return c.get().SignDigest(ctx, id, d)
}
func (c *coldCreator) PublicKey(ctx context.Context, id string) ([]byte, error) {
	return c.get().PublicKey(ctx, id)
}

func TestCreateKeyTagsAndAlias(t *testing.T) {
	ctx := context.Background()
	b, srv, ks := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	arn := string(rec.Material)
	if !strings.HasPrefix(rec.ID, "ak_") || !strings.HasPrefix(arn, "arn:aws:kms:"+kmstest.Region+":") {
		t.Fatalf("record id %q, material %q", rec.ID, arn)
	}
	if len(rec.WrappedKey) != 0 || rec.MasterID != "" {
		t.Error("record has wrapping fields set")
	}
	if _, err := ks.Key(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	tags, err := srv.Tags(arn)
	if err != nil {
		t.Fatal(err)
	}
	lower := strings.ToLower(rec.Address.Hex())
	if tags[TagAddress] != lower || tags[TagCreatedBy] != DefaultCreatedBy {
		t.Errorf("tags = %v", tags)
	}
	// The alias names the key.
	d, err := srv.Client().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/" + DefaultAliasPrefix + lower)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.KeyMetadata.Arn) != arn || d.KeyMetadata.KeySpec != types.KeySpecEccSecgP256k1 || d.KeyMetadata.KeyUsage != types.KeyUsageTypeSignVerify {
		t.Errorf("alias resolves to %+v", d.KeyMetadata)
	}
}

func TestAdopt(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	c := srv.Client()
	mk := func(spec types.KeySpec, usage types.KeyUsageType) string {
		out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.KeyMetadata.KeyId)
	}
	good := mk(types.KeySpecEccSecgP256k1, types.KeyUsageTypeSignVerify)
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/treasury"), TargetKeyId: aws.String(good)}); err != nil {
		t.Fatal(err)
	}
	rec, err := b.Adopt(ctx, "alias/treasury")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(rec.Material), "key/"+good) {
		t.Errorf("record material %q does not name key %s by ARN", rec.Material, good)
	}
	var d [32]byte
	d[0] = 7
	sig, err := b.SignDigest(ctx, rec.ID, d)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypto.SigToPub(d[:], sig)
	if err != nil || crypto.PubkeyToAddress(*pub) != rec.Address {
		t.Fatalf("adopted key signature recovers to the wrong address: %v", err)
	}
	if _, err := b.Adopt(ctx, good); coffer.ErrorCode(err) != coffer.ECONFLICT {
		t.Errorf("adopting twice: %v, want %s", err, coffer.ECONFLICT)
	}

	for name, tc := range map[string]struct {
		id   string
		code string
	}{
		"p256":      {mk(types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify), coffer.EINVALID},
		"symmetric": {mk(types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt), coffer.EINVALID},
		"missing":   {"alias/nope", coffer.ENOTFOUND},
		"empty":     {"", coffer.EINVALID},
	} {
		if _, err := b.Adopt(ctx, tc.id); coffer.ErrorCode(err) != tc.code {
			t.Errorf("%s: Adopt error %v, want %s", name, err, tc.code)
		}
	}
	disabled := mk(types.KeySpecEccSecgP256k1, types.KeyUsageTypeSignVerify)
	srv.SetEnabled(disabled, false)
	if _, err := b.Adopt(ctx, disabled); coffer.ErrorCode(err) != coffer.EFORBIDDEN {
		t.Errorf("disabled: Adopt error %v, want %s", err, coffer.EFORBIDDEN)
	}
}

func TestThrottlingRetried(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"ThrottlingException", "KMSInternalException", "DependencyTimeoutException", kmstest.DropConnection} {
		before := srv.Calls("Sign")
		srv.FailNext("Sign", code, 2)
		if _, err := b.SignDigest(ctx, rec.ID, [32]byte{1}); err != nil {
			t.Fatalf("%s twice then success: %v", code, err)
		}
		if n := srv.Calls("Sign") - before; n != 3 {
			t.Errorf("%s: %d Sign calls, want 3", code, n)
		}
	}
}

func TestPersistentThrottling(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Calls("Sign")
	srv.FailNext("Sign", "ThrottlingException", 100)
	_, err = b.SignDigest(ctx, rec.ID, [32]byte{1})
	if coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("error %v, want %s", err, coffer.EUNAVAILABLE)
	}
	if n := srv.Calls("Sign") - before; n != 4 {
		t.Errorf("%d Sign calls, want MaxAttempts = 4", n)
	}
}

func TestPersistentTransportError(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("Sign", kmstest.DropConnection, 100)
	if _, err := b.SignDigest(ctx, rec.ID, [32]byte{1}); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("error %v, want %s", err, coffer.EUNAVAILABLE)
	}
}

func TestRetryRespectsContext(t *testing.T) {
	srv := kmstest.NewServer()
	defer srv.Close()
	ks := keystest.NewMemKeyStore()
	b, err := New(context.Background(), Config{Client: srv.Client(), MaxAttempts: 10, BaseDelay: time.Second, MaxBackoff: time.Second}, ks)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := b.CreateKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("Sign", "ThrottlingException", 100)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = b.SignDigest(ctx, rec.ID, [32]byte{1})
	if err == nil {
		t.Fatal("signed while throttled")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v despite a 150ms deadline", el)
	}
	if coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Errorf("error %v, want %s", err, coffer.EUNAVAILABLE)
	}
}

// CreateKey is not retried after errors that may have made a key anyway.
func TestCreateKeyRetriesOnlyThrottling(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	srv.FailNext("CreateKey", "ThrottlingException", 1)
	if _, err := b.CreateKey(ctx); err != nil {
		t.Fatalf("throttled once: %v", err)
	}
	before := srv.Calls("CreateKey")
	srv.FailNext("CreateKey", "KMSInternalException", 1)
	if _, err := b.CreateKey(ctx); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("internal error: %v, want %s", err, coffer.EUNAVAILABLE)
	}
	if n := srv.Calls("CreateKey") - before; n != 1 {
		t.Errorf("CreateKey after an internal error was tried %d times, want 1", n)
	}
}

func TestCreateKeyFailureNamesKey(t *testing.T) {
	ctx := context.Background()
	b, srv, ks := newTestBackend(t)
	srv.FailNext("CreateAlias", "AccessDeniedException", 1)
	_, err := b.CreateKey(ctx)
	if coffer.ErrorCode(err) != coffer.EFORBIDDEN || !strings.Contains(err.Error(), "arn:aws:kms:") {
		t.Fatalf("error %v: want %s naming the key ARN", err, coffer.EFORBIDDEN)
	}
	if recs, _ := ks.Keys(ctx, ""); len(recs) != 0 {
		t.Errorf("%d records stored after a failed CreateKey", len(recs))
	}
}

func TestPublicKeyCached(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := srv.Calls("GetPublicKey")
	if n != 1 {
		t.Errorf("CreateKey made %d GetPublicKey calls, want 1", n)
	}
	for i := 0; i < 10; i++ {
		if _, err := b.SignDigest(ctx, rec.ID, [32]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		pub, err := b.PublicKey(ctx, rec.ID)
		if err != nil || !bytes.Equal(pub, rec.PublicKey) {
			t.Fatalf("PublicKey: %v", err)
		}
	}
	if got := srv.Calls("GetPublicKey"); got != n {
		t.Errorf("GetPublicKey called %d more times; the public key is not cached", got-n)
	}
}

func TestDisabledKey(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetEnabled(string(rec.Material), false)
	_, err = b.SignDigest(ctx, rec.ID, [32]byte{1})
	if coffer.ErrorCode(err) != coffer.EFORBIDDEN || !strings.Contains(coffer.ErrorMessage(err), "disabled") {
		t.Fatalf("error %v, want %s saying disabled", err, coffer.EFORBIDDEN)
	}
	srv.SetEnabled(string(rec.Material), true)
	if _, err := b.SignDigest(ctx, rec.ID, [32]byte{1}); err != nil {
		t.Fatal(err)
	}
}

func TestKeyGoneFromKMS(t *testing.T) {
	ctx := context.Background()
	b, srv, ks := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A record naming a key KMS does not have.
	x := *rec
	x.ID = "ak_gone"
	x.Material = []byte(strings.Replace(string(rec.Material), "key/", "key/0000", 1))
	ks.Set(&x)
	if _, err := b.SignDigest(ctx, x.ID, [32]byte{1}); coffer.ErrorCode(err) != coffer.ENOTFOUND {
		t.Errorf("error %v, want %s", err, coffer.ENOTFOUND)
	}
	// A record whose ARN was swapped for another key's: caught by the
	// public key check, before anything is signed.
	other, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	y := *rec
	y.ID = "ak_swapped"
	y.Material = other.Material
	ks.Set(&y)
	signs := srv.Calls("Sign")
	if _, err := b.SignDigest(ctx, y.ID, [32]byte{1}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("swapped ARN: error %v", err)
	}
	if srv.Calls("Sign") != signs {
		t.Error("signed with a key that does not match the record")
	}
}

func TestBadSignatureRejected(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := crypto.GenerateKey()
	var mu sync.Mutex
	mode := 0
	srv.MutateSignature = func(der []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		switch mode {
		case 1: // a valid signature by another key
			sig, _ := crypto.Sign(make([]byte, 32), other)
			return kmstestDER(sig)
		case 2: // trailing garbage
			return append(der, 0)
		}
		return der
	}
	for _, m := range []int{1, 2} {
		mu.Lock()
		mode = m
		mu.Unlock()
		if _, err := b.SignDigest(ctx, rec.ID, [32]byte{}); err == nil {
			t.Errorf("mode %d: bad signature accepted", m)
		}
	}
}

func TestHighSIsNormalised(t *testing.T) {
	ctx := context.Background()
	b, srv, _ := newTestBackend(t)
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var high, low int
	var mu sync.Mutex
	srv.MutateSignature = func(der []byte) []byte {
		_, s, err := ParseDERSignature(der)
		if err == nil {
			mu.Lock()
			if s.Cmp(crypto.S256().Params().N) < 0 && s.Cmp(halfN()) > 0 {
				high++
			} else {
				low++
			}
			mu.Unlock()
		}
		return der
	}
	for i := 0; i < 40; i++ {
		if _, err := b.SignDigest(ctx, rec.ID, [32]byte{byte(i), 1}); err != nil {
			t.Fatal(err)
		}
	}
	if high == 0 || low == 0 {
		t.Errorf("test server sent %d high-s and %d low-s signatures; want both", high, low)
	}
}

func TestNewValidatesPrefix(t *testing.T) {
	srv := kmstest.NewServer()
	defer srv.Close()
	for _, p := range []string{"bad prefix", "aws/x", "ü"} {
		if _, err := New(context.Background(), Config{Client: srv.Client(), AliasPrefix: p}, keystest.NewMemKeyStore()); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

func TestSigV4Required(t *testing.T) {
	srv := kmstest.NewServer()
	defer srv.Close()
	c := srv.Client(func(o *kms.Options) { o.Credentials = aws.AnonymousCredentials{} })
	_, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err == nil || !strings.Contains(err.Error(), "MissingAuthenticationToken") {
		t.Errorf("unsigned request: %v", err)
	}
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) {
		t.Errorf("error %T has no AWS error code", err)
	}
}

func BenchmarkAWSKMSSignDigest(b *testing.B) {
	// This measures coffer's overhead plus a loopback HTTP round trip to
	// kmstest (SDK serialisation, SigV4 signing, the test server's own
	// secp256k1 signature, DER parsing, recovery check) — not AWS KMS,
	// whose latency and per-account quota dominate in production.
	be, _, _ := newTestBackend(b)
	ctx := context.Background()
	rec, err := be.CreateKey(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var d [32]byte
		i := 0
		for pb.Next() {
			i++
			d[0], d[1] = byte(i), byte(i>>8)
			if _, err := be.SignDigest(ctx, rec.ID, d); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
