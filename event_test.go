package coffer

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// The event data as encoding/json writes it from tagged structs: the shape
// events had, which the hand-written encoders (eventjson.go) must keep byte
// for byte.

type refAddr common.Address

func (a refAddr) MarshalText() ([]byte, error) { return []byte(AddressHex(common.Address(a))), nil }

func refU64String(n *uint64) *string {
	if n == nil {
		return nil
	}
	s := strconv.FormatUint(*n, 10)
	return &s
}

func refBigString(b *big.Int) *string {
	if b == nil {
		return nil
	}
	s := b.String()
	return &s
}

func refJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func refTransaction(t *testing.T, tx *Transaction) []byte {
	value := "0"
	if tx.Value != nil {
		value = tx.Value.String()
	}
	return refJSON(t, struct {
		ID              string       `json:"id"`
		Kind            string       `json:"kind"`
		ChainID         uint64       `json:"chain_id"`
		From            refAddr      `json:"from"`
		To              *refAddr     `json:"to"`
		Value           string       `json:"value"`
		Nonce           *uint64      `json:"nonce"`
		Hash            *common.Hash `json:"hash"`
		Status          string       `json:"status"`
		BlockNumber     *uint64      `json:"block_number"`
		GasUsed         *string      `json:"gas_used"`
		ContractAddress *refAddr     `json:"contract_address,omitempty"`
		Error           string       `json:"error,omitempty"`
		CreatedAt       time.Time    `json:"created_at"`
		UpdatedAt       time.Time    `json:"updated_at"`
	}{tx.ID, tx.Kind, tx.ChainID, refAddr(tx.From), (*refAddr)(tx.To), value, tx.Nonce, tx.Hash, tx.Status, tx.BlockNumber,
		refU64String(tx.GasUsed), (*refAddr)(tx.ContractAddress), tx.Error, tx.CreatedAt, tx.UpdatedAt})
}

func refMint(t *testing.T, m *Mint) []byte {
	return refJSON(t, struct {
		ID              string       `json:"id"`
		CollectionID    string       `json:"collection_id"`
		To              refAddr      `json:"to"`
		TokenURI        string       `json:"token_uri"`
		Status          string       `json:"status"`
		TransactionID   string       `json:"transaction_id"`
		TransactionHash *common.Hash `json:"transaction_hash"`
		TokenID         *string      `json:"token_id"`
		Error           string       `json:"error,omitempty"`
		CreatedAt       time.Time    `json:"created_at"`
		UpdatedAt       time.Time    `json:"updated_at"`
	}{m.ID, m.CollectionID, refAddr(m.To), m.TokenURI, m.Status, m.TxID, m.TxHash, refBigString(m.TokenID), m.Error, m.CreatedAt, m.UpdatedAt})
}

func refTransfer(t *testing.T, tr Transfer) []byte {
	tokenID := "0"
	if tr.TokenID != nil {
		tokenID = tr.TokenID.String()
	}
	return refJSON(t, struct {
		ChainID         uint64      `json:"chain_id"`
		Contract        refAddr     `json:"contract"`
		TokenID         string      `json:"token_id"`
		From            refAddr     `json:"from"`
		To              refAddr     `json:"to"`
		TransactionHash common.Hash `json:"transaction_hash"`
		BlockNumber     uint64      `json:"block_number"`
		BlockHash       common.Hash `json:"block_hash"`
		LogIndex        uint        `json:"log_index"`
	}{tr.ChainID, refAddr(tr.Contract), tokenID, refAddr(tr.From), refAddr(tr.To), tr.TxHash, tr.BlockNumber, tr.BlockHash, tr.LogIndex})
}

