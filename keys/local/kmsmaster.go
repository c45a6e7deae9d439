package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"golang.org/x/crypto/scrypt"
)

const (
	kmsWrapVersion = 1
	// KMSContextPurpose is the value of the "purpose" key of the KMS
	// encryption context every wrapped data key is bound to. KMS records the
	// context in CloudTrail, and a key policy can require it
	// (kms:EncryptionContext:purpose).
	KMSContextPurpose = "coffer-local-data-key"
)

type kmsMaster struct {
	client *kms.Client
	keyID  string
}

// NewKMSMaster returns a master key held in AWS KMS: Wrap is KMS Encrypt of
// the data key under keyID and Unwrap is KMS Decrypt, pinned to keyID, both
// with the encryption context {"purpose": KMSContextPurpose}. The key must
// be a SYMMETRIC_DEFAULT (ENCRYPT_DECRYPT) key; coffer's identity needs
// kms:Encrypt and kms:Decrypt on it.
//
// Pass the key ARN: the master's ID is "kms:" + keyID, and records remember
// it, so an alias would tie them to the alias rather than to the key behind
// it (use ResolveKMSMaster to turn an alias or key id into the ARN).
func NewKMSMaster(client *kms.Client, keyID string) MasterKey {
	return &kmsMaster{client: client, keyID: keyID}
}

// ResolveKMSMaster is NewKMSMaster for any identifier KMS accepts (key id,
// key ARN, alias name or alias ARN): it asks KMS for the key's ARN, checks the
// key is an enabled symmetric encryption key and names the master after the
// ARN. It needs kms:DescribeKey.
func ResolveKMSMaster(ctx context.Context, client *kms.Client, keyID string) (MasterKey, error) {
	out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("local keys: KMS master key %s: %w", keyID, err)
	}
	m := out.KeyMetadata
	switch {
	case m == nil || aws.ToString(m.Arn) == "":
		return nil, fmt.Errorf("local keys: KMS master key %s: no key metadata", keyID)
	case m.KeySpec != types.KeySpecSymmetricDefault || m.KeyUsage != types.KeyUsageTypeEncryptDecrypt:
		return nil, fmt.Errorf("local keys: KMS master key %s is %s/%s, want SYMMETRIC_DEFAULT/ENCRYPT_DECRYPT", keyID, m.KeySpec, m.KeyUsage)
	case !m.Enabled:
		return nil, fmt.Errorf("local keys: KMS master key %s is %s", keyID, m.KeyState)
	}
	return NewKMSMaster(client, aws.ToString(m.Arn)), nil
}

func (m *kmsMaster) ID() string { return "kms:" + m.keyID }

func (m *kmsMaster) context() map[string]string {
	return map[string]string{"purpose": KMSContextPurpose}
}

func (m *kmsMaster) Wrap(ctx context.Context, dataKey []byte) ([]byte, error) {
	if len(dataKey) != 32 {
		return nil, errors.New("data key is not 32 bytes")
	}
	out, err := m.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String(m.keyID),
		Plaintext:         dataKey,
		EncryptionContext: m.context(),
	})
	if err != nil {
		return nil, fmt.Errorf("wrap data key with KMS key %s: %w", m.keyID, err)
	}
	return append([]byte{kmsWrapVersion}, out.CiphertextBlob...), nil
}

func (m *kmsMaster) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 2 || wrapped[0] != kmsWrapVersion {
		return nil, fmt.Errorf("unwrap data key with KMS key %s: unknown wrapping", m.keyID)
	}
	out, err := m.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId:             aws.String(m.keyID),
		CiphertextBlob:    wrapped[1:],
		EncryptionContext: m.context(),
	})
	if err != nil {
		return nil, fmt.Errorf("unwrap data key with KMS key %s: %w", m.keyID, err)
	}
	if len(out.Plaintext) != 32 {
		clear(out.Plaintext)
		return nil, fmt.Errorf("unwrap data key with KMS key %s: plaintext is not a 32-byte data key", m.keyID)
	}
	return out.Plaintext, nil
}

// Passphrase master key parameters: scrypt N=2^15, r=8, p=1 (about 32 MiB and
// tens of milliseconds, once at start-up).
const (
	scryptN = 1 << 15
	scryptR = 8
	scryptP = 1
	// MinSaltLen is the shortest salt NewPassphraseMaster accepts.
	MinSaltLen = 16
)

type passphraseMaster struct {
	MasterKey // the static master for the derived key
	id        string
}

// NewPassphraseMaster derives a 32-byte master key from passphrase and salt
// with scrypt (N=2^15, r=8, p=1) and wraps with AES-256-GCM exactly like
// NewStaticMaster. The salt (at least MinSaltLen random bytes) is not secret
// but must be kept: with another salt the same passphrase is another key. The
// ID is "scrypt:" + the static master's ID, so a wrong passphrase shows up
// as ErrWrongMaster instead of as a decryption failure.
func NewPassphraseMaster(passphrase string, salt []byte) (MasterKey, error) {
	if passphrase == "" {
		return nil, errors.New("local keys: empty master passphrase")
	}
	if len(salt) < MinSaltLen {
		return nil, fmt.Errorf("local keys: master passphrase salt is %d bytes, want at least %d", len(salt), MinSaltLen)
	}
	pass := []byte(passphrase)
	defer clear(pass)
	k, err := scrypt.Key(pass, salt, scryptN, scryptR, scryptP, 32)
	if err != nil {
		return nil, fmt.Errorf("local keys: derive master key: %w", err)
	}
	var key [32]byte
	copy(key[:], k)
	clear(k)
	inner := NewStaticMaster(key)
	clear(key[:])
	return &passphraseMaster{MasterKey: inner, id: "scrypt:" + inner.ID()}, nil
}

func (m *passphraseMaster) ID() string { return m.id }
