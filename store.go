package coffer

import (
	"context"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Store is coffer's persistent state. store/sqlite and store/postgres implement
// it and pass one conformance suite (store/storetest).
//
// Conventions: lookups of a missing row return an *Error with ENOTFOUND; a
// unique key that is taken returns ECONFLICT; list methods return at most
// Limit rows (default 50, capped at 500) newest first with an opaque cursor for
// the next page ("" when there is none).
type Store interface {
	KeyStore

	Ping(ctx context.Context) error
	Close() error

	// Meta is a small key/value table for facts about the deployment, such as
	// which chain (genesis hash) the rows refer to.
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
	// ResetChainState deletes everything that refers to a chain (transactions,
	// nonces, collections, mints, tokens, index cursors, chain wallets stay) —
	// used when the dev chain starts afresh.
	ResetChainState(ctx context.Context) error

	CreateUser(ctx context.Context, u *User) error
	User(ctx context.Context, id string) (*User, error)
	UserByIdentity(ctx context.Context, issuer, subject string) (*User, error)

	CreateAPIKey(ctx context.Context, k *APIKey) error
	APIKey(ctx context.Context, id string) (*APIKey, error)

	// CreateNonce records a SIWE nonce; ConsumeNonce deletes it and fails with
	// ENOTFOUND when it was never issued, already used or expired at now.
	CreateNonce(ctx context.Context, nonce string, expiresAt time.Time) error
	ConsumeNonce(ctx context.Context, nonce string, now time.Time) error

	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, id string) (*Session, error)
	// RotateSession swaps the refresh hash if it still equals oldHash and the
	// session is live at now; otherwise ENOTFOUND (a reused refresh token).
	RotateSession(ctx context.Context, id string, oldHash, newHash []byte, now, expiresAt time.Time) error
	RevokeSession(ctx context.Context, id string, at time.Time) error

	CreateWallet(ctx context.Context, w *Wallet) error
	Wallet(ctx context.Context, addr common.Address) (*Wallet, error)
	WalletByLabel(ctx context.Context, label string) (*Wallet, error)
	// Wallets lists wallets of ownerID ("" lists every wallet).
	Wallets(ctx context.Context, ownerID string, limit int, cursor string) ([]*Wallet, string, error)
	SetWalletDisabled(ctx context.Context, addr common.Address, disabled bool) error

	// CreateTransaction inserts a queued transaction. A taken IdempotencyKey is ECONFLICT.
	CreateTransaction(ctx context.Context, tx *Transaction) error
	Transaction(ctx context.Context, id string) (*Transaction, error)
	TransactionByIdempotencyKey(ctx context.Context, key string) (*Transaction, error)
	TransactionByHash(ctx context.Context, hash common.Hash) (*Transaction, error)
	Transactions(ctx context.Context, f TxFilter) ([]*Transaction, string, error)
	// AssignNonce takes the next nonce of (tx.ChainID, tx.From), calls sign with
	// it and persists the signed attempt, the nonce and status pending — all in
	// one store transaction, so a nonce is used only if its signed bytes are
	// stored. It fails with ECONFLICT if the transaction is no longer queued.
	AssignNonce(ctx context.Context, id string, sign func(tx *Transaction, nonce uint64) (*TxAttempt, error)) (*Transaction, error)
	// AssignNonces is AssignNonce for a run of transactions of one (chain,
	// sender), in the order of ids: the queued ones take consecutive nonces
	// from the next one, sign is called for each (concurrently, so that a
	// signer writing audit records can group them), and every signed
	// attempt, the nonces and status pending are persisted in ONE store
	// transaction. The result is aligned with ids; an entry is nil when that
	// transaction took no nonce: it is missing or no longer queued (skipped),
	// or sign failed for it or an earlier one. A failing sign returns an
	// *AssignError naming the transaction: it and the ones after it take no
	// nonce and stay queued, the ones before are stored and returned. Any
	// other error stores nothing. ids of different chains or senders are
	// EINVALID.
	AssignNonces(ctx context.Context, ids []string, sign func(tx *Transaction, nonce uint64) (*TxAttempt, error)) ([]*Transaction, error)
	// AddAttempt records a replacement and makes it the transaction's current hash.
	AddAttempt(ctx context.Context, id string, a *TxAttempt) error
	// CreateSignedTransaction inserts a transaction signed elsewhere (self-custody,
	// KindRaw) as pending with its nonce, hash, raw bytes and one attempt; it does
	// not touch the nonces table. A raw transaction whose hash is already stored
	// is ECONFLICT.
	CreateSignedTransaction(ctx context.Context, tx *Transaction) error
	// CancelQueued marks a queued transaction (no nonce yet) cancelled; ECONFLICT
	// when it is no longer queued.
	CancelQueued(ctx context.Context, id string) error
	// UpdateTransaction records what the chain said (status, receipt fields, error).
	//
	// A mint moves with the transaction that sends it: whatever stores a
	// mint transaction's status (AssignNonce(s), CancelQueued,
	// UpdateTransaction(s)) also moves its mint to MintStatusOf that status,
	// with the transaction's hash, its error when it failed and TxUpdate's
	// TokenID, in the same store transaction. A crash cannot leave a mint
	// behind its transaction.
	UpdateTransaction(ctx context.Context, id string, u TxUpdate) error
	// UpdateTransactions applies each change as UpdateTransaction does, all
	// in one store transaction (every change or none), and returns the
	// transactions as updated, aligned with cs, without their attempts: the
	// transaction manager records a round's receipts at once.
	UpdateTransactions(ctx context.Context, cs []TxChange) ([]*Transaction, error)
	// TransactionsByID returns those of ids that exist, in the order of ids,
	// without their attempts.
	TransactionsByID(ctx context.Context, ids []string) ([]*Transaction, error)
	// TransactionsByStatus lists transactions in any of statuses, oldest first,
	// at most limit (default 50, capped at 5,000: it is the transaction
	// manager's view of its queue and open transactions, not an API page).
	TransactionsByStatus(ctx context.Context, chainID uint64, statuses []string, limit int) ([]*Transaction, error)
	// TransactionsByStatusKnown is TransactionsByStatus for a caller that
	// keeps what it read (the tracker, every pass): a transaction whose
	// UpdatedAt is that of its copy in known (by id) is not read again, and
	// that copy is returned in its place. Every change to a transaction or
	// to its attempts moves its UpdatedAt.
	TransactionsByStatusKnown(ctx context.Context, chainID uint64, statuses []string, limit int, known map[string]*Transaction) ([]*Transaction, error)
	// NextNonce is the nonce AssignNonce would give (chain, from) now; SetNextNonce re-syncs it.
	NextNonce(ctx context.Context, chainID uint64, from common.Address) (uint64, error)
	SetNextNonce(ctx context.Context, chainID uint64, from common.Address, next uint64) error

	// CreateCollection inserts a collection and its queued deployment transaction atomically.
	CreateCollection(ctx context.Context, c *Collection, tx *Transaction) error
	Collection(ctx context.Context, id string) (*Collection, error)
	CollectionByAddress(ctx context.Context, chainID uint64, addr common.Address) (*Collection, error)
	CollectionByTx(ctx context.Context, txID string) (*Collection, error)
	Collections(ctx context.Context, limit int, cursor string) ([]*Collection, string, error)
	UpdateCollection(ctx context.Context, id string, status string, addr *common.Address) error

	// CreateMint inserts a mint and its queued transaction atomically. A taken
	// IdempotencyKey is ECONFLICT.
	CreateMint(ctx context.Context, m *Mint, tx *Transaction) error
	Mint(ctx context.Context, id string) (*Mint, error)
	MintByIdempotencyKey(ctx context.Context, key string) (*Mint, error)
	MintByTx(ctx context.Context, txID string) (*Mint, error)
	// Mints lists mints newest first by (CreatedAt, ID) with an opaque cursor
	// to the next page ("" on the last). Metadata is not loaded (nil): a list
	// reads rows whose metadata can be large; Mint(id) has it.
	Mints(ctx context.Context, f MintFilter) ([]*Mint, string, error)
	UpdateMint(ctx context.Context, id string, u MintUpdate) error

	// ApplyTransfers records Transfer events and moves the index cursor of
	// chainID to (block, hash) in one store transaction.
	ApplyTransfers(ctx context.Context, chainID uint64, ts []Transfer, block uint64, hash common.Hash) error
	// IndexCursor is the last block the indexer finished (0, zero hash when none).
	IndexCursor(ctx context.Context, chainID uint64) (uint64, common.Hash, error)
	// IndexedBlocks returns up to limit block numbers and hashes of chainID
	// recorded by ApplyTransfers at or below atOrBelow, highest first: the
	// history the indexer compares with the node to find a reorg's fork point.
	IndexedBlocks(ctx context.Context, chainID, atOrBelow uint64, limit int) ([]IndexedBlock, error)
	// RewindIndex undoes the index of chainID above toBlock in one store
	// transaction: the transfers and block hashes above it are deleted, every
	// token they touched gets the owner of its latest remaining transfer (a
	// token with none left, minted above toBlock, is deleted) and the cursor
	// moves to (toBlock, toHash). No event is written for the removed
	// transfers (docs/EVENTS.md). toBlock above the cursor is EINVALID.
	RewindIndex(ctx context.Context, chainID, toBlock uint64, toHash common.Hash) error
	// MintURIs returns the token URIs of coffer's mints whose transaction
	// any of hashes is (any attempt's hash), by hash; hashes of other
	// transactions are left out.
	MintURIs(ctx context.Context, hashes []common.Hash) (map[common.Hash]string, error)
	Token(ctx context.Context, chainID uint64, contract common.Address, tokenID *big.Int) (*Token, error)
	Tokens(ctx context.Context, f TokenFilter) ([]*Token, string, error)

	// AppendAudit adds a record to the hash chain, filling Seq, PrevHash and Hash.
	AppendAudit(ctx context.Context, r *AuditRecord) error
	AuditRecords(ctx context.Context, f AuditFilter) ([]*AuditRecord, string, error)
	// AuditHead is the seq and hash of the last record appended, kept apart
	// from the log (0, nil when empty): deleting the log's tail without also
	// rewriting the head is detected by verification.
	AuditHead(ctx context.Context) (int64, []byte, error)

	// WalletPolicy returns the wallet's own policy (a zero Policy when none is
	// set); SetWalletPolicy replaces it (a zero Policy removes it).
	WalletPolicy(ctx context.Context, addr common.Address) (*Policy, error)
	SetWalletPolicy(ctx context.Context, addr common.Address, p *Policy) error
	// ReserveSpend records sp if the wallet's spend on sp.ChainID over the
	// window ending at sp.Time, with sp added, stays within limit, and reports
	// whether it did and what was spent before it. Spends at the same (wallet,
	// chain, nonce) count once, at their largest value. Check and record are
	// atomic across processes.
	ReserveSpend(ctx context.Context, sp *Spend, limit *big.Int, window time.Duration) (ok bool, prior *big.Int, err error)

	// Events (the outbox, event.go). The store itself appends the events of
	// transactions, mints and transfers in the store transaction that changes
	// them; AppendEvent is for the others. Each event gets one pending
	// Delivery per webhook subscribed to its type. An event whose ID is taken
	// is skipped (no error): ids are for de-duplication.
	AppendEvent(ctx context.Context, e *Event) error
	Events(ctx context.Context, f EventFilter) ([]*Event, error)
	Event(ctx context.Context, id string) (*Event, error)
	// LastEventSeq is the Seq of the newest event (0 when none).
	LastEventSeq(ctx context.Context) (int64, error)
	// CreateWebhook fills ID and CreatedAt; Webhooks lists them oldest first.
	CreateWebhook(ctx context.Context, w *Webhook) error
	Webhook(ctx context.Context, id string) (*Webhook, error)
	Webhooks(ctx context.Context) ([]*Webhook, error)
	// DeleteWebhook removes the webhook and its deliveries.
	DeleteWebhook(ctx context.Context, id string) error
	// ClaimDeliveries takes up to limit pending deliveries due at now, each the
	// oldest pending one of its (webhook, subject), with their event and
	// webhook, and pushes their next attempt to now+lease so that no other
	// worker takes them meanwhile (FOR UPDATE SKIP LOCKED on PostgreSQL).
	// A worker that dies leaves them to be retried after the lease.
	ClaimDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*Delivery, error)
	// FinishAttempt records an attempt's outcome: d.Status, Attempts,
	// NextAttemptAt, LastAttemptAt, LastCode, LastError, DeliveredAt.
	FinishAttempt(ctx context.Context, d *Delivery) error
	// Deliveries lists a webhook's deliveries, newest first.
	Deliveries(ctx context.Context, webhookID string, limit int, cursor string) ([]*Delivery, string, error)
	// PruneEvents deletes events created before t that no pending delivery
	// needs, and finished deliveries of them; it returns how many events
	// went. The newest event always stays: an event's seq is never reused.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
}

