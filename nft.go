package coffer

import (
	"encoding/json"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Collection statuses follow the deployment transaction.
const (
	CollectionPending  = "pending"
	CollectionDeployed = "deployed"
	CollectionFailed   = "failed"
)

// Mint modes of a collection: who sends its mint transactions.
const (
	// MintModePlatform: the platform wallet (MINTER_ROLE) sends mint(to, uri).
	MintModePlatform = "platform"
	// MintModeVoucher: the platform signs an EIP-712 MintVoucher and the
	// recipient's own custodial wallet sends mintWithVoucher, paying the gas
	// (funded by the gas tank where one is configured).
	MintModeVoucher = "voucher"
)

// Collection is an ERC-721 contract deployed (or being deployed) by coffer.
type Collection struct {
	ID          string
	ChainID     uint64
	Name        string
	Symbol      string
	BaseURI     string
	Address     *common.Address // known once the deployment is mined
	Status      string
	TxID        string
	Minter      common.Address // platform wallet holding the minter role
	MintMode    string         // MintModePlatform (default) or MintModeVoucher
	TotalMinted uint64
	CreatedAt   time.Time
}

// Mint statuses follow the mint transaction (MintStatusOf).
const (
	MintQueued    = "queued"
	MintPending   = "pending"
	MintMined     = "mined"
	MintConfirmed = "confirmed"
	MintFailed    = "failed"
)

// MintStatusOf is the status of a mint whose transaction has status txStatus.
func MintStatusOf(txStatus string) string {
	switch txStatus {
	case TxPending:
		return MintPending
	case TxMined:
		return MintMined
	case TxConfirmed:
		return MintConfirmed
	case TxFailed, TxCancelled:
		return MintFailed // a cancelled mint never mints
	}
	return MintQueued
}

// Mint is one request to mint a token. Its metadata is stored before the
// transaction is queued.
type Mint struct {
	ID             string
	CollectionID   string
	OwnerID        string // users.id of the caller; "" when an admin minted
	To             common.Address
	TokenURI       string
	Metadata       json.RawMessage
	Status         string
	TxID           string
	TxHash         *common.Hash
	TokenID        *big.Int
	Error          string
	IdempotencyKey string
	RequestHash    []byte
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// MintFilter selects mints for listing, newest first.
type MintFilter struct {
	OwnerID      string // "" = all (admins)
	CollectionID string
	Status       string
	Limit        int    // 0 = default; capped by the store
	Cursor       string // opaque, from the previous page
}

// Token is an NFT as the indexer sees it on chain.
type Token struct {
	ChainID     uint64
	Contract    common.Address
	TokenID     *big.Int
	Owner       common.Address
	TokenURI    string
	MintTxHash  *common.Hash
	BlockNumber uint64
	UpdatedAt   time.Time
}

// IndexedBlock is a block number and hash the indexer recorded.
type IndexedBlock struct {
	Number uint64
	Hash   common.Hash
}

// TokenFilter selects tokens for listing.
type TokenFilter struct {
	Owner        *common.Address
	CollectionID string
	Contract     *common.Address
	ChainID      uint64
	Limit        int
	Cursor       string
}

// Transfer is one ERC-721 Transfer event.
type Transfer struct {
	ChainID     uint64
	Contract    common.Address
	TokenID     *big.Int
	From        common.Address
	To          common.Address
	TxHash      common.Hash
	BlockNumber uint64
	BlockHash   common.Hash
	LogIndex    uint
	// TokenURI, on a mint (From zero) whose URI the indexer knows, is
	// stored with the token; "" leaves the token's URI as it is.
	TokenURI string
}
