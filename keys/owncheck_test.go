package keys

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func ownKey(t testing.TB) (seckey [32]byte, pub []byte) {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(crypto.FromECDSA(k)), crypto.FromECDSAPub(&k.PublicKey)
}

func signWith(t testing.TB, seckey [32]byte, digest [32]byte) []byte {
	k, err := crypto.ToECDSA(seckey[:])
	if err != nil {
		t.Fatal(err)
	}
	sig, err := crypto.Sign(digest[:], k)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// The shortcut must give recovery's answer on every input: good signatures,
// the classic forgeries of a canonical check, and random corruption.
func TestCheckOwnSignatureAgreesWithRecovery(t *testing.T) {
	seckey, pub := ownKey(t)
	otherKey, _ := ownKey(t)
	n := crypto.S256().Params().N

	agree := func(name string, digest [32]byte, sig []byte, key [32]byte, want bool) {
		t.Helper()
		own := CheckOwnSignature(digest, sig, pub, &key)
		rec := CheckSignature(digest, sig, pub)
		if (own == nil) != want || (rec == nil) != want {
			t.Errorf("%s: own check %v, recovery %v; want ok=%v", name, own, rec, want)
		}
	}

	digests := map[string][32]byte{"zero digest": {}}
	var high [32]byte
	for i := range high {
		high[i] = 0xff // above n: ECDSA reduces it
	}
	digests["digest above n"] = high
	for i := range 64 {
		var d [32]byte
		rand.Read(d[:])
		digests[fmt.Sprintf("random digest %d", i)] = d
	}

	for name, digest := range digests {
		sig := signWith(t, seckey, digest)
		agree(name, digest, sig, seckey, true)

		flipV := append([]byte(nil), sig...)
		flipV[64] ^= 1
		agree(name+", V flipped", digest, flipV, seckey, false)

		// (r, n−s) with V flipped recovers to the same key, but s is high.
		highS := append([]byte(nil), sig...)
		new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:64])).FillBytes(highS[32:64])
		highS[64] ^= 1
		agree(name+", high s", digest, highS, seckey, false)

		other := digest
		other[31] ^= 1
		agree(name+", other digest", other, sig, seckey, false)

		// Signed by another key: recovery finds that key, not pub; the
		// shortcut, given pub's own secret, must not be fooled either.
		agree(name+", other signer", digest, signWith(t, otherKey, digest), seckey, false)

		for range 8 {
			bad := append([]byte(nil), sig...)
			var pos [2]byte
			rand.Read(pos[:])
			i := int(pos[0]) % 64
			bad[i] ^= 1 << (pos[1] % 8)
			agree(name+", corrupted", digest, bad, seckey, false)
		}
	}

	// Out-of-range r or s, wrong lengths and V values.
	digest := digests["zero digest"]
	sig := signWith(t, seckey, digest)
	for name, bad := range map[string][]byte{
		"short":  sig[:64],
		"V = 27": append(append([]byte(nil), sig[:64]...), 27),
		"r = 0":  append(make([]byte, 32), sig[32:]...),
		"r = n":  append(n.FillBytes(make([]byte, 32)), sig[32:]...),
		"s = 0":  append(append(append([]byte(nil), sig[:32]...), make([]byte, 32)...), sig[64]),
		"all 0xff": func() []byte {
			b := make([]byte, 65)
			for i := range 64 {
				b[i] = 0xff
			}
			return b
		}(),
	} {
		agree(name, digest, bad, seckey, false)
	}
}

func BenchmarkSignatureCheck(b *testing.B) {
	seckey, pub := ownKey(b)
	var digest [32]byte
	rand.Read(digest[:])
	sig := signWith(b, seckey, digest)
	b.Run("recovery", func(b *testing.B) {
		for b.Loop() {
			if err := CheckSignature(digest, sig, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("own key", func(b *testing.B) {
		for b.Loop() {
			if err := CheckOwnSignature(digest, sig, pub, &seckey); err != nil {
				b.Fatal(err)
			}
		}
	})
}
