package siwe

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func validMessage() *Message {
	exp, nb := t0.Add(time.Hour), t0.Add(time.Minute)
	return &Message{
		Scheme:         "https",
		Domain:         "coffer.example",
		Address:        common.HexToAddress(testAddr),
		URI:            "https://coffer.example/login",
		Version:        "1",
		ChainID:        1,
		Nonce:          "abcdef123456",
		IssuedAt:       t0,
		ExpirationTime: &exp,
		NotBefore:      &nb,
	}
}

func TestValidate(t *testing.T) {
	base := VerifyOptions{Domain: "coffer.example", URI: "https://coffer.example/login", ChainID: 1, Nonce: "abcdef123456", Now: t0.Add(2 * time.Minute)}
	cases := []struct {
		name string
		edit func(m *Message, o *VerifyOptions)
		want error // nil means valid
	}{
		{"valid", nil, nil},
		{"domain case-insensitive", func(m *Message, o *VerifyOptions) { o.Domain = "Coffer.Example" }, nil},
		{"no scheme counts as https", func(m *Message, o *VerifyOptions) { m.Scheme = "" }, nil},
		{"checks skipped when unset", func(m *Message, o *VerifyOptions) { o.URI, o.ChainID, o.Nonce = "", 0, ""; m.ChainID = 5 }, nil},
		{"wrong domain", func(m *Message, o *VerifyOptions) { o.Domain = "evil.example" }, ErrDomainMismatch},
		{"domain with other port", func(m *Message, o *VerifyOptions) { o.Domain = "coffer.example:8443" }, ErrDomainMismatch},
		{"http scheme refused by default", func(m *Message, o *VerifyOptions) { m.Scheme = "http" }, ErrSchemeMismatch},
		{"http scheme when expected", func(m *Message, o *VerifyOptions) { m.Scheme, o.Scheme = "http", "http" }, nil},
		{"no scheme when http expected", func(m *Message, o *VerifyOptions) { m.Scheme, o.Scheme = "", "http" }, ErrSchemeMismatch},
		{"wrong URI", func(m *Message, o *VerifyOptions) { m.URI = "https://coffer.example/login2" }, ErrURIMismatch},
		{"URI prefix is not enough", func(m *Message, o *VerifyOptions) { o.URI = "https://coffer.example" }, ErrURIMismatch},
		{"wrong chain", func(m *Message, o *VerifyOptions) { m.ChainID = 137 }, ErrChainMismatch},
		{"wrong nonce", func(m *Message, o *VerifyOptions) { m.Nonce = "zzzzzzzzzz" }, ErrNonceMismatch},
		{"wrong version", func(m *Message, o *VerifyOptions) { m.Version = "2" }, ErrVersion},
		{"expired", func(m *Message, o *VerifyOptions) { o.Now = t0.Add(2 * time.Hour) }, ErrExpired},
		{"expired at exactly expiration time", func(m *Message, o *VerifyOptions) { o.Now = *m.ExpirationTime }, ErrExpired},
		{"expired but within skew", func(m *Message, o *VerifyOptions) { o.Now, o.Skew = m.ExpirationTime.Add(time.Second), 5*time.Second }, nil},
		{"not yet valid", func(m *Message, o *VerifyOptions) { o.Now = t0.Add(30 * time.Second) }, ErrNotYetValid},
		{"valid at exactly not before", func(m *Message, o *VerifyOptions) { o.Now = *m.NotBefore }, nil},
		{"not yet valid but within skew", func(m *Message, o *VerifyOptions) { o.Now, o.Skew = t0.Add(30*time.Second), time.Minute }, nil},
		{"issued in future", func(m *Message, o *VerifyOptions) { m.IssuedAt = o.Now.Add(time.Minute); m.NotBefore = nil }, ErrIssuedInFuture},
		{"issued in future within skew", func(m *Message, o *VerifyOptions) {
			m.IssuedAt, m.NotBefore, o.Skew = o.Now.Add(time.Second), nil, 2*time.Second
		}, nil},
		{"negative skew is zero", func(m *Message, o *VerifyOptions) {
			m.IssuedAt, m.NotBefore, o.Skew = o.Now.Add(time.Second), nil, -time.Hour
		}, ErrIssuedInFuture},
		{"too old for MaxAge", func(m *Message, o *VerifyOptions) { m.ExpirationTime, o.MaxAge = nil, time.Minute }, ErrExpired},
		{"within MaxAge", func(m *Message, o *VerifyOptions) { m.ExpirationTime, o.MaxAge = nil, 5*time.Minute }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, o := validMessage(), base
			if c.edit != nil {
				c.edit(m, &o)
			}
			err := m.Validate(o)
			if c.want == nil && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Validate = %v, want %v", err, c.want)
			}
		})
	}
}

func TestValidateRequiresDomain(t *testing.T) {
	if err := validMessage().Validate(VerifyOptions{Now: t0.Add(2 * time.Minute)}); err == nil {
		t.Fatal("Validate without VerifyOptions.Domain succeeded")
	}
}

func TestValidateDefaultsNow(t *testing.T) {
	m := validMessage() // expired long ago relative to the real clock
	if err := m.Validate(VerifyOptions{Domain: "coffer.example"}); !errors.Is(err, ErrExpired) {
		t.Fatalf("Validate with zero Now = %v, want ErrExpired", err)
	}
}

