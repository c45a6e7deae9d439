package keys

import (
	"bytes"
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

// testDigests are the zero digest, one above n (ECDSA reduces it) and random ones.
func testDigests(random int) map[string][32]byte {
	digests := map[string][32]byte{"zero digest": {}}
	var high [32]byte
	for i := range high {
		high[i] = 0xff
	}
	digests["digest above n"] = high
	for i := range random {
		var d [32]byte
		rand.Read(d[:])
		digests[fmt.Sprintf("random digest %d", i)] = d
	}
	return digests
}

// SignOwn's signatures are crypto.Sign's (RFC 6979 either way) and recover
// to the key.
func TestSignOwnIsCryptoSign(t *testing.T) {
	for range 4 {
		seckey, pub := ownKey(t)
		for name, digest := range testDigests(32) {
			sig, err := SignOwn(digest, &seckey, pub)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if want := signWith(t, seckey, digest); !bytes.Equal(sig, want) {
				t.Fatalf("%s: SignOwn %x, crypto.Sign %x", name, sig, want)
			}
			if err := CheckSignature(digest, sig, pub); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
}

// nonceOf is the nonce k = s⁻¹·(z + r·d) mod n a signature was made with.
func nonceOf(digest, seckey [32]byte, sig []byte) [32]byte {
	n := secp256k1N
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	z := new(big.Int).Mod(new(big.Int).SetBytes(digest[:]), n)
	k := new(big.Int).Mul(r, new(big.Int).SetBytes(seckey[:]))
	k.Add(k, z).Mul(k, new(big.Int).ModInverse(s, n)).Mod(k, n)
	var out [32]byte
	k.FillBytes(out[:])
	return out
}

// The proof SignOwn makes of a signature, given the nonce it was made with,
// accepts the genuine signature and nothing recovery would refuse: the
// classic forgeries of a canonical check, another digest or signer, random
// corruption, and a wrong nonce.
func TestNonceProofIsSound(t *testing.T) {
	if !ownSignAvailable {
		t.Skip("no cgo: SignOwn recovers")
	}
	seckey, pub := ownKey(t)
	otherKey, _ := ownKey(t)
	n := secp256k1N
	check := func(name string, digest [32]byte, sig []byte, k [32]byte, want bool) {
		t.Helper()
		var s65 [65]byte
		copy(s65[:], sig)
		proved := len(sig) == 65 && nonceProves(&digest, &seckey, &k, &s65)
		recovered := CheckSignature(digest, sig, pub) == nil
		if proved != want || (proved && !recovered) {
			t.Errorf("%s: proved %v, recovers %v; want proved=%v", name, proved, recovered, want)
		}
	}
	for name, digest := range testDigests(64) {
		sig := signWith(t, seckey, digest)
		k := nonceOf(digest, seckey, sig)
		check(name, digest, sig, k, true)

		flipV := bytes.Clone(sig)
		flipV[64] ^= 1
		check(name+", V flipped", digest, flipV, k, false)

		// (r, n−s) with V flipped recovers to the same key, but s is high.
		highS := bytes.Clone(sig)
		new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:64])).FillBytes(highS[32:64])
		highS[64] ^= 1
		check(name+", high s", digest, highS, k, false)

		other := digest
		other[31] ^= 1
		check(name+", other digest", other, sig, k, false)

		// Signed by another key, with that signature's own nonce: the proof
		// is made with this key's secret, so it must fail.
		osig := signWith(t, otherKey, digest)
		check(name+", other signer", digest, osig, nonceOf(digest, otherKey, osig), false)

		wrongK := k
		wrongK[31] ^= 1
		check(name+", wrong nonce", digest, sig, wrongK, false)

		for range 8 {
			bad := bytes.Clone(sig)
			var pos [2]byte
			rand.Read(pos[:])
			i := int(pos[0]) % 65
			bad[i] ^= 1 << (pos[1] % 8)
			check(name+", corrupted", digest, bad, k, false)
		}
	}

	// Out-of-range r or s and V values.
	digest := [32]byte{}
	sig := signWith(t, seckey, digest)
	k := nonceOf(digest, seckey, sig)
	for name, bad := range map[string][]byte{
		"V = 27": append(bytes.Clone(sig[:64]), 27),
		"r = 0":  append(make([]byte, 32), sig[32:]...),
		"r = n":  append(n.FillBytes(make([]byte, 32)), sig[32:]...),
		"s = 0":  append(append(bytes.Clone(sig[:32]), make([]byte, 32)...), sig[64]),
		"s = n":  append(append(bytes.Clone(sig[:32]), n.FillBytes(make([]byte, 32))...), sig[64]),
		"all 0xff": func() []byte {
			b := make([]byte, 65)
			for i := range 64 {
				b[i] = 0xff
			}
			return b
		}(),
	} {
		check(name, digest, bad, k, false)
	}
}

// With cgo the proof must really be in use, or SignOwn only recovers.
func TestSignOwnUsesTheProof(t *testing.T) {
	if !cgoBuild {
		t.Skip("no cgo")
	}
	if !ownSignAvailable {
		t.Fatal("libsecp256k1's context could not be made; SignOwn falls back to recovery")
	}
}

func TestReduceModN(t *testing.T) {
	var high [32]byte
	for i := range high {
		high[i] = 0xff
	}
	want := new(big.Int).Mod(new(big.Int).SetBytes(high[:]), secp256k1N)
	if got := reduceModN(high); new(big.Int).SetBytes(got[:]).Cmp(want) != 0 {
		t.Fatalf("reduceModN(2²⁵⁶−1) = %x, want %x", got, want)
	}
	var small [32]byte
	small[31] = 7
	if reduceModN(small) != small {
		t.Fatal("a digest below n changed")
	}
}

func BenchmarkSign(b *testing.B) {
	seckey, pub := ownKey(b)
	priv, _ := crypto.ToECDSA(seckey[:])
	var digest [32]byte
	rand.Read(digest[:])
	b.Run("crypto.Sign", func(b *testing.B) {
		for b.Loop() {
			if _, err := crypto.Sign(digest[:], priv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("crypto.Sign+recovery", func(b *testing.B) {
		for b.Loop() {
			sig, _ := crypto.Sign(digest[:], priv)
			if err := CheckSignature(digest, sig, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SignOwn", func(b *testing.B) {
		for b.Loop() {
			if _, err := SignOwn(digest, &seckey, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}
