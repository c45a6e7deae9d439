package storetest

import (
	"math/big"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
)

// testRewindIndex: a reorg undoes the transfers above the fork point —
// tokens minted only there disappear, owners changed only there go back —
// and the history of blocks and the cursor follow.
func testRewindIndex(t *testing.T, s coffer.Store) {
	contract := address(70)
	zero := common.Address{}
	xfer := func(id int64, from, to common.Address, block uint64, branch string, logIndex uint) coffer.Transfer {
		return coffer.Transfer{ChainID: 1, Contract: contract, TokenID: big.NewInt(id), From: from, To: to,
			TxHash: hashOf("tx", id, from, to, block, branch), BlockNumber: block, BlockHash: hashOf(branch, block), LogIndex: logIndex}
	}
	owner := func(id int64) common.Address {
		t.Helper()
		tok, err := s.Token(ctx, 1, contract, big.NewInt(id))
		if coffer.IsNotFound(err) {
			return common.Address{}
		}
		ok(t, err)
		return tok.Owner
	}
	// Canonical so far: token 1 minted at 10 to a1, moved at 12 to a2 and at
	// 14 (same block, two logs) to a3 then a4; token 2 minted at 13; token 3
	// minted at 14. Chain 2 has a token too.
	mint1 := xfer(1, zero, address(1), 10, "a", 0)
	mint1.TokenURI = "ipfs://one"
	ok(t, s.ApplyTransfers(ctx, 1, []coffer.Transfer{mint1}, 11, hashOf("a", 11)))
	ok(t, s.ApplyTransfers(ctx, 1, []coffer.Transfer{
		xfer(1, address(1), address(2), 12, "a", 3),
		xfer(2, zero, address(5), 13, "a", 0),
		xfer(1, address(2), address(3), 14, "a", 1),
		xfer(1, address(3), address(4), 14, "a", 2),
		xfer(3, zero, address(6), 14, "a", 0),
	}, 15, hashOf("a", 15)))
	ok(t, s.ApplyTransfers(ctx, 2, []coffer.Transfer{{ChainID: 2, Contract: contract, TokenID: big.NewInt(1), To: address(9),
		TxHash: hashOf("c2"), BlockNumber: 14, BlockHash: hashOf("c", 14)}}, 20, hashOf("c", 20)))
	same(t, "owners before", []common.Address{owner(1), owner(2), owner(3)}, []common.Address{address(4), address(5), address(6)})

	blocks, err := s.IndexedBlocks(ctx, 1, 15, 0)
	ok(t, err)
	same(t, "indexed blocks", blocks, []coffer.IndexedBlock{{Number: 15, Hash: hashOf("a", 15)}, {Number: 14, Hash: hashOf("a", 14)},
		{Number: 13, Hash: hashOf("a", 13)}, {Number: 12, Hash: hashOf("a", 12)}, {Number: 11, Hash: hashOf("a", 11)},
		{Number: 10, Hash: hashOf("a", 10)}})
	blocks, err = s.IndexedBlocks(ctx, 1, 13, 2)
	ok(t, err)
	same(t, "indexed blocks at or below 13, two", blocks, []coffer.IndexedBlock{{Number: 13, Hash: hashOf("a", 13)}, {Number: 12, Hash: hashOf("a", 12)}})

	// Past the cursor is refused.
	wantCode(t, s.RewindIndex(ctx, 1, 16, hashOf("a", 16)), coffer.EINVALID)

	// Blocks 13 and up are replaced: token 1 goes back to a2 (its transfer at
	// 12 stays), tokens 2 and 3 never existed.
	ok(t, s.RewindIndex(ctx, 1, 12, hashOf("a", 12)))
	n, h, err := s.IndexCursor(ctx, 1)
	ok(t, err)
	if n != 12 || h != hashOf("a", 12) {
		t.Fatalf("cursor after rewind %d %s", n, h)
	}
	same(t, "owners after rewind", []common.Address{owner(1), owner(2), owner(3)}, []common.Address{address(2), {}, {}})
	tok, err := s.Token(ctx, 1, contract, big.NewInt(1))
	ok(t, err)
	if tok.BlockNumber != 12 || tok.TokenURI != "ipfs://one" || tok.MintTxHash == nil ||
		*tok.MintTxHash != hashOf("tx", int64(1), zero, address(1), uint64(10), "a") {
		t.Fatalf("token 1 after rewind %+v", tok)
	}
	blocks, err = s.IndexedBlocks(ctx, 1, 100, 0)
	ok(t, err)
	same(t, "blocks after rewind", blocks, []coffer.IndexedBlock{{Number: 12, Hash: hashOf("a", 12)}, {Number: 11, Hash: hashOf("a", 11)},
		{Number: 10, Hash: hashOf("a", 10)}})
	// Other chains are untouched.
	tok, err = s.Token(ctx, 2, contract, big.NewInt(1))
	ok(t, err)
	same(t, "chain 2 owner", tok.Owner, address(9))
	if n, _, _ := s.IndexCursor(ctx, 2); n != 20 {
		t.Fatalf("chain 2 cursor %d", n)
	}

	// The new branch: token 2 minted to someone else, token 1 not moved, and
	// a rewind that touches nothing only moves the cursor.
	ok(t, s.ApplyTransfers(ctx, 1, []coffer.Transfer{xfer(2, zero, address(7), 13, "b", 0)}, 16, hashOf("b", 16)))
	same(t, "owners on the new branch", []common.Address{owner(1), owner(2), owner(3)}, []common.Address{address(2), address(7), {}})
	ok(t, s.RewindIndex(ctx, 1, 14, hashOf("b", 14)))
	same(t, "owners after an empty rewind", []common.Address{owner(1), owner(2), owner(3)}, []common.Address{address(2), address(7), {}})
	// A mint's own block rewound: the token goes; the re-mint in another block
	// brings it back with the new mint hash.
	ok(t, s.RewindIndex(ctx, 1, 9, hashOf("b", 9)))
	same(t, "owners after rewinding below every mint", []common.Address{owner(1), owner(2)}, []common.Address{{}, {}})
	re := xfer(1, zero, address(8), 10, "b", 0)
	ok(t, s.ApplyTransfers(ctx, 1, []coffer.Transfer{re}, 10, hashOf("b", 10)))
	tok, err = s.Token(ctx, 1, contract, big.NewInt(1))
	ok(t, err)
	if tok.Owner != address(8) || tok.MintTxHash == nil || *tok.MintTxHash != re.TxHash {
		t.Fatalf("re-minted token %+v", tok)
	}

	// Rewinding everything (a reorg deeper than the whole history) leaves a
	// fresh cursor.
	ok(t, s.RewindIndex(ctx, 1, 0, common.Hash{}))
	n, h, err = s.IndexCursor(ctx, 1)
	ok(t, err)
	if n != 0 || h != (common.Hash{}) {
		t.Fatalf("cursor after a full rewind %d %s", n, h)
	}
	same(t, "owner after a full rewind", owner(1), common.Address{})
	blocks, err = s.IndexedBlocks(ctx, 1, 100, 0)
	ok(t, err)
	same(t, "blocks after a full rewind", len(blocks), 0)
}
