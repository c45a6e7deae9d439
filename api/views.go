package api

import (
	"encoding/json"
	"math/big"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/cofferhq/coffer"
)

// The JSON shapes of API.md: addresses checksummed, quantities as decimal
// strings, bytes and hashes as 0x hex.

// address is an address that marshals EIP-55 checksummed, as API.md
// promises; common.Address marshals as lower-case hex.
type address common.Address

func (a address) MarshalText() ([]byte, error) {
	return []byte(coffer.AddressHex(common.Address(a))), nil
}

func (a *address) UnmarshalText(b []byte) error { return (*common.Address)(a).UnmarshalText(b) }

type walletView struct {
	Address    address           `json:"address"`
	Backend    string            `json:"backend"`
	Owner      string            `json:"owner,omitempty"`
	Label      string            `json:"label,omitempty"`
	Disabled   bool              `json:"disabled"`
	CreatedAt  time.Time         `json:"created_at"`
	BalanceWei map[string]string `json:"balance_wei,omitempty"`
}

func viewWallet(w *coffer.Wallet) walletView {
	return walletView{Address: address(w.Address), Backend: w.Backend, Owner: w.OwnerID, Label: w.Label, Disabled: w.Disabled, CreatedAt: w.CreatedAt}
}

type attemptView struct {
	Kind                 string      `json:"kind,omitempty"` // "cancel" or "noop" for a 0-value self-transfer at the nonce
	Hash                 common.Hash `json:"hash"`
	GasPrice             *string     `json:"gas_price,omitempty"`
	MaxFeePerGas         *string     `json:"max_fee_per_gas,omitempty"`
	MaxPriorityFeePerGas *string     `json:"max_priority_fee_per_gas,omitempty"`
	CreatedAt            time.Time   `json:"created_at"`
}

type txView struct {
	ID                   string        `json:"id"`
	Kind                 string        `json:"kind"`
	ChainID              uint64        `json:"chain_id"`
	From                 address       `json:"from"`
	To                   *address      `json:"to"`
	Value                string        `json:"value"`
	Data                 string        `json:"data,omitempty"`
	Nonce                *uint64       `json:"nonce"`
	Gas                  *string       `json:"gas,omitempty"`
	MaxFeePerGas         *string       `json:"max_fee_per_gas,omitempty"`
	MaxPriorityFeePerGas *string       `json:"max_priority_fee_per_gas,omitempty"`
	GasPrice             *string       `json:"gas_price,omitempty"`
	Hash                 *common.Hash  `json:"hash"`
	Status               string        `json:"status"`
	BlockNumber          *uint64       `json:"block_number"`
	Confirmations        uint64        `json:"confirmations"`
	GasUsed              *string       `json:"gas_used"`
	ContractAddress      *address      `json:"contract_address,omitempty"`
	Error                string        `json:"error,omitempty"`
	Attempts             []attemptView `json:"attempts"`
	CreatedAt            time.Time     `json:"created_at"`
	UpdatedAt            time.Time     `json:"updated_at"`
}

func bigStr(b *big.Int) *string {
	if b == nil {
		return nil
	}
	s := b.String()
	return &s
}

func u64Str(n *uint64) *string {
	if n == nil {
		return nil
	}
	s := strconv.FormatUint(*n, 10)
	return &s
}

func viewTx(t *coffer.Transaction, head uint64) txView {
	v := txView{
		ID: t.ID, Kind: t.Kind, ChainID: t.ChainID, From: address(t.From), To: (*address)(t.To), Value: "0", Nonce: t.Nonce,
		MaxFeePerGas: bigStr(t.FeeCap), MaxPriorityFeePerGas: bigStr(t.TipCap), GasPrice: bigStr(t.GasPrice),
		Hash: t.Hash, Status: t.Status, BlockNumber: t.BlockNumber, GasUsed: u64Str(t.GasUsed),
		ContractAddress: (*address)(t.ContractAddress), Error: t.Error, Attempts: []attemptView{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	if t.Value != nil {
		v.Value = t.Value.String()
	}
	if len(t.Data) > 0 {
		v.Data = hexutil.Encode(t.Data)
	}
	if t.Gas != 0 {
		g := t.Gas
		v.Gas = u64Str(&g)
	}
	if t.BlockNumber != nil && head >= *t.BlockNumber {
		v.Confirmations = head - *t.BlockNumber + 1
	}
	for _, a := range t.Attempts {
		v.Attempts = append(v.Attempts, attemptView{Kind: a.Kind, Hash: a.Hash, GasPrice: bigStr(a.GasPrice), MaxFeePerGas: bigStr(a.FeeCap), MaxPriorityFeePerGas: bigStr(a.TipCap), CreatedAt: a.CreatedAt})
	}
	return v
}

type collectionView struct {
	ID            string    `json:"id"`
	ChainID       uint64    `json:"chain_id"`
	Name          string    `json:"name"`
	Symbol        string    `json:"symbol"`
	BaseURI       string    `json:"base_uri,omitempty"`
	Address       *address  `json:"address"`
	Status        string    `json:"status"`
	TransactionID string    `json:"transaction_id"`
	Minter        address   `json:"minter"`
	MintMode      string    `json:"mint_mode"`
	TotalMinted   uint64    `json:"total_minted"`
	CreatedAt     time.Time `json:"created_at"`
}

func viewCollection(c *coffer.Collection) collectionView {
	return collectionView{ID: c.ID, ChainID: c.ChainID, Name: c.Name, Symbol: c.Symbol, BaseURI: c.BaseURI, Address: (*address)(c.Address),
		Status: c.Status, TransactionID: c.TxID, Minter: address(c.Minter), MintMode: c.MintMode, TotalMinted: c.TotalMinted, CreatedAt: c.CreatedAt}
}

type mintView struct {
	ID              string          `json:"id"`
	CollectionID    string          `json:"collection_id"`
	To              address         `json:"to"`
	TokenURI        string          `json:"token_uri"`
	Metadata        json.RawMessage `json:"metadata,omitempty"`
	Status          string          `json:"status"`
	TransactionID   string          `json:"transaction_id"`
	TransactionHash *common.Hash    `json:"transaction_hash"`
	TokenID         *string         `json:"token_id"`
	Error           string          `json:"error,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

func viewMint(m *coffer.Mint) mintView {
	return mintView{ID: m.ID, CollectionID: m.CollectionID, To: address(m.To), TokenURI: m.TokenURI, Metadata: m.Metadata, Status: m.Status,
		TransactionID: m.TxID, TransactionHash: m.TxHash, TokenID: bigStr(m.TokenID), Error: m.Error, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

type tokenView struct {
	ChainID         uint64          `json:"chain_id"`
	Contract        address         `json:"contract"`
	TokenID         string          `json:"token_id"`
	Owner           address         `json:"owner"`
	TokenURI        string          `json:"token_uri"`
	Metadata        json.RawMessage `json:"metadata"`
	MintTransaction *common.Hash    `json:"mint_transaction"`
	BlockNumber     uint64          `json:"block_number"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}