// TxUpdate carries the fields UpdateTransaction changes; nil fields stay.
type TxUpdate struct {
	Status          string
	BlockNumber     *uint64
	BlockHash       *common.Hash
	Hash            *common.Hash // the attempt that was mined
	GasUsed         *uint64
	ContractAddress *common.Address
	Error           *string
	// TokenID is, for a mint's transaction, the token its receipt shows
	// minted; the mint records it in the same store transaction.
	TokenID *big.Int
}

// TxChange is one transaction's update in UpdateTransactions.
type TxChange struct {
	ID     string
	Update TxUpdate
}

// MintUpdate carries the fields UpdateMint changes; nil fields stay.
type MintUpdate struct {
	Status  string
	TxHash  *common.Hash
	TokenID *big.Int
	Error   *string
}

// AuditRecord is one entry of the append-only signing log. Hash covers every
// other field and PrevHash, so an edited or deleted row breaks the chain.
type AuditRecord struct {
	Seq       int64
	Time      time.Time
	Principal string
	Wallet    common.Address
	KeyID     string
	Kind      string // "transaction", "message", "typed_data", "hash"
	Digest    common.Hash
	ChainID   uint64
	To        *common.Address
	Value     *big.Int
	RequestID string
	Outcome   string // "allowed", "refused: <rule>", "error: <reason>"
	PrevHash  []byte
	Hash      []byte
}

// AuditFilter selects audit records, newest first.
type AuditFilter struct {
	Wallet    *common.Address
	Principal string
	Kind      string
	Outcome   string // "allowed", or "refused"/"error" (any reason)
	Since     *time.Time
	Until     *time.Time // exclusive
	Limit     int
	Cursor    string
}

// Blob is a content store for NFT metadata and media (blob/fs, blob/s3).
type Blob interface {
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Get returns ENOTFOUND for a missing key.
	Get(ctx context.Context, key string) (data []byte, contentType string, err error)
	Delete(ctx context.Context, key string) error
}
