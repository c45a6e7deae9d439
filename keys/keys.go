// Package keys holds what every key backend shares: the check that a
// signature is canonical and recovers to the key's address before a backend
// returns it, and the conversion of a bare (r, s) pair, as KMS and PKCS#11
// devices return it, into Ethereum's [R || S || V] form.
package keys

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

var (
	// secp256k1N is the order of the secp256k1 group.
	secp256k1N = crypto.S256().Params().N
	// halfN is n/2; Ethereum (EIP-2) rejects signatures with s above it.
	halfN = new(big.Int).Rsh(secp256k1N, 1)

	halfNBytes = common.LeftPadBytes(halfN.Bytes(), 32)
	nBytes     = common.LeftPadBytes(secp256k1N.Bytes(), 32)
)

// HalfN returns n/2 of secp256k1, the largest s a canonical signature has.
func HalfN() *big.Int { return new(big.Int).Set(halfN) }

// CheckSignature reports whether sig is a canonical 65-byte [R || S || V]
// signature over digest (0 < r < n, 0 < s <= n/2, V in {0,1}) that recovers
// to pub, a 65-byte uncompressed public key. Comparing the recovered point
// with pub is as strong as comparing addresses and skips a keccak.
func CheckSignature(digest [32]byte, sig, pub []byte) error {
	if err := checkCanonical(sig); err != nil {
		return err
	}
	got, err := crypto.Ecrecover(digest[:], sig)
	if err != nil {
		return fmt.Errorf("signature does not recover: %w", err)
	}
	if !bytes.Equal(got, pub) {
		return errors.New("signature recovers to a different key")
	}
	return nil
}

// checkCanonical checks the form of [R || S || V]: 65 bytes, V 0 or 1, r in
// [1, n) and s in [1, n/2].
func checkCanonical(sig []byte) error {
	if len(sig) != crypto.SignatureLength {
		return fmt.Errorf("signature is %d bytes, want %d", len(sig), crypto.SignatureLength)
	}
	if v := sig[64]; v > 1 {
		return fmt.Errorf("signature recovery id is %d, want 0 or 1", v)
	}
	r, s := sig[:32], sig[32:64]
	if isZero(r) || bytes.Compare(r, nBytes) >= 0 {
		return errors.New("signature r out of range")
	}
	if isZero(s) || bytes.Compare(s, halfNBytes) > 0 {
		return errors.New("signature s is not in the lower half of the curve order")
	}
	return nil
}

// FromRS turns a bare ECDSA (r, s) over digest by the key pub into a
// canonical [R || S || V] signature: s is folded into the lower half and V is
// found by trying both recovery ids. Backends whose devices return DER or
// raw (r, s) use it.
func FromRS(digest [32]byte, r, s *big.Int, pub []byte) ([]byte, error) {
	if r.Sign() <= 0 || r.Cmp(secp256k1N) >= 0 || s.Sign() <= 0 || s.Cmp(secp256k1N) >= 0 {
		return nil, errors.New("signature r or s out of range")
	}
	if s.Cmp(halfN) > 0 {
		s = new(big.Int).Sub(secp256k1N, s)
	}
	sig := make([]byte, crypto.SignatureLength)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:64])
	for v := byte(0); v < 2; v++ {
		sig[64] = v
		if CheckSignature(digest, sig, pub) == nil {
			return sig, nil
		}
	}
	return nil, errors.New("signature does not recover to the key with either recovery id")
}

// PubkeyAddress checks that pub is a 65-byte uncompressed point on secp256k1
// and returns its Ethereum address.
//
// It is a pure function of the 65 bytes, called for every signature (the
// signer ties the key to the wallet's address through it), and the curve
// check costs ≈ 3 µs of big.Int arithmetic; so the answers for valid keys are
// remembered, keyed by all 65 bytes (a different key is a different entry),
// up to maxPubkeyAddresses of them.
func PubkeyAddress(pub []byte) (common.Address, error) {
	if len(pub) != 65 {
		return common.Address{}, fmt.Errorf("public key is %d bytes, want 65", len(pub))
	}
	key := [65]byte(pub)
	if a, ok := pubkeyAddresses.Load(key); ok {
		return a.(common.Address), nil
	}
	k, err := crypto.UnmarshalPubkey(pub)
	if err != nil {
		return common.Address{}, fmt.Errorf("public key: %w", err)
	}
	a := crypto.PubkeyToAddress(*k)
	if pubkeyAddressCount.Add(1) <= maxPubkeyAddresses {
		pubkeyAddresses.Store(key, a)
	}
	return a, nil
}

// maxPubkeyAddresses bounds PubkeyAddress's memory (≈ 100 bytes an entry);
// keys beyond it are checked every time.
const maxPubkeyAddresses = 1 << 14

var (
	pubkeyAddresses    sync.Map // [65]byte → common.Address
	pubkeyAddressCount atomic.Int64
)

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