// eventCase builds a transaction, a mint and a transfer from fuzzed parts:
// with every optional field set or not, strings of any bytes, and times in
// any zone and precision.
func eventCase(s string, n uint64, set byte, unix int64, nanos uint32, zone int16) (*Transaction, *Mint, Transfer) {
	at := time.Unix(unix%253402300799, int64(nanos%1e9)).In(time.FixedZone("z", int(zone)*60)) // years 0001–9999
	h := common.BigToHash(new(big.Int).SetUint64(n * 7919))
	a := common.BigToAddress(new(big.Int).SetUint64(n + 1))
	big := new(big.Int).Lsh(new(big.Int).SetUint64(n), uint(set))
	on := func(bit uint) bool { return set&(1<<bit) != 0 }
	tx := &Transaction{ID: "tx_" + s, Kind: s, ChainID: n, From: a, Status: s, Error: s, CreatedAt: at, UpdatedAt: at.Add(time.Duration(n))}
	m := &Mint{ID: s, CollectionID: s, To: a, TokenURI: s, Status: s, TxID: s, Error: s, CreatedAt: at, UpdatedAt: at}
	if on(0) {
		tx.To, tx.ContractAddress = &a, &a
	}
	if on(1) {
		tx.Value = big
		m.TokenID = big
	}
	if on(2) {
		tx.Nonce, tx.BlockNumber, tx.GasUsed = &n, &n, &n
	}
	if on(3) {
		tx.Hash, m.TxHash = &h, &h
	}
	if on(4) {
		tx.Error, m.Error = "", ""
	}
	tr := Transfer{ChainID: n, Contract: a, From: a, To: common.Address{}, TxHash: h, BlockNumber: n, BlockHash: h, LogIndex: uint(n % 1000)}
	if on(5) {
		tr.TokenID = big
	}
	return tx, m, tr
}

func checkEventData(t *testing.T, s string, n uint64, set byte, unix int64, nanos uint32, zone int16) {
	t.Helper()
	tx, m, tr := eventCase(s, n, set, unix, nanos, zone)
	for _, c := range []struct {
		what      string
		got, want []byte
	}{
		{"transaction", TransactionEvent(tx).Data, refTransaction(t, tx)},
		{"mint", MintEvent(m, "").Data, refMint(t, m)},
		{"transfer", TransferEvent(tr, "", "").Data, refTransfer(t, tr)},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Fatalf("%s event data:\n got %s\nwant %s", c.what, c.got, c.want)
		}
	}
}

// TestEventData: the events' data is what encoding/json wrote for them,
// for plain values, every optional field set and unset, and strings that
// need escaping.
func TestEventData(t *testing.T) {
	for i, s := range []string{"", "mint_06h00a", "http://x/metadata/ab.json", `quote " backslash \ tab 	`, "<script>", "a&b", "x>y",
		"ünïcödé ✓", "\x00\x1f\x7f", "bad \xff utf-8", "line\u2028sep\u2029", "a\nb\rc"} {
		for set := range byte(64) {
			checkEventData(t, s, uint64(i)*1e17+uint64(set), set, 1_700_000_000+int64(i), uint32(i)*123_456_789, int16(i*45-240))
		}
	}
}

func FuzzEventData(f *testing.F) {
	f.Add("mint_06h00a", uint64(7), byte(0xff), int64(1_700_000_000), uint32(5), int16(60))
	f.Add("<&>\u2028\xff\"", uint64(0), byte(0), int64(-62135596800), uint32(0), int16(-720))
	f.Fuzz(func(t *testing.T, s string, n uint64, set byte, unix int64, nanos uint32, zone int16) {
		if unix < 0 {
			unix = -unix
		}
		checkEventData(t, s, n, set, unix, nanos, zone%1440)
	})
}

// BenchmarkEventData: a transaction's and a mint's event data, written by
// hand (as the store does) and by encoding/json from tagged structs (as it
// did).
func BenchmarkEventData(b *testing.B) {
	tx, m, _ := eventCase("mint_06h00a2sodf9q2ccaqccbu1pmk", 1e6, 0x0f, 1_800_000_000, 123_456_000, 0)
	t := &testing.T{}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = transactionData(tx)
			_ = mintData(m)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = refTransaction(t, tx)
			_ = refMint(t, m)
		}
	})
}
