package awskms

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/crypto"
)

// A minimal, strict DER reader: just enough for the two structures KMS
// returns, and nothing that BER would allow and DER does not.

const (
	tagInteger   = 0x02
	tagBitString = 0x03
	tagOID       = 0x06
	tagSequence  = 0x30
)

var (
	// DER contents of id-ecPublicKey (1.2.840.10045.2.1) and secp256k1
	// (1.3.132.0.10). Comparing bytes is exact: DER has one encoding per OID.
	oidECPublicKey = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}
	oidSecp256k1   = []byte{0x2b, 0x81, 0x04, 0x00, 0x0a}

	secp256k1N = crypto.S256().Params().N
	secp256k1P = crypto.S256().Params().P
)

// readTLV reads one element with the given (single-byte) tag from b and
// returns its contents and what follows. Lengths must be definite and
// minimal; the largest structure here is far below 64 KiB, so more than two
// length bytes is an error too.
func readTLV(b []byte, tag byte) (content, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, errors.New("truncated element")
	}
	if b[0] != tag {
		return nil, nil, fmt.Errorf("tag 0x%02x, want 0x%02x", b[0], tag)
	}
	n, off := int(b[1]), 2
	switch {
	case n < 0x80:
	case n == 0x81:
		if len(b) < 3 {
			return nil, nil, errors.New("truncated length")
		}
		n, off = int(b[2]), 3
		if n < 0x80 {
			return nil, nil, errors.New("non-minimal length")
		}
	case n == 0x82:
		if len(b) < 4 {
			return nil, nil, errors.New("truncated length")
		}
		n, off = int(b[2])<<8|int(b[3]), 4
		if n < 0x100 {
			return nil, nil, errors.New("non-minimal length")
		}
	case n == 0x80:
		return nil, nil, errors.New("indefinite length")
	default:
		return nil, nil, errors.New("length too large")
	}
	if len(b)-off < n {
		return nil, nil, errors.New("length exceeds input")
	}
	return b[off : off+n], b[off+n:], nil
}

// ParseSPKI parses a DER SubjectPublicKeyInfo, as KMS GetPublicKey returns
// it, and insists on a secp256k1 key:
//
//	SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID secp256k1 }, BIT STRING }
//
// The bit string must have no unused bits and hold an uncompressed point
// 0x04 || X || Y on the curve. It returns that 65-byte point. Nothing may
// follow any element.
func ParseSPKI(der []byte) ([]byte, error) {
	spki, rest, err := readTLV(der, tagSequence)
	if err != nil {
		return nil, fmt.Errorf("public key info: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("public key info: trailing bytes")
	}
	alg, spki, err := readTLV(spki, tagSequence)
	if err != nil {
		return nil, fmt.Errorf("public key algorithm: %w", err)
	}
	oid, alg, err := readTLV(alg, tagOID)
	if err != nil {
		return nil, fmt.Errorf("public key algorithm: %w", err)
	}
	if !bytes.Equal(oid, oidECPublicKey) {
		return nil, errors.New("public key algorithm is not id-ecPublicKey")
	}
	curve, alg, err := readTLV(alg, tagOID)
	if err != nil {
		return nil, fmt.Errorf("public key curve: %w", err)
	}
	if !bytes.Equal(curve, oidSecp256k1) {
		return nil, errors.New("public key curve is not secp256k1")
	}
	if len(alg) != 0 {
		return nil, errors.New("public key algorithm: trailing bytes")
	}
	bits, spki, err := readTLV(spki, tagBitString)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if len(spki) != 0 {
		return nil, errors.New("public key info: trailing bytes after the key")
	}
	if len(bits) == 0 || bits[0] != 0 {
		return nil, errors.New("public key bit string has unused bits")
	}
	point := bits[1:]
	if len(point) != 65 || point[0] != 0x04 {
		return nil, fmt.Errorf("public key is not an uncompressed point (%d bytes)", len(point))
	}
	x := new(big.Int).SetBytes(point[1:33])
	y := new(big.Int).SetBytes(point[33:])
	if x.Cmp(secp256k1P) >= 0 || y.Cmp(secp256k1P) >= 0 || !crypto.S256().IsOnCurve(x, y) {
		return nil, errors.New("public key is not on secp256k1")
	}
	return bytes.Clone(point), nil
}

// ParseDERSignature parses a DER ECDSA-Sig-Value, SEQUENCE { INTEGER r,
// INTEGER s }, as KMS Sign returns it. Both integers must be minimally
// encoded, positive, at most 32 bytes once a single leading zero is removed,
// and below the secp256k1 order n. Nothing may follow either the sequence or
// the second integer. s is returned as is (not yet folded to the low half).
func ParseDERSignature(der []byte) (r, s *big.Int, err error) {
	seq, rest, err := readTLV(der, tagSequence)
	if err != nil {
		return nil, nil, fmt.Errorf("signature: %w", err)
	}
	if len(rest) != 0 {
		return nil, nil, errors.New("signature: trailing bytes")
	}
	r, seq, err = readScalar(seq)
	if err != nil {
		return nil, nil, fmt.Errorf("signature r: %w", err)
	}
	s, seq, err = readScalar(seq)
	if err != nil {
		return nil, nil, fmt.Errorf("signature s: %w", err)
	}
	if len(seq) != 0 {
		return nil, nil, errors.New("signature: trailing bytes in sequence")
	}
	return r, s, nil
}

// readScalar reads a DER INTEGER in [1, n).
func readScalar(b []byte) (*big.Int, []byte, error) {
	v, rest, err := readTLV(b, tagInteger)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case len(v) == 0:
		return nil, nil, errors.New("empty integer")
	case v[0]&0x80 != 0:
		return nil, nil, errors.New("negative integer")
	case v[0] == 0 && len(v) == 1:
		return nil, nil, errors.New("zero")
	case v[0] == 0 && v[1]&0x80 == 0:
		return nil, nil, errors.New("non-minimal integer")
	}
	if v[0] == 0 {
		v = v[1:]
	}
	if len(v) > 32 {
		return nil, nil, fmt.Errorf("integer is %d bytes, want at most 32", len(v))
	}
	x := new(big.Int).SetBytes(v)
	if x.Cmp(secp256k1N) >= 0 {
		return nil, nil, errors.New("not below the curve order")
	}
	return x, rest, nil
}
