package local

import (
	"context"
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/crypto"
)

// ExportKey decrypts keyID and returns a copy of its private key.
//
// This is the one way a private key leaves coffer. Callers (custody's
// ExportKey) gate it behind configuration (keys.allow_export), the admin role
// and an audit record written before the key is returned.
func (b *Backend) ExportKey(ctx context.Context, keyID string) (*ecdsa.PrivateKey, error) {
	e, err := b.load(ctx, keyID)
	if err != nil {
		return nil, err
	}
	d := crypto.FromECDSA(e.priv)
	defer clear(d)
	return crypto.ToECDSA(d)
}
