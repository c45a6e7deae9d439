package coffer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Event types. A webhook or a stream subscribes to types or to a family
// ("transaction.*").
const (
	EventNFTTransfer     = "nft.transfer"
	EventLowBalance      = "platform.low_balance"
	EventTxPrefix        = "transaction." // + transaction status
	EventMintPrefix      = "mint."        // + mint status
	EventPlatformPrefix  = "platform."
	maxEventOwners       = 2
	eventIDTransferLabel = "coffer/event/nft.transfer"
)

// EventTypes lists every type coffer emits, for validating subscriptions.
var EventTypes = []string{
	"transaction.queued", "transaction.pending", "transaction.mined", "transaction.confirmed", "transaction.failed", "transaction.cancelled",
	"mint.queued", "mint.pending", "mint.mined", "mint.confirmed", "mint.failed",
	EventNFTTransfer, EventLowBalance,
}

// ValidEventPattern reports whether p names a type, a family ("mint.*") or
// every event ("*").
func ValidEventPattern(p string) bool {
	if p == "*" {
		return true
	}
	for _, t := range EventTypes {
		if t == p || strings.HasSuffix(p, ".*") && strings.HasPrefix(t, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

// EventMatches reports whether an event of type t matches pattern p.
func EventMatches(p, t string) bool {
	return p == "*" || p == t || strings.HasSuffix(p, ".*") && strings.HasPrefix(t, strings.TrimSuffix(p, "*"))
}

// EventFamily is the family pattern of type t: "mint.*" for "mint.pending".
func EventFamily(t string) string {
	if i := strings.IndexByte(t, '.'); i >= 0 {
		return t[:i] + ".*"
	}
	return t
}

// Event is one entry of the outbox: something that happened, as webhooks and
// the event stream deliver it. The store writes the events of transactions,
// mints and transfers in the same store transaction as the change itself.
type Event struct {
	Seq     int64  // position in the outbox, assigned by the store
	ID      string // unique and stable across deliveries: receivers de-duplicate on it
	Type    string
	Subject string // the object it is about ("tx_…", "mint_…", "token:<chain>:<contract>:<id>"); deliveries of one subject stay in order
	// Owners are the users who may see the event (at most two); admins see all.
	Owners    []string
	Data      json.RawMessage
	CreatedAt time.Time
}

// EventFilter selects events in outbox order (oldest first).
type EventFilter struct {
	After   int64    // Seq of the last event already seen
	OwnerID string   // only events this user may see ("" = all)
	Types   []string // patterns (ValidEventPattern); none = all
	Limit   int      // default 100, capped at 500
}

func owners(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && len(out) < maxEventOwners && (len(out) == 0 || out[0] != id) {
			out = append(out, id)
		}
	}
	return out
}

// TransactionEvent is "transaction.<status>" for t as it is now.
func TransactionEvent(t *Transaction) *Event {
	return &Event{ID: NewID("evt"), Type: EventTxPrefix + t.Status, Subject: t.ID, Owners: owners(t.OwnerID), Data: transactionData(t)}
}

func transactionData(t *Transaction) json.RawMessage {
	o := newJSONObject(512)
	o.str("id", t.ID)
	o.str("kind", t.Kind)
	o.u64("chain_id", t.ChainID)
	o.addr("from", t.From)
	o.addrPtr("to", t.To)
	if t.Value != nil {
		o.bigString("value", t.Value)
	} else {
		o.str("value", "0")
	}
	o.u64Ptr("nonce", t.Nonce)
	o.hashPtr("hash", t.Hash)
	o.str("status", t.Status)
	o.u64Ptr("block_number", t.BlockNumber)
	o.u64String("gas_used", t.GasUsed)
	if t.ContractAddress != nil {
		o.addr("contract_address", *t.ContractAddress)
	}
	o.strOmit("error", t.Error)
	o.time("created_at", t.CreatedAt)
	o.time("updated_at", t.UpdatedAt)
	return o.done()
}

// MintEvent is "mint.<status>" for m as it is now; recipient is the user
// owning m.To ("" when none), who may see it too.
func MintEvent(m *Mint, recipient string) *Event {
	return &Event{ID: NewID("evt"), Type: EventMintPrefix + m.Status, Subject: m.ID, Owners: owners(m.OwnerID, recipient), Data: mintData(m)}
}

func mintData(m *Mint) json.RawMessage {
	o := newJSONObject(384)
	o.str("id", m.ID)
	o.str("collection_id", m.CollectionID)
	o.addr("to", m.To)
	o.str("token_uri", m.TokenURI)
	o.str("status", m.Status)
	o.str("transaction_id", m.TxID)
	o.hashPtr("transaction_hash", m.TxHash)
	o.bigString("token_id", m.TokenID)
	o.strOmit("error", m.Error)
	o.time("created_at", m.CreatedAt)
	o.time("updated_at", m.UpdatedAt)
	return o.done()
}

// TransferEvent is "nft.transfer" for t; from and to are the users owning
// its two wallets ("" when none). Its id is derived from the log (chain,
// block hash, transaction, log index), so a transfer indexed again after a
// restart or a rewind is the same event, and one re-mined in another block
// after a reorg is a new one.
func TransferEvent(t Transfer, fromUser, toUser string) *Event {
	tokenID := "0"
	if t.TokenID != nil {
		tokenID = t.TokenID.String()
	}
	o := newJSONObject(384)
	o.u64("chain_id", t.ChainID)
	o.addr("contract", t.Contract)
	o.str("token_id", tokenID)
	o.addr("from", t.From)
	o.addr("to", t.To)
	o.hash("transaction_hash", t.TxHash)
	o.u64("block_number", t.BlockNumber)
	o.hash("block_hash", t.BlockHash)
	o.u64("log_index", uint64(t.LogIndex))
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%s|%s|%d", eventIDTransferLabel, t.ChainID, t.BlockHash.Hex(), t.TxHash.Hex(), t.LogIndex))
	return &Event{
		ID: "evt_" + hex.EncodeToString(sum[:10]), Type: EventNFTTransfer,
		Subject: fmt.Sprintf("token:%d:%s:%s", t.ChainID, strings.ToLower(t.Contract.Hex()), tokenID),
		Owners:  owners(toUser, fromUser), Data: o.done(),
	}
}

// Webhook is an endpoint that receives events by POST.
type Webhook struct {
	ID        string
	URL       string
	Events    []string // patterns (ValidEventPattern)
	Secret    string   // HMAC-SHA256 key of the Coffer-Signature header; never listed
	CreatedAt time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up: the event is older than the retry window
)

// Delivery is one event to one webhook: created with the event (in the same
// store transaction), then attempted until delivered or given up.
type Delivery struct {
	WebhookID     string
	EventSeq      int64
	EventID       string
	EventType     string
	Subject       string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastAttemptAt *time.Time
	LastCode      int    // HTTP status of the last attempt (0: no answer)
	LastError     string // why the last attempt failed
	CreatedAt     time.Time
	DeliveredAt   *time.Time

	// Set by ClaimDeliveries for the sender.
	Event   *Event
	Webhook *Webhook
}