// signed returns a fresh key, a message for its address and its
// personal_sign signature with v in {0,1}.
func signed(t *testing.T) (*ecdsa.PrivateKey, *Message, string, []byte) {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	m := validMessage()
	m.Address = crypto.PubkeyToAddress(key.PublicKey)
	text := m.String()
	sig, err := crypto.Sign(accounts.TextHash([]byte(text)), key)
	if err != nil {
		t.Fatal(err)
	}
	return key, m, text, sig
}

func TestSignature(t *testing.T) {
	_, m, text, sig := signed(t)

	for _, v := range []byte{sig[64], sig[64] + 27} {
		s := bytes.Clone(sig)
		s[64] = v
		orig := bytes.Clone(s)
		addr, err := RecoverAddress(text, s)
		if err != nil || addr != m.Address {
			t.Errorf("v=%d: RecoverAddress = %s, %v; want %s", v, addr.Hex(), err, m.Address.Hex())
		}
		if err := m.VerifySignature(text, s); err != nil {
			t.Errorf("v=%d: VerifySignature: %v", v, err)
		}
		if !bytes.Equal(s, orig) {
			t.Errorf("v=%d: signature slice was modified", v)
		}
	}

	// The other recovery id recovers a different key.
	flipped := bytes.Clone(sig)
	flipped[64] ^= 1
	if err := m.VerifySignature(text, flipped); !errors.Is(err, ErrSignature) {
		t.Errorf("flipped v: %v, want ErrSignature", err)
	}
}

func TestSignatureWrongSigner(t *testing.T) {
	_, m, text, _ := signed(t)
	other, _ := crypto.GenerateKey()
	sig, _ := crypto.Sign(accounts.TextHash([]byte(text)), other)
	if err := m.VerifySignature(text, sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("VerifySignature with another key = %v, want ErrSignature", err)
	}
}

func TestSignatureRequiresEIP191Prefix(t *testing.T) {
	key, m, text, _ := signed(t)
	raw, _ := crypto.Sign(crypto.Keccak256([]byte(text)), key) // no "\x19Ethereum Signed Message" prefix
	if err := m.VerifySignature(text, raw); !errors.Is(err, ErrSignature) {
		t.Fatalf("signature over unprefixed hash = %v, want ErrSignature", err)
	}
}

func TestSignatureOverOtherText(t *testing.T) {
	key, m, _, _ := signed(t)
	other := *m
	other.Nonce = "differentnonce"
	otherText := other.String()
	sig, _ := crypto.Sign(accounts.TextHash([]byte(otherText)), key)
	// The signature is genuine for otherText but m's fields are not its fields.
	if err := m.VerifySignature(otherText, sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("VerifySignature over different text = %v, want ErrSignature", err)
	}
}

func TestSignatureMalformed(t *testing.T) {
	_, m, text, sig := signed(t)
	n := crypto.S256().Params().N

	highS := bytes.Clone(sig)
	s := new(big.Int).SetBytes(sig[32:64])
	new(big.Int).Sub(n, s).FillBytes(highS[32:64])
	highS[64] ^= 1 // (r, n-s, v^1) is the same signature's malleable twin

	zeroR := bytes.Clone(sig)
	clear(zeroR[:32])
	rTooBig := bytes.Clone(sig)
	n.FillBytes(rTooBig[:32])
	zeroS := bytes.Clone(sig)
	clear(zeroS[32:64])

	withV := func(v byte) []byte { b := bytes.Clone(sig); b[64] = v; return b }
	cases := map[string][]byte{
		"high s":    highS,
		"nil":       nil,
		"64 bytes":  sig[:64],
		"66 bytes":  append(bytes.Clone(sig), 0),
		"130 bytes": append(bytes.Clone(sig), sig...),
		"v=2":       withV(2),
		"v=26":      withV(26),
		"v=29":      withV(29),
		"v=37":      withV(37),
		"r=0":       zeroR,
		"r=N":       rTooBig,
		"s=0":       zeroS,
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := RecoverAddress(text, bad); !errors.Is(err, ErrSignature) {
				t.Errorf("RecoverAddress = %v, want ErrSignature", err)
			}
			if err := m.VerifySignature(text, bad); !errors.Is(err, ErrSignature) {
				t.Errorf("VerifySignature = %v, want ErrSignature", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	_, m, text, sig := signed(t)
	o := VerifyOptions{Domain: m.Domain, ChainID: 1, Nonce: m.Nonce, Now: t0.Add(2 * time.Minute)}

	got, err := Verify(text, sig, o)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Address != m.Address {
		t.Errorf("address = %s, want %s", got.Address.Hex(), m.Address.Hex())
	}

	if _, err := Verify(text+"\n", sig, o); !errors.Is(err, ErrMalformed) {
		t.Errorf("Verify(malformed) = %v, want ErrMalformed", err)
	}
	late := o
	late.Now = t0.Add(3 * time.Hour)
	if _, err := Verify(text, sig, late); !errors.Is(err, ErrExpired) {
		t.Errorf("Verify(expired) = %v, want ErrExpired", err)
	}
	other, _ := crypto.GenerateKey()
	forged, _ := crypto.Sign(accounts.TextHash([]byte(text)), other)
	if _, err := Verify(text, forged, o); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify(forged) = %v, want ErrSignature", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	key, _ := crypto.GenerateKey()
	m := validMessage()
	m.Address = crypto.PubkeyToAddress(key.PublicKey)
	text := m.String()
	sig, _ := crypto.Sign(accounts.TextHash([]byte(text)), key)
	o := VerifyOptions{Domain: m.Domain, Now: t0.Add(2 * time.Minute)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(text, sig, o); err != nil {
			b.Fatal(err)
		}
	}
}
