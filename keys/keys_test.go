package keys

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestCheckSignatureAndFromRS(t *testing.T) {
	priv, _ := crypto.GenerateKey()
	other, _ := crypto.GenerateKey()
	pub := crypto.FromECDSAPub(&priv.PublicKey)
	d := crypto.Keccak256Hash([]byte("m"))
	sig, _ := crypto.Sign(d[:], priv)
	if err := CheckSignature(d, sig, pub); err != nil {
		t.Fatal(err)
	}
	n := crypto.S256().Params().N
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	highS := make([]byte, 65)
	copy(highS, sig)
	new(big.Int).Sub(n, s).FillBytes(highS[32:64])
	highS[64] ^= 1 // the high-s twin recovers with the other id

	flipV := append([]byte(nil), sig...)
	flipV[64] ^= 1
	v27 := append([]byte(nil), sig...)
	v27[64] += 27
	zeroR := append([]byte(nil), sig...)
	clear(zeroR[:32])
	for name, bad := range map[string][]byte{
		"short": sig[:64], "high s": highS, "wrong v": flipV, "v 27": v27, "zero r": zeroR,
	} {
		if CheckSignature(d, bad, pub) == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if CheckSignature(d, sig, crypto.FromECDSAPub(&other.PublicKey)) == nil {
		t.Error("another key's signature accepted")
	}
	if CheckSignature([32]byte{1}, sig, pub) == nil {
		t.Error("signature over another digest accepted")
	}

	// FromRS folds a high s and finds V.
	for _, sv := range []*big.Int{s, new(big.Int).Sub(n, s)} {
		got, err := FromRS(d, r, sv, pub)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(sig) {
			t.Errorf("FromRS = %x, want %x", got, sig)
		}
	}
	if _, err := FromRS(d, r, s, crypto.FromECDSAPub(&other.PublicKey)); err == nil {
		t.Error("FromRS accepted the wrong key")
	}
	if _, err := FromRS(d, big.NewInt(0), s, pub); err == nil {
		t.Error("FromRS accepted r = 0")
	}

	addr, err := PubkeyAddress(pub)
	if err != nil || addr != crypto.PubkeyToAddress(priv.PublicKey) {
		t.Errorf("PubkeyAddress = %s, %v", addr, err)
	}
	badPub := append([]byte(nil), pub...)
	badPub[64] ^= 1
	if _, err := PubkeyAddress(badPub); err == nil {
		t.Error("point off the curve accepted")
	}
	if _, err := PubkeyAddress(pub[:33]); err == nil {
		t.Error("compressed key accepted")
	}
}

// PubkeyAddress remembers valid keys: the remembered answer is the same, and
// a key differing in one byte is checked on its own (off the curve: refused,
// even right after its neighbour was remembered; another key: its own
// address).
func TestPubkeyAddressRemembered(t *testing.T) {
	priv, _ := crypto.GenerateKey()
	other, _ := crypto.GenerateKey()
	pub := crypto.FromECDSAPub(&priv.PublicKey)
	want := crypto.PubkeyToAddress(priv.PublicKey)
	for range 3 {
		if a, err := PubkeyAddress(pub); err != nil || a != want {
			t.Fatalf("PubkeyAddress = %s, %v, want %s", a, err, want)
		}
	}
	for i := 1; i < 65; i += 9 {
		bad := append([]byte(nil), pub...)
		bad[i] ^= 1
		if a, err := PubkeyAddress(bad); err == nil {
			t.Errorf("byte %d changed: accepted as %s", i, a)
		}
	}
	if a, err := PubkeyAddress(crypto.FromECDSAPub(&other.PublicKey)); err != nil || a != crypto.PubkeyToAddress(other.PublicKey) {
		t.Errorf("other key: %s, %v", a, err)
	}
	// The caller's slice is not kept: changing it afterwards changes nothing.
	pub[64] ^= 1
	if _, err := PubkeyAddress(pub); err == nil {
		t.Error("a changed key was answered from memory")
	}
}
