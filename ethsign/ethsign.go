// Package ethsign builds Ethereum's signature formats — transactions,
// EIP-191 personal messages, EIP-712 typed data and raw digests — once, on top
// of the one primitive every key backend offers (coffer.Signer.SignDigest).
package ethsign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// KeySigner signs as Address with the key KeyID of Signer.
type KeySigner struct {
	Signer  coffer.Signer
	KeyID   string
	Address common.Address
}

// SignTx signs a legacy (always EIP-155 replay-protected), EIP-2930 or
// EIP-1559 transaction for chainID and checks that the signed transaction's
// sender is k.Address. Blob (EIP-4844) and set-code (EIP-7702) transactions
// are refused: coffer does not build them and they carry extra authority.
func (k KeySigner) SignTx(ctx context.Context, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	if tx == nil {
		return nil, coffer.Errorf(coffer.EINVALID, "no transaction")
	}
	if chainID == nil || chainID.Sign() <= 0 {
		return nil, coffer.Errorf(coffer.EINVALID, "chain id must be positive")
	}
	switch tx.Type() {
	case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType:
	case types.BlobTxType:
		return nil, coffer.Errorf(coffer.EINVALID, "blob (EIP-4844) transactions are not supported")
	case types.SetCodeTxType:
		return nil, coffer.Errorf(coffer.EINVALID, "set-code (EIP-7702) transactions are not supported")
	default:
		return nil, coffer.Errorf(coffer.EINVALID, "transaction type %d is not supported", tx.Type())
	}
	// A typed transaction names its chain; signing it for another would
	// silently change what the caller built.
	if tx.Type() != types.LegacyTxType {
		if id := tx.ChainId(); id != nil && id.Sign() != 0 && id.Cmp(chainID) != 0 {
			return nil, coffer.Errorf(coffer.EINVALID, "transaction is for chain %s, not %s", id, chainID)
		}
	}
	signer := types.LatestSignerForChainID(chainID)
	h := signer.Hash(tx)
	sig, err := k.sign(ctx, h)
	if err != nil {
		return nil, err
	}
	signed, err := tx.WithSignature(signer, sig)
	if err != nil {
		return nil, fmt.Errorf("ethsign: attach signature: %w", err)
	}
	if err := carries(signer, signed, h, sig, chainID); err != nil {
		return nil, fmt.Errorf("ethsign: key %s: %w", k.KeyID, err)
	}
	return signed, nil
}

// SignMessage signs msg as an EIP-191 personal message (personal_sign):
// keccak256("\x19Ethereum Signed Message:\n" + len(msg) + msg). The result is
// [R || S || V] with V in {27, 28}.
func (k KeySigner) SignMessage(ctx context.Context, msg []byte) ([]byte, error) {
	return k.SignHash(ctx, common.BytesToHash(accounts.TextHash(msg)))
}

// SignTypedData signs EIP-712 typed data (eth_signTypedData_v4), V in {27, 28}.
// Untrusted JSON should come through ParseTypedData.
func (k KeySigner) SignTypedData(ctx context.Context, td apitypes.TypedData) ([]byte, error) {
	h, err := HashTypedData(td)
	if err != nil {
		return nil, err
	}
	return k.SignHash(ctx, h)
}

// SignHash signs a raw 32-byte digest, V in {27, 28}. Whoever decides what h
// is must know what it commits to: it could be a transaction's hash.
func (k KeySigner) SignHash(ctx context.Context, h [32]byte) ([]byte, error) {
	sig, err := k.sign(ctx, h)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	return sig, nil
}

// TransactOpts returns options for abigen bindings (accounts/abi/bind/v2) that
// sign through k, so contracts can be driven with any key backend. The
// signing context is the options' Context when set.
func (k KeySigner) TransactOpts(chainID *big.Int) *bind.TransactOpts {
	opts := &bind.TransactOpts{From: k.Address}
	opts.Signer = func(addr common.Address, tx *types.Transaction) (*types.Transaction, error) {
		if addr != k.Address {
			return nil, bind.ErrNotAuthorized
		}
		ctx := opts.Context
		if ctx == nil {
			ctx = context.Background()
		}
		return k.SignTx(ctx, tx, chainID)
	}
	return opts
}

// sign asks the backend for a signature over h and makes sure it is by
// k.Address. The backend has already checked, by recovery, that the signature
// is canonical and by its key (the coffer.Signer contract, enforced by
// keys/keystest); here the shape is checked again and the key is tied to
// k.Address through its public key, which costs a keccak instead of a second
// ~40µs recovery. SignTx then checks that the transaction carries exactly
// this signature over its signing hash (carries).
func (k KeySigner) sign(ctx context.Context, h [32]byte) ([]byte, error) {
	if k.Signer == nil {
		return nil, errors.New("ethsign: no signer")
	}
	sig, err := k.Signer.SignDigest(ctx, k.KeyID, h)
	if err != nil {
		return nil, err
	}
	pub, err := k.Signer.PublicKey(ctx, k.KeyID)
	if err != nil {
		return nil, err
	}
	addr, err := keys.PubkeyAddress(pub)
	if err != nil {
		return nil, fmt.Errorf("ethsign: key %s: %w", k.KeyID, err)
	}
	if addr != k.Address {
		return nil, fmt.Errorf("ethsign: key %s belongs to %s, not %s", k.KeyID, addr, k.Address)
	}
	if len(sig) != crypto.SignatureLength || sig[64] > 1 || !lowS(sig) {
		return nil, fmt.Errorf("ethsign: key %s: backend returned a malformed signature", k.KeyID)
	}
	return bytes.Clone(sig), nil
}

var halfN = common.LeftPadBytes(keys.HalfN().Bytes(), 32)

func lowS(sig []byte) bool { return bytes.Compare(sig[32:64], halfN) <= 0 }

// carries checks that signed holds exactly sig over h, so that its sender
// is what sig recovers to: the backend has recovered sig over h to its key
// and sign tied that key to k.Address, so types.Sender would only repeat that
// recovery (≈ 45 µs). The signing hash must be h, R and S must be sig's, and
// V must encode sig's recovery id: the id itself for typed transactions,
// id + 35 + 2·chainID for legacy ones (EIP-155).
func carries(signer types.Signer, signed *types.Transaction, h [32]byte, sig []byte, chainID *big.Int) error {
	if signer.Hash(signed) != h {
		return errors.New("signed transaction has a different signing hash")
	}
	v, r, s := signed.RawSignatureValues()
	want := new(big.Int).SetUint64(uint64(sig[64]))
	if signed.Type() == types.LegacyTxType {
		want.Add(want, new(big.Int).Lsh(chainID, 1))
		want.Add(want, big.NewInt(35))
	}
	if v.Cmp(want) != 0 || r.Cmp(new(big.Int).SetBytes(sig[:32])) != 0 || s.Cmp(new(big.Int).SetBytes(sig[32:64])) != 0 {
		return fmt.Errorf("signed transaction carries V=%s R=%x S=%x, not the signature made (recovery id %d)", v, r, s, sig[64])
	}
	return nil
}

// VerifyHash reports whether sig ([R || S || V], V in {0,1} or {27,28}) over h
// recovers to addr with a low s.
func VerifyHash(h [32]byte, sig []byte, addr common.Address) bool {
	if len(sig) != crypto.SignatureLength {
		return false
	}
	s := bytes.Clone(sig)
	if s[64] >= 27 {
		s[64] -= 27
	}
	if s[64] > 1 || !lowS(s) {
		return false
	}
	pub, err := crypto.SigToPub(h[:], s)
	return err == nil && crypto.PubkeyToAddress(*pub) == addr
}
