package keys

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/crypto"
)

// SignOwn signs digest with seckey, the private key of pub, as the local
// backend does, and returns the signature only once it has proved that it is
// canonical and recovers to pub (DESIGN principle 1) — at about half the
// cost of recovering it.
//
// Recovery computes Q = r⁻¹·(s·R − z·G), where R is the point with x = r and
// y parity V: two multiplications, one of them by a variable point. The
// signer knows more. libsecp256k1 picks the nonce k (RFC 6979, as
// crypto.Sign does, so the signatures are the same) through a nonce function
// SignOwn supplies, which keeps a copy of it; then Q = d·G holds exactly
// when k·G has x = r and y parity V (it is R) and s·k = z + r·d (mod n), since
// then s·R − z·G = r·d·G. That is one multiplication by the fixed generator,
// which libsecp256k1 does in constant time from its precomputed table, and
// a few scalar products. k and d stay in C, in libsecp256k1's constant-time
// code, and are wiped before the call returns. A fault that corrupts any part
// of the signature (R, s, V), or a wrong nonce, fails the proof; the point is
// recomputed independently of the one the signing made.
//
// The caller must have checked that seckey's public key is pub (the local
// backend does when it decrypts a key). Without cgo it signs with
// go-ethereum's pure-Go secp256k1 and recovers.
func SignOwn(digest [32]byte, seckey *[32]byte, pub []byte) ([]byte, error) {
	if !ownSignAvailable {
		return signRecover(digest, seckey, pub)
	}
	z := reduceModN(digest)
	sig := make([]byte, 65)
	switch signOwn(&digest, &z, seckey, (*[65]byte)(sig)) {
	case ownSigned:
	case ownSignFailed:
		return nil, fmt.Errorf("sign: the secret key or its nonce is invalid")
	default:
		return nil, fmt.Errorf("signature does not recover to the key (self-check failed)")
	}
	if err := checkCanonical(sig); err != nil {
		return nil, err
	}
	return sig, nil
}

// reduceModN is the digest as ECDSA uses it: an integer mod n (a digest at
// or above n, one in 2¹²⁸, is reduced).
func reduceModN(digest [32]byte) [32]byte {
	if bytes.Compare(digest[:], nBytes) < 0 {
		return digest
	}
	var z [32]byte
	new(big.Int).Sub(new(big.Int).SetBytes(digest[:]), secp256k1N).FillBytes(z[:])
	return z
}

// Outcomes of signOwn.
const (
	ownSigned     = 1
	ownSignFailed = 0
	ownNotProved  = -1
)

// signRecover signs with crypto.Sign and proves the signature by recovery.
func signRecover(digest [32]byte, seckey *[32]byte, pub []byte) ([]byte, error) {
	priv, err := crypto.ToECDSA(seckey[:])
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sig, err := crypto.Sign(digest[:], priv)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := CheckSignature(digest, sig, pub); err != nil {
		return nil, fmt.Errorf("self-check failed: %w", err)
	}
	return sig, nil
}
