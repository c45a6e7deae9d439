package custody

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
)

// Custodian is what the API, minting and the transaction manager need from
// custody: wallets, ownership and signatures. *Service implements it in
// process; package signer implements it as a client of a separate
// `coffer signer` process, so that the API process holds no key material.
// Every method is answered by the side holding the keys, which checks
// ownership and policies and writes the audit record itself.
type Custodian interface {
	// Wallet returns addr if p may use it (ENOTFOUND otherwise).
	Wallet(ctx context.Context, p *coffer.Principal, addr common.Address) (*coffer.Wallet, error)
	// CreateWallet makes a key in backend ("" = default) and a wallet owned by ownerID.
	CreateWallet(ctx context.Context, ownerID, backend, label string) (*coffer.Wallet, error)
	// UserWallet returns the user's default wallet, creating it on first need.
	UserWallet(ctx context.Context, userID string) (*coffer.Wallet, error)
	// PlatformWallet returns the platform (treasury and minter) wallet.
	PlatformWallet(ctx context.Context) (*coffer.Wallet, error)

	// SignTx signs for the transaction manager (principal "txm").
	SignTx(ctx context.Context, from common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error)
	SignTransaction(ctx context.Context, p *coffer.Principal, addr common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error)
	SignMessage(ctx context.Context, p *coffer.Principal, addr common.Address, msg []byte) ([]byte, error)
	SignTypedData(ctx context.Context, p *coffer.Principal, addr common.Address, td apitypes.TypedData) ([]byte, error)
	SignHash(ctx context.Context, p *coffer.Principal, addr common.Address, digest [32]byte, allowOwners bool) ([]byte, error)

	// Key lifecycle and policies (lifecycle.go), for the admin API.
	SetWalletDisabled(ctx context.Context, p *coffer.Principal, addr common.Address, disabled bool) (*coffer.Wallet, error)
	WalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address) (own *coffer.Policy, effective coffer.Policy, err error)
	SetWalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address, pol *coffer.Policy) error
	ExportKey(ctx context.Context, p *coffer.Principal, addr common.Address) (string, error)
	CheckTransaction(ctx context.Context, p *coffer.Principal, addr common.Address, chainID uint64, to *common.Address, value *big.Int) error
}

var _ Custodian = (*Service)(nil)
