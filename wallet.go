package coffer

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Key backends.
const (
	BackendLocal  = "local"
	BackendAWSKMS = "awskms"
	BackendPKCS11 = "pkcs11"
)

// Wallet is a custodial Ethereum account. Its private key lives in a key
// backend under KeyID and never leaves it.
type Wallet struct {
	Address   common.Address
	OwnerID   string // users.id; "" for platform wallets
	Backend   string
	KeyID     string
	Label     string // "platform" for the treasury/minter wallet
	Disabled  bool
	CreatedAt time.Time
}

// KeyRecord is how a key backend persists what it needs about one key. For the
// local backend Material is the AES-GCM ciphertext of the private key and
// WrappedKey the data key wrapped by the master key; other backends keep a
// reference (KMS ARN, PKCS#11 label) and leave the secrets in the device.
type KeyRecord struct {
	ID         string
	Backend    string
	Address    common.Address
	PublicKey  []byte // uncompressed secp256k1 point, 65 bytes
	Material   []byte
	WrappedKey []byte
	MasterID   string // which master key wrapped WrappedKey
	CreatedAt  time.Time
}

// KeyStore persists key records; the store implements it.
type KeyStore interface {
	PutKey(ctx context.Context, k *KeyRecord) error
	Key(ctx context.Context, id string) (*KeyRecord, error)
	Keys(ctx context.Context, backend string) ([]*KeyRecord, error)
	// UpdateKeyWrapping replaces the wrapped data key of one key (master key rotation).
	UpdateKeyWrapping(ctx context.Context, id string, wrapped []byte, masterID string) error
}

// Signer is the one signing primitive every key backend offers: sign a 32-byte
// digest with key K, and the public key of K. Implementations return a 65-byte
// [R || S || V] signature with V in {0,1} and S in the lower half of the curve
// order, and check it recovers to K's address before returning it.
type Signer interface {
	SignDigest(ctx context.Context, keyID string, digest [32]byte) ([]byte, error)
	PublicKey(ctx context.Context, keyID string) ([]byte, error)
}

// KeyBackend is a Signer that can also create keys.
type KeyBackend interface {
	Signer
	Name() string
	// CreateKey makes a new key inside the backend and returns its record.
	CreateKey(ctx context.Context) (*KeyRecord, error)
}
