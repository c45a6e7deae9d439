package kmstest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestSignRawAndDigest(t *testing.T) {
	ctx := context.Background()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client()
	k, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccSecgP256k1, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	id := k.KeyMetadata.KeyId
	pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	var spki struct {
		Algorithm struct{ Algorithm, Curve asn1.ObjectIdentifier }
		PublicKey asn1.BitString
	}
	if rest, err := asn1.Unmarshal(pk.PublicKey, &spki); err != nil || len(rest) != 0 {
		t.Fatalf("SPKI: %v", err)
	}
	pub := spki.PublicKey.Bytes
	msg := []byte("hello")
	sum := sha256.Sum256(msg)
	for _, in := range []*kms.SignInput{
		{KeyId: id, Message: msg, MessageType: types.MessageTypeRaw, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256},
		{KeyId: id, Message: sum[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256},
	} {
		out, err := c.Sign(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(out.Signature, &rs); err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		rs.R.FillBytes(sig[:32])
		s := rs.S
		if s.Cmp(new(big.Int).Rsh(secp256k1N, 1)) > 0 {
			s = new(big.Int).Sub(secp256k1N, s)
		}
		s.FillBytes(sig[32:])
		if !crypto.VerifySignature(pub, sum[:], sig) {
			t.Errorf("%s signature does not verify", in.MessageType)
		}
	}
	if _, err := c.Sign(ctx, &kms.SignInput{KeyId: id, Message: msg, MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}); err == nil {
		t.Error("a 5-byte digest was signed")
	}
}

func TestP256(t *testing.T) {
	ctx := context.Background()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client()
	k, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: k.KeyMetadata.Arn})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("x"))
	out, err := c.Sign(ctx, &kms.SignInput{KeyId: k.KeyMetadata.KeyId, Message: d[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d[:], out.Signature) {
		t.Error("P-256 signature does not verify")
	}
}

func TestAliasesTagsAndEncryption(t *testing.T) {
	ctx := context.Background()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client()
	k, err := c.CreateKey(ctx, &kms.CreateKeyInput{Tags: []types.Tag{{TagKey: aws.String("a"), TagValue: aws.String("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := k.KeyMetadata.Arn
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/m"), TargetKeyId: arn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/m"), TargetKeyId: arn})
	var exists *types.AlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("duplicate alias: %v", err)
	}
	la, err := c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: arn})
	if err != nil || len(la.Aliases) != 1 || aws.ToString(la.Aliases[0].AliasName) != "alias/m" {
		t.Fatalf("ListAliases: %+v, %v", la, err)
	}
	if _, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: arn, Tags: []types.Tag{{TagKey: aws.String("b"), TagValue: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	lt, err := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String("alias/m")})
	if err != nil || len(lt.Tags) != 2 {
		t.Fatalf("ListResourceTags: %+v, %v", lt, err)
	}

	ec := map[string]string{"purpose": "test"}
	gd, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String("alias/m"), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	if err != nil || len(gd.Plaintext) != 32 {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gd.CiphertextBlob, EncryptionContext: ec})
	if err != nil || !bytes.Equal(dec.Plaintext, gd.Plaintext) || aws.ToString(dec.KeyId) != aws.ToString(arn) {
		t.Fatalf("Decrypt: %v", err)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gd.CiphertextBlob})
	var badCT *types.InvalidCiphertextException
	if !errors.As(err, &badCT) {
		t.Errorf("Decrypt without context: %v", err)
	}

	// Faults and disabled keys.
	srv.FailNext("Encrypt", "KMSInternalException", 1)
	c0 := srv.Client(func(o *kms.Options) { o.RetryMaxAttempts = 1 })
	_, err = c0.Encrypt(ctx, &kms.EncryptInput{KeyId: arn, Plaintext: []byte("x")})
	var internal *types.KMSInternalException
	if !errors.As(err, &internal) {
		t.Errorf("injected fault: %v", err)
	}
	srv.SetEnabled(aws.ToString(arn), false)
	_, err = c0.Encrypt(ctx, &kms.EncryptInput{KeyId: arn, Plaintext: []byte("x")})
	var disabled *types.DisabledException
	if !errors.As(err, &disabled) {
		t.Errorf("disabled key: %v", err)
	}
	_, err = c0.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/none")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing alias: %v", err)
	}
	if srv.Calls("Encrypt") != 2 {
		t.Errorf("Encrypt calls = %d, want 2", srv.Calls("Encrypt"))
	}
}
