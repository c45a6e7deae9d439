package indexer

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/chain/devchain"
	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/nft/artifacts"
	"github.com/cofferhq/coffer/nft/bindings"
	"github.com/cofferhq/coffer/store"
)

const chainID = 1337

// env is a dev chain in Manual mode with a deployed CofferNFT; admin holds
// both roles, user holds tokens.
type env struct {
	t           *testing.T
	ctx         context.Context
	dc          *devchain.Chain
	eth         *ethclient.Client
	client      *chain.Client
	nft         *bindings.CofferNFT
	inst        *bind.BoundContract
	contract    common.Address
	admin, user *ecdsa.PrivateKey
}

func key(t *testing.T) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), admin: key(t), user: key(t), nft: bindings.NewCofferNFT()}
	funds := new(big.Int).Mul(big.NewInt(100), big.NewInt(params.Ether))
	dc, err := devchain.Start(devchain.Config{ChainID: chainID, Manual: true, Logger: testenv.Logger(),
		Alloc: map[common.Address]*big.Int{addrOf(e.admin): funds, addrOf(e.user): funds}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	e.dc, e.eth, e.client = dc, dc.Client(), chain.NewFromRPC(chainID, dc.RPC())

	ctor := e.nft.PackConstructor("Coffer Test", "CFT", addrOf(e.admin), addrOf(e.admin))
	_, tx, err := bind.DeployContract(e.opts(e.admin, nil, 0), artifacts.Bytecode(), e.eth, ctor)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	e.dc.Commit()
	if e.contract, err = bind.WaitDeployed(e.ctx, e.eth, tx.Hash()); err != nil {
		t.Fatalf("wait deployed: %v", err)
	}
	e.inst = e.nft.Instance(e.eth, e.contract)
	return e
}

// opts transacts from k; nonce and tip (gwei) are set when given (a
// replacement on another branch needs both).
func (e *env) opts(k *ecdsa.PrivateKey, nonce *uint64, tipGwei int64) *bind.TransactOpts {
	o := bind.NewKeyedTransactor(k, big.NewInt(chainID))
	o.Context = e.ctx
	o.GasLimit = 6_000_000
	if nonce != nil {
		o.Nonce = new(big.Int).SetUint64(*nonce)
	}
	if tipGwei > 0 {
		o.GasTipCap = big.NewInt(tipGwei * params.GWei)
		o.GasFeeCap = big.NewInt(10 * tipGwei * params.GWei)
	}
	return o
}

// send puts a contract call in the pool (mined at the next Commit).
func (e *env) send(k *ecdsa.PrivateKey, nonce *uint64, tipGwei int64, data []byte) *types.Transaction {
	e.t.Helper()
	tx, err := bind.Transact(e.inst, e.opts(k, nonce, tipGwei), data)
	if err != nil {
		e.t.Fatalf("transact: %v", err)
	}
	return tx
}

// mined commits a block once the pool holds every one of txs as
// executable, and checks they succeeded in it.
func (e *env) mined(txs ...*types.Transaction) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, tx := range txs {
		for !e.dc.Executable(tx.Hash()) {
			if time.Now().After(deadline) {
				e.t.Fatalf("tx %s is not executable in the pool", tx.Hash())
			}
			time.Sleep(time.Millisecond)
		}
	}
	e.dc.Commit()
	ctx, cancel := context.WithDeadline(e.ctx, deadline.Add(30*time.Second))
	defer cancel()
	for _, tx := range txs {
		r, err := bind.WaitMined(ctx, e.eth, tx.Hash())
		if err != nil || r.Status != types.ReceiptStatusSuccessful {
			e.t.Fatalf("tx %s: %v %+v", tx.Hash(), err, r)
		}
	}
}

// cancel replaces k's pending transaction at nonce with a 0-value self-transfer.
func (e *env) cancel(k *ecdsa.PrivateKey, nonce uint64, tipGwei int64) *types.Transaction {
	e.t.Helper()
	to := addrOf(k)
	tx, err := types.SignNewTx(k, types.LatestSignerForChainID(big.NewInt(chainID)), &types.DynamicFeeTx{
		ChainID: big.NewInt(chainID), Nonce: nonce, GasTipCap: big.NewInt(tipGwei * params.GWei),
		GasFeeCap: big.NewInt(10 * tipGwei * params.GWei), Gas: 21000, To: &to})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.eth.SendTransaction(e.ctx, tx); err != nil {
		e.t.Fatalf("cancel at nonce %d: %v", nonce, err)
	}
	return tx
}

