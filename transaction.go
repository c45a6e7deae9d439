package coffer

import (
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Transaction statuses, in the order a transaction moves through them.
const (
	TxQueued    = "queued"    // accepted, not yet signed
	TxPending   = "pending"   // nonce assigned, signed bytes persisted, broadcast
	TxMined     = "mined"     // in a block, not yet deep enough
	TxConfirmed = "confirmed" // at least the chain's confirmation depth
	TxFailed    = "failed"    // reverted, or could not be sent
	TxCancelled = "cancelled" // replaced by a 0-value self-transfer
)

// Transaction kinds say why coffer sends a transaction.
const (
	KindTransfer = "transfer" // POST /v1/transactions
	KindRaw      = "raw"      // POST /v1/transactions/raw, signed by the user
	KindDeploy   = "deploy"   // collection deployment
	KindMint     = "mint"     // collection mint
	KindTopUp    = "topup"    // gas tank: the platform wallet funds a user's wallet with gas
)

// Transaction is one managed transaction. Nonce, Hash and Raw are set together,
// in the same store transaction, before anything is broadcast.
type Transaction struct {
	ID       string
	OwnerID  string // users.id of the principal who asked; "" for platform work
	Kind     string
	ChainID  uint64
	From     common.Address
	To       *common.Address // nil for contract creation
	Value    *big.Int
	Data     []byte
	Nonce    *uint64
	Gas      uint64
	GasPrice *big.Int // legacy chains
	FeeCap   *big.Int // EIP-1559 max_fee_per_gas
	TipCap   *big.Int // EIP-1559 max_priority_fee_per_gas
	Hash     *common.Hash
	Raw      []byte
	Status   string

	BlockNumber     *uint64
	BlockHash       *common.Hash
	GasUsed         *uint64
	ContractAddress *common.Address // for deployments, once mined
	Error           string

	IdempotencyKey string
	RequestHash    []byte // SHA-256 of the request body that created it
	Attempts       []TxAttempt
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Attempt kinds: what a signed version of a transaction sends.
const (
	AttemptSend   = ""       // the request itself (first send or a fee bump)
	AttemptCancel = "cancel" // a 0-value self-transfer asked for by cancel
	AttemptNoop   = "noop"   // a 0-value self-transfer filling a nonce the request cannot use
)

// TxAttempt is one signed version of a transaction; replacements add more.
type TxAttempt struct {
	Kind      string // AttemptSend, AttemptCancel or AttemptNoop
	Hash      common.Hash
	Raw       []byte
	GasPrice  *big.Int
	FeeCap    *big.Int
	TipCap    *big.Int
	CreatedAt time.Time
}

// TxFilter selects transactions for listing, newest first.
type TxFilter struct {
	OwnerID string // "" = all (admins)
	From    *common.Address
	Status  string
	Kind    string
	To      *common.Address
	Limit   int
	Cursor  string // opaque, from the previous page
}

// TxReceipt is what the transaction manager learns from the chain.
type TxReceipt struct {
	Status          string // TxMined, TxConfirmed or TxFailed
	BlockNumber     uint64
	BlockHash       common.Hash
	Hash            common.Hash // the attempt that was mined
	GasUsed         uint64
	ContractAddress *common.Address
	Error           string
}

// AssignError is Store.AssignNonces' answer when sign failed for transaction
// ID: it and the transactions after it in the batch took no nonce. Err is
// sign's error (its code is the error's code).
type AssignError struct {
	ID  string
	Err error
}

func (e *AssignError) Error() string { return fmt.Sprintf("sign %s: %v", e.ID, e.Err) }
func (e *AssignError) Unwrap() error { return e.Err }
