package nft

import (
	"context"
	"math/big"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/blob/fs"
	"github.com/cofferhq/coffer/store/sqlite"
)

// countingStore counts the collection reads of the mint path.
type countingStore struct {
	coffer.Store
	reads atomic.Int64
}

func (s *countingStore) Collection(ctx context.Context, id string) (*coffer.Collection, error) {
	s.reads.Add(1)
	return s.Store.Collection(ctx, id)
}

// oneWallet is every user's custodial wallet.
type oneWallet struct{ addr common.Address }

func (w oneWallet) UserWallet(context.Context, string) (*coffer.Wallet, error) {
	return &coffer.Wallet{Address: w.addr}, nil
}
func (oneWallet) PlatformWallet(context.Context) (*coffer.Wallet, error) { return nil, nil }
func (oneWallet) SignTypedData(context.Context, *coffer.Principal, common.Address, apitypes.TypedData) ([]byte, error) {
	return nil, nil
}

type noNotify struct{}

func (noNotify) Notify(uint64) {}

// A deployed collection is read once by the mint path, then cached; one
// still deploying is read on every mint, so its deployment is seen as soon
// as it is stored.
func TestMintCachesDeployedCollection(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "coffer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &countingStore{Store: db}
	s := New(st, blobs, oneWallet{common.HexToAddress("0x1111111111111111111111111111111111111111")}, noNotify{},
		Config{PublicURL: "http://coffer.test", MaxMetadataBytes: 1 << 10}, nil)

	minter := common.HexToAddress("0x2222222222222222222222222222222222222222")
	c := &coffer.Collection{ChainID: 1337, Name: "C", Symbol: "C", Minter: minter}
	deploy := &coffer.Transaction{Kind: coffer.KindDeploy, OwnerID: "usr_admin", ChainID: 1337, From: minter, Value: new(big.Int)}
	if err := db.CreateCollection(ctx, c, deploy); err != nil {
		t.Fatal(err)
	}
	p := &coffer.Principal{UserID: "usr_1"}
	mint := func() error {
		_, _, err := s.Mint(ctx, p, c.ID, MintRequest{Metadata: []byte(`{"name":"n"}`)})
		return err
	}
	for range 2 {
		if err := mint(); coffer.ErrorCode(err) != coffer.ECONFLICT {
			t.Fatalf("minting while the collection deploys: %v, want a conflict", err)
		}
	}
	if n := st.reads.Load(); n != 2 {
		t.Fatalf("%d collection reads for 2 mints while it deploys, want 2", n)
	}
	at := common.HexToAddress("0x3333333333333333333333333333333333333333")
	if err := db.UpdateCollection(ctx, c.ID, coffer.CollectionDeployed, &at); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := mint(); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.reads.Load(); n != 3 {
		t.Fatalf("%d collection reads after 3 mints of the deployed collection, want 3 (one more)", n)
	}
	mints, _, err := db.Mints(ctx, coffer.MintFilter{CollectionID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	txs, _, err := db.Transactions(ctx, coffer.TxFilter{Kind: coffer.KindMint})
	if err != nil {
		t.Fatal(err)
	}
	if len(mints) != 3 || len(txs) != 3 || *txs[0].To != at || txs[0].From != minter || txs[0].ChainID != 1337 {
		t.Fatalf("%d mints, %d mint transactions (first %+v): want 3 each, to %s from %s", len(mints), len(txs), txs[0], at, minter)
	}
}
