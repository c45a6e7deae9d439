package awskms

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/keys/awskms/kmstest"
	"github.com/ethereum/go-ethereum/crypto"
)

func halfN() *big.Int { return new(big.Int).Rsh(secp256k1N, 1) }

// kmstestDER DER-encodes the r, s of a 65-byte signature.
func kmstestDER(sig []byte) []byte {
	return kmstest.DERSignature(new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64]))
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func goodSPKI(t testing.TB) ([]byte, []byte) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return kmstest.SPKISecp256k1(&priv.PublicKey), crypto.FromECDSAPub(&priv.PublicKey)
}

// spki assembles a SubjectPublicKeyInfo from parts, with DER lengths.
func tlv(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	n := len(c)
	var l []byte
	switch {
	case n < 0x80:
		l = []byte{byte(n)}
	case n < 0x100:
		l = []byte{0x81, byte(n)}
	default:
		l = []byte{0x82, byte(n >> 8), byte(n)}
	}
	return append(append([]byte{tag}, l...), c...)
}

func buildSPKI(algOID, curveOID, bits []byte) []byte {
	return tlv(0x30, tlv(0x30, tlv(0x06, algOID), tlv(0x06, curveOID)), tlv(0x03, bits))
}

func TestParseSPKI(t *testing.T) {
	der, point := goodSPKI(t)
	got, err := ParseSPKI(der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, point) {
		t.Fatal("wrong point")
	}
	if !bytes.Equal(buildSPKI(oidECPublicKey, oidSecp256k1, append([]byte{0}, point...)), der) {
		t.Fatal("test builder disagrees with encoding/asn1")
	}
	// A real KMS secp256k1 SPKI is 88 bytes starting 3056301006072a8648ce3d020106052b8104000a034200 04.
	if !bytes.HasPrefix(der, mustHex("3056301006072a8648ce3d020106052b8104000a03420004")) || len(der) != 88 {
		t.Fatalf("unexpected encoding %x", der)
	}

	p256OID := []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	rsaOID := []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}
	bits := append([]byte{0}, point...)
	compressed := append([]byte{0, 2 + point[64]&1}, point[1:33]...)
	offCurve := bytes.Clone(bits)
	offCurve[65] ^= 1
	bigX := bytes.Clone(bits)
	for i := 2; i < 34; i++ {
		bigX[i] = 0xff
	}
	hybrid := bytes.Clone(bits)
	hybrid[1] = 0x06 | point[64]&1
	bad := map[string][]byte{
		"empty":                 nil,
		"wrong algorithm OID":   buildSPKI(rsaOID, oidSecp256k1, bits),
		"wrong curve OID":       buildSPKI(oidECPublicKey, p256OID, bits),
		"curve OID as alg":      buildSPKI(oidSecp256k1, oidECPublicKey, bits),
		"missing curve":         tlv(0x30, tlv(0x30, tlv(0x06, oidECPublicKey)), tlv(0x03, bits)),
		"NULL parameters":       tlv(0x30, tlv(0x30, tlv(0x06, oidECPublicKey), []byte{5, 0}), tlv(0x03, bits)),
		"extra in algorithm":    tlv(0x30, tlv(0x30, tlv(0x06, oidECPublicKey), tlv(0x06, oidSecp256k1), []byte{5, 0}), tlv(0x03, bits)),
		"trailing bytes":        append(bytes.Clone(der), 0),
		"trailing in sequence":  tlv(0x30, tlv(0x30, tlv(0x06, oidECPublicKey), tlv(0x06, oidSecp256k1)), tlv(0x03, bits), []byte{5, 0}),
		"unused bits":           buildSPKI(oidECPublicKey, oidSecp256k1, append([]byte{1}, point...)),
		"empty bit string":      buildSPKI(oidECPublicKey, oidSecp256k1, nil),
		"compressed point":      buildSPKI(oidECPublicKey, oidSecp256k1, compressed),
		"hybrid point":          buildSPKI(oidECPublicKey, oidSecp256k1, hybrid),
		"point off curve":       buildSPKI(oidECPublicKey, oidSecp256k1, offCurve),
		"x not below p":         buildSPKI(oidECPublicKey, oidSecp256k1, bigX),
		"short point":           buildSPKI(oidECPublicKey, oidSecp256k1, bits[:65]),
		"long point":            buildSPKI(oidECPublicKey, oidSecp256k1, append(bytes.Clone(bits), 0)),
		"octet string":          tlv(0x30, tlv(0x30, tlv(0x06, oidECPublicKey), tlv(0x06, oidSecp256k1)), tlv(0x04, bits)),
		"truncated":             der[:len(der)-1],
		"indefinite length":     append([]byte{0x30, 0x80}, der[2:]...),
		"non-minimal length":    append([]byte{0x30, 0x81, 0x56}, der[2:]...),
		"set instead of seq":    append([]byte{0x31}, der[1:]...),
		"OID with extra arc":    buildSPKI(oidECPublicKey, append(bytes.Clone(oidSecp256k1), 1), bits),
		"OID non-minimal arc":   buildSPKI(append([]byte{0x2a, 0x80}, oidECPublicKey[1:]...), oidSecp256k1, bits),
		"length beyond input":   append([]byte{0x30, 0x57}, der[2:]...),
		"three-byte length":     append([]byte{0x30, 0x83, 0, 0, 0x56}, der[2:]...),
		"zero-padded long form": append([]byte{0x30, 0x82, 0x00, 0x56}, der[2:]...),
	}
	for name, in := range bad {
		if _, err := ParseSPKI(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseDERSignature(t *testing.T) {
	n := secp256k1N
	nb := n.Bytes() // 32 bytes, top bit set
	one := []byte{1}
	r32 := mustHex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
	high := append([]byte{0}, mustHex("80000000000000000000000000000000000000000000000000000000000000ff")...)
	sig := func(r, s []byte) []byte { return tlv(0x30, tlv(0x02, r), tlv(0x02, s)) }

	good := map[string][3][]byte{
		"small":           {sig(one, one), one, one},
		"32 bytes":        {sig(r32, r32), r32, r32},
		"leading zero":    {sig(high, one), high[1:], one},
		"n-1":             {sig(append([]byte{0}, new(big.Int).Sub(n, big.NewInt(1)).Bytes()...), one), new(big.Int).Sub(n, big.NewInt(1)).Bytes(), one},
		"one-byte 0x7f":   {sig([]byte{0x7f}, []byte{0x00, 0x80}), []byte{0x7f}, []byte{0x80}},
		"kmstest encoded": {kmstest.DERSignature(big.NewInt(5), big.NewInt(6)), []byte{5}, []byte{6}},
	}
	for name, tc := range good {
		r, s, err := ParseDERSignature(tc[0])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Cmp(new(big.Int).SetBytes(tc[1])) != 0 || s.Cmp(new(big.Int).SetBytes(tc[2])) != 0 {
			t.Errorf("%s: got r=%x s=%x", name, r, s)
		}
	}

	valid := sig(one, one)
	bad := map[string][]byte{
		"empty":                    nil,
		"trailing bytes":           append(bytes.Clone(valid), 0),
		"trailing in sequence":     tlv(0x30, tlv(0x02, one), tlv(0x02, one), tlv(0x02, one)),
		"one integer":              tlv(0x30, tlv(0x02, one)),
		"non-minimal integer":      sig([]byte{0, 1}, one),
		"non-minimal s":            sig(one, []byte{0, 0x7f}),
		"double leading zero":      sig(append([]byte{0}, high...), one),
		"negative r":               sig([]byte{0x80}, one),
		"negative s":               sig(one, []byte{0xff, 0x01}),
		"33-byte r without zero":   sig(append([]byte{0x01}, r32...), one),
		"33 bytes after zero":      sig(append([]byte{0x00, 0x80}, r32...), one),
		"zero r":                   sig([]byte{0}, one),
		"zero s":                   sig(one, []byte{0}),
		"empty integer":            sig(nil, one),
		"r = n":                    sig(append([]byte{0}, nb...), one),
		"s = n":                    sig(one, append([]byte{0}, nb...)),
		"r > n":                    sig(mustHex("00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), one),
		"n without leading zero":   sig(nb, one),
		"wrong outer tag":          append([]byte{0x31}, valid[1:]...),
		"wrong integer tag":        tlv(0x30, tlv(0x03, one), tlv(0x02, one)),
		"indefinite length":        append(append([]byte{0x30, 0x80}, valid[2:]...), 0, 0),
		"non-minimal outer length": append([]byte{0x30, 0x81, 0x06}, valid[2:]...),
		"length beyond input":      append([]byte{0x30, 0x07}, valid[2:]...),
		"truncated":                valid[:len(valid)-1],
	}
	for name, in := range bad {
		if _, _, err := ParseDERSignature(in); err == nil {
			t.Errorf("%s: accepted %x", name, in)
		}
	}
}

func FuzzParseSPKI(f *testing.F) {
	der, _ := goodSPKI(f)
	f.Add(der)
	f.Add(der[:40])
	f.Add([]byte{0x30, 0x81, 0x80})
	f.Add([]byte{0x30, 0x82, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		point, err := ParseSPKI(in)
		if err != nil {
			return
		}
		// Whatever it accepts is a valid secp256k1 point that re-encodes
		// to exactly the input: DER has one encoding.
		pub, err := crypto.UnmarshalPubkey(point)
		if err != nil {
			t.Fatalf("accepted a point go-ethereum rejects: %v", err)
		}
		if !bytes.Equal(kmstest.SPKISecp256k1(pub), in) {
			t.Fatalf("accepted a non-canonical encoding %x", in)
		}
	})
}

func FuzzParseDERSignature(f *testing.F) {
	f.Add(kmstest.DERSignature(big.NewInt(1), big.NewInt(2)))
	f.Add(kmstest.DERSignature(new(big.Int).Sub(secp256k1N, big.NewInt(1)), halfN()))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x80, 0x02, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		r, s, err := ParseDERSignature(in)
		if err != nil {
			return
		}
		if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(secp256k1N) >= 0 || s.Cmp(secp256k1N) >= 0 {
			t.Fatalf("accepted out-of-range r=%x s=%x", r, s)
		}
		if !bytes.Equal(kmstest.DERSignature(r, s), in) {
			t.Fatalf("accepted a non-canonical encoding %x", in)
		}
	})
}