func ethereumCall(to common.Address, data []byte) ethereum.CallMsg {
	return ethereum.CallMsg{To: &to, Data: data}
}

// inPool waits until the transactions of dropped blocks are back in the pool
// (the pool resets to a new head in the background), so replacing them at
// their nonces is not refused as a nonce too low.
func (e *env) inPool(txs ...*types.Transaction) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, tx := range txs {
		for {
			if _, pending, err := e.eth.TransactionByHash(e.ctx, tx.Hash()); err == nil && pending {
				break
			}
			if time.Now().After(deadline) {
				e.t.Fatalf("%s never came back to the pool", tx.Hash())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// ownerOf is the chain's owner of token id (zero when it does not exist).
func (e *env) ownerOf(id int64) common.Address {
	out, err := e.client.Call(e.ctx, ethereumCall(e.contract, e.nft.PackOwnerOf(big.NewInt(id))))
	if err != nil {
		return common.Address{} // ERC721NonexistentToken
	}
	o, err := e.nft.UnpackOwnerOf(out)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// newStore is a fresh store that knows the collection, as coffer's own
// deploy would have recorded it.
func (e *env) newStore() coffer.Store {
	e.t.Helper()
	st, err := store.Open(e.ctx, "sqlite", filepath.Join(e.t.TempDir(), "c.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	from, to := addrOf(e.admin), e.contract
	tx := &coffer.Transaction{ID: coffer.NewID("tx"), Kind: coffer.KindDeploy, ChainID: chainID, From: from,
		Value: big.NewInt(0), Status: coffer.TxConfirmed}
	c := &coffer.Collection{ChainID: chainID, Name: "Coffer Test", Symbol: "CFT", Minter: from}
	if err := st.CreateCollection(e.ctx, c, tx); err != nil {
		e.t.Fatal(err)
	}
	if err := st.UpdateCollection(e.ctx, c.ID, coffer.CollectionDeployed, &to); err != nil {
		e.t.Fatal(err)
	}
	return st
}

// sync steps ix until its cursor is the chain's head.
func (e *env) sync(ix *Indexer, st coffer.Store) {
	e.t.Helper()
	for range 100 {
		if _, err := ix.Step(e.ctx); err != nil {
			e.t.Fatalf("step: %v", err)
		}
		head, err := e.client.HeadNumber(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		n, h, err := st.IndexCursor(e.ctx, chainID)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == head && h == e.dc.BlockHash(head) {
			return
		}
	}
	e.t.Fatal("the indexer never reached the head")
}

// agrees checks the index holds exactly the chain's owners of tokens 1..n.
func (e *env) agrees(st coffer.Store, n int64) map[int64]common.Address {
	e.t.Helper()
	owners := map[int64]common.Address{}
	for id := int64(1); id <= n; id++ {
		want := e.ownerOf(id)
		tok, err := st.Token(e.ctx, chainID, e.contract, big.NewInt(id))
		switch {
		case coffer.IsNotFound(err):
			if want != (common.Address{}) {
				e.t.Fatalf("token %d owned by %s on chain is not indexed", id, want)
			}
		case err != nil:
			e.t.Fatal(err)
		case tok.Owner != want:
			e.t.Fatalf("token %d: index says %s, chain says %s", id, tok.Owner, want)
		}
		owners[id] = want
	}
	toks, _, err := st.Tokens(e.ctx, coffer.TokenFilter{ChainID: chainID, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.TokenID.Cmp(big.NewInt(n)) > 0 {
			e.t.Fatalf("token %s indexed beyond %d", tok.TokenID, n)
		}
	}
	return owners
}

// TestReorg: transfers a reorg removed are undone — a token minted only on
// the abandoned branch is gone, an owner changed only there is back, a token
// minted to someone else on the new branch has its new owner — and a fresh
// store indexing the whole chain agrees.
func TestReorg(t *testing.T) {
	e := newEnv(t)
	st := e.newStore()
	ix := New(st, e.client, time.Hour, testenv.Logger())
	var events int
	ix.OnTransfers(func(_ context.Context, ts []coffer.Transfer) { events += len(ts) })
	a, b, c := addrOf(e.user), common.HexToAddress("0xb0b"), common.HexToAddress("0xc0c")

	// Block 2: token 1 to a. Block 3 (to be abandoned): token 2 to a.
	e.mined(e.send(e.admin, nil, 0, e.nft.PackMint(a, "ipfs://1")))
	fork := e.dc.BlockHash(2)
	e.sync(ix, st)
	tx3 := e.send(e.admin, nil, 0, e.nft.PackMint(a, "ipfs://2"))
	e.mined(tx3)
	// Block 4: a gives token 1 to c; token 3 to a.
	adminNonce, err := e.eth.PendingNonceAt(e.ctx, addrOf(e.admin))
	if err != nil {
		t.Fatal(err)
	}
	tx4a, tx4b := e.send(e.user, nil, 0, e.nft.PackTransferFrom(a, c, big.NewInt(1))),
		e.send(e.admin, nil, 0, e.nft.PackMint(a, "ipfs://3"))
	e.mined(tx4a, tx4b)
	e.sync(ix, st)
	if got := e.agrees(st, 3); got[1] != c || got[2] != a || got[3] != a {
		t.Fatalf("before the reorg: %v", got)
	}
	tok, err := st.Token(e.ctx, chainID, e.contract, big.NewInt(3))
	if err != nil || tok.TokenURI != "ipfs://3" {
		t.Fatalf("token 3 %+v %v", tok, err)
	}

	// The reorg: blocks 3 and 4 leave; their transactions come back to the
	// pool and are replaced: token 2 goes to b instead, a keeps token 1, token
	// 3 is never minted. The new branch is as long as the old one.
	if err := e.dc.Rewind(fork); err != nil {
		t.Fatal(err)
	}
	e.inPool(tx3, tx4a, tx4b)
	userNonce := uint64(0)
	mint2 := adminNonce - 1
	r1, r2, r3 := e.send(e.admin, &mint2, 50, e.nft.PackMint(b, "ipfs://2b")), e.cancel(e.user, userNonce, 50),
		e.cancel(e.admin, adminNonce, 50)
	e.mined(r1, r2, r3)
	e.mined()
	before := events
	e.sync(ix, st)
	if got := e.agrees(st, 3); got[1] != a || got[2] != b || got[3] != (common.Address{}) {
		t.Fatalf("after the reorg: %v", got)
	}
	if events-before != 1 {
		t.Fatalf("%d transfers applied on the new branch, want the mint of token 2", events-before)
	}
	tok, err = st.Token(e.ctx, chainID, e.contract, big.NewInt(2))
	if err != nil || tok.TokenURI != "ipfs://2b" || tok.BlockNumber != 3 {
		t.Fatalf("token 2 %+v %v", tok, err)
	}

	// A deeper reorg to a shorter branch (the head goes below the cursor):
	// back to block 2, where only token 1 exists.
	if err := e.dc.Rewind(fork); err != nil {
		t.Fatal(err)
	}
	// Every transaction of the dropped blocks is back in the pool; replace
	// them all so the new branch has none.
	e.inPool(r1, r2, r3)
	for _, n := range []uint64{mint2, adminNonce} {
		e.cancel(e.admin, n, 500)
	}
	e.cancel(e.user, userNonce, 500)
	e.mined()
	e.sync(ix, st)
	if got := e.agrees(st, 3); got[1] != a || got[2] != (common.Address{}) {
		t.Fatalf("after the second reorg: %v", got)
	}

	// More history (token 2 again, to c), then the index rebuilt from
	// scratch agrees.
	e.mined(e.send(e.admin, nil, 0, e.nft.PackMint(c, "ipfs://2c")))
	gift := e.send(e.user, nil, 0, e.nft.PackTransferFrom(a, b, big.NewInt(1)))
	e.mined(gift)
	e.sync(ix, st)
	if got := e.agrees(st, 4); got[1] != b || got[2] != c {
		t.Fatalf("before the third reorg: %v", got)
	}
	// A reorg to a longer branch, seen by the parent hash of the next block:
	// block 5 (a gives token 1 to b) is replaced and two more follow.
	if err := e.dc.Rewind(e.dc.BlockHash(4)); err != nil {
		t.Fatal(err)
	}
	e.inPool(gift)
	e.mined(e.cancel(e.user, gift.Nonce(), 5000)) // the suggested tip follows the 500 gwei above
	e.mined()
	e.mined()
	e.sync(ix, st)
	if got := e.agrees(st, 4); got[1] != a || got[2] != c {
		t.Fatalf("after the third reorg: %v", got)
	}
	fresh := e.newStore()
	e.sync(New(fresh, e.client, time.Hour, testenv.Logger()), fresh)
	e.agrees(fresh, 4)
	list := func(s coffer.Store) []string {
		toks, _, err := s.Tokens(e.ctx, coffer.TokenFilter{ChainID: chainID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tok := range toks {
			out = append(out, tok.TokenID.String()+" "+tok.Owner.Hex()+" "+tok.TokenURI)
		}
		return out
	}
	if x, y := list(st), list(fresh); len(x) != 2 || len(x) != len(y) || x[0] != y[0] || x[1] != y[1] {
		t.Fatalf("rebuilt index differs:\n%v\n%v", x, y)
	}
}

// TestApplyRuns: a step's transfers go to the store in runs of about
// maxApply, each ending at a block's end.
func TestApplyRuns(t *testing.T) {
	blocks := func(counts ...int) []coffer.Transfer {
		var ts []coffer.Transfer
		for b, n := range counts {
			for range n {
				ts = append(ts, coffer.Transfer{BlockNumber: uint64(b + 1)})
			}
		}
		return ts
	}
	runs := func(ts []coffer.Transfer) []int {
		var out []int
		for len(ts) > 0 {
			n := applyRun(ts)
			out = append(out, n)
			ts = ts[n:]
		}
		return out
	}
	for _, c := range []struct {
		counts []int
		want   string
	}{
		{nil, "[]"},
		{[]int{5}, "[5]"},
		{[]int{maxApply}, "[32]"},
		{[]int{20, 20, 20}, "[40 20]"},     // the 32nd is in block 2: block 2 ends the first run
		{[]int{16, 16, 16, 16}, "[32 32]"}, // runs end exactly at block ends
		{[]int{70, 1}, "[70 1]"},           // a block is never split
		{[]int{1, 1, 100, 3}, "[102 3]"},
	} {
		if got := fmt.Sprint(runs(blocks(c.counts...))); got != c.want {
			t.Errorf("blocks of %v: runs %s, want %s", c.counts, got, c.want)
		}
	}
}

// applyLog is a store that records each ApplyTransfers call.
type applyLog struct {
	coffer.Store
	calls []string
}

func (s *applyLog) ApplyTransfers(ctx context.Context, chainID uint64, ts []coffer.Transfer, block uint64, h common.Hash) error {
	s.calls = append(s.calls, fmt.Sprintf("%d to block %d", len(ts), block))
	return s.Store.ApplyTransfers(ctx, chainID, ts, block, h)
}

// TestStepAppliesInRuns: one step over 55 mints in four blocks applies them
// in runs that end at block ends, the last moving the cursor to the head,
// and the index agrees with the chain.
func TestStepAppliesInRuns(t *testing.T) {
	e := newEnv(t)
	a := addrOf(e.user)
	base, err := e.client.HeadNumber(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Nonces counted here: the pool's pending nonce lags a quick run of sends.
	nonce, err := e.client.PendingNonce(e.ctx, addrOf(e.admin))
	if err != nil {
		t.Fatal(err)
	}
	id := 0
	for _, n := range []int{20, 20, 10, 5} {
		var txs []*types.Transaction
		for range n {
			id++
			o := e.opts(e.admin, &nonce, 1)
			o.GasLimit = 1_000_000 // a mint takes about 0.6M; 20 fit in a block
			tx, err := bind.Transact(e.inst, o, e.nft.PackMint(a, fmt.Sprintf("ipfs://%d", id)))
			if err != nil {
				t.Fatalf("mint %d: %v", id, err)
			}
			txs = append(txs, tx)
			nonce++
		}
		e.mined(txs...)
	}
	e.dc.Commit() // the head: a block without transfers
	st := &applyLog{Store: e.newStore()}
	ix := New(st, e.client, time.Hour, testenv.Logger())
	e.sync(ix, st)
	want := fmt.Sprint([]string{fmt.Sprintf("40 to block %d", base+2), fmt.Sprintf("15 to block %d", base+5)})
	applied := slices.DeleteFunc(st.calls, func(c string) bool { return strings.HasPrefix(c, "0 to") }) // placing the cursor
	if got := fmt.Sprint(applied); got != want {
		t.Fatalf("ApplyTransfers calls %s, want %s", got, want)
	}
	e.agrees(st, int64(id))
}
