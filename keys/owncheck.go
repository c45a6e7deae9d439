package keys

import (
	"bytes"
	"errors"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// CheckOwnSignature is CheckSignature for a backend that holds the private
// key seckey of pub, as the local backend does: it proves the same thing, that
// [R || S || V] is canonical and ecrecover(digest, sig) is pub, at about half
// the cost.
//
// Recovery computes Q = r⁻¹·(s·R − z·G), where R is the point with x = r and
// y parity V: two multiplications, one of them by a variable point. With d
// known there is a shortcut. Q = d·G holds exactly when R = s⁻¹·(z + r·d)·G,
// and that is one multiplication by the fixed generator, which libsecp256k1
// does in constant time from its precomputed table (it is the same
// multiplication that signing does). The scalar s⁻¹·(z + r·d) is the
// signature's nonce k, so it is formed and multiplied only inside
// libsecp256k1's constant-time code, never in Go.
//
// The caller must have checked that seckey's public key is pub (the local
// backend does when it decrypts a key). Without cgo it falls back to
// recovery.
func CheckOwnSignature(digest [32]byte, sig, pub []byte, seckey *[32]byte) error {
	if !ownCheckAvailable {
		return CheckSignature(digest, sig, pub)
	}
	if err := checkCanonical(sig); err != nil {
		return err
	}
	// a = s⁻¹·r and b = s⁻¹·z (mod n) are public: they follow from the
	// signature and the digest alone.
	var r, s, z, a, b secp256k1.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:64])
	z.SetByteSlice(digest[:]) // ECDSA reduces the digest mod n, as this does
	s.InverseNonConst()
	a.Mul2(&s, &r)
	b.Mul2(&s, &z)
	ab, bb := a.Bytes(), b.Bytes()
	var point [65]byte
	if !nonceCommitment(seckey, &ab, &bb, &point) {
		return errors.New("signature does not recover: its nonce is invalid")
	}
	// R's x must be r itself (not r + n) and its y parity must be V.
	if !bytes.Equal(point[1:33], sig[:32]) || point[64]&1 != sig[64] {
		return errors.New("signature recovers to a different key")
	}
	return nil
}
