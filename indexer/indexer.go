// Package indexer follows the chain's ERC-721 Transfer events for coffer's
// collections and keeps the store's token ownership in step with the chain,
// so ownership queries are answered from the database.
package indexer

import (
	"context"
	"log/slog"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/nft"
	"github.com/cofferhq/coffer/nft/bindings"
)

// Indexer follows one chain.
type Indexer struct {
	store    coffer.Store
	client   *chain.Client
	chainID  uint64
	interval time.Duration
	batch    uint64
	log      *slog.Logger
	abi      *bindings.CofferNFT
	wake     chan struct{}
	onApply  []func(ctx context.Context, ts []coffer.Transfer)
}

// OnTransfers registers a hook called after transfers are applied (and
// their nft.transfer events written by the store); call before Run.
func (ix *Indexer) OnTransfers(h func(ctx context.Context, ts []coffer.Transfer)) {
	ix.onApply = append(ix.onApply, h)
}

// New returns an indexer for one chain; interval is how often it polls the head.
func New(store coffer.Store, client *chain.Client, interval time.Duration, log *slog.Logger) *Indexer {
	if interval <= 0 {
		interval = time.Second
	}
	return &Indexer{store: store, client: client, chainID: client.ID(), interval: interval, batch: 2000, log: log, abi: bindings.NewCofferNFT(), wake: make(chan struct{}, 1)}
}

// Notify asks for a round now (a transaction of ours was mined).
func (ix *Indexer) Notify() {
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// Run indexes until ctx ends.
func (ix *Indexer) Run(ctx context.Context) {
	t := time.NewTicker(ix.interval)
	defer t.Stop()
	for {
		for {
			more, err := ix.Step(ctx)
			if err != nil {
				if ctx.Err() == nil {
					ix.log.Warn("indexer: step failed; retrying", "chain_id", ix.chainID, "err", err)
				}
				break
			}
			if !more {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-ix.wake:
		}
	}
}

// Step indexes the next range of blocks and reports whether more remain.
func (ix *Indexer) Step(ctx context.Context) (bool, error) {
	cursor, cursorHash, err := ix.store.IndexCursor(ctx, ix.chainID)
	if err != nil {
		return false, err
	}
	head, err := ix.client.HeadNumber(ctx)
	if err != nil {
		return false, err
	}
	fresh := cursor == 0 && cursorHash == (common.Hash{})
	addrs, first, err := ix.collections(ctx, fresh)
	if err != nil {
		return false, err
	}
	if fresh {
		// Nothing indexed yet: start just before the first collection (or at
		// the head when there is none) instead of scanning from genesis.
		start := head
		if len(addrs) > 0 {
			start = first
		}
		if start > 0 {
			start--
		}
		h, err := ix.client.Header(ctx, new(big.Int).SetUint64(start))
		if err != nil {
			return false, err
		}
		return start < head, ix.store.ApplyTransfers(ctx, ix.chainID, nil, start, h.Hash())
	}
	if cursor >= head {
		// Caught up: the tip we stopped at may have been replaced by a
		// branch no longer (a node that went back) or as long as ours.
		if cursor == head {
			h, err := ix.client.Header(ctx, new(big.Int).SetUint64(cursor))
			if err != nil || h.Hash() == cursorHash {
				return false, err
			}
		}
		ix.log.Warn("indexer: reorg detected at the head", "chain_id", ix.chainID, "block", cursor, "head", head)
		return false, ix.rewind(ctx, cursor, head)
	}
	from, to := cursor+1, min(head, cursor+ix.batch)
	fromHeader, err := ix.client.Header(ctx, new(big.Int).SetUint64(from))
	if err != nil {
		return false, err
	}
	if fromHeader.ParentHash != cursorHash {
		// The block we stopped at is no longer canonical. Re-index from the
		// last block both agree on; ownership is rebuilt by replaying transfers.
		ix.log.Warn("indexer: reorg detected", "chain_id", ix.chainID, "block", cursor)
		return false, ix.rewind(ctx, cursor, head)
	}
	toHeader, err := ix.client.Header(ctx, new(big.Int).SetUint64(to))
	if err != nil {
		return false, err
	}
	var transfers []coffer.Transfer
	if len(addrs) > 0 {
		logs, err := ix.client.Logs(ctx, ethereum.FilterQuery{
			FromBlock: new(big.Int).SetUint64(from), ToBlock: new(big.Int).SetUint64(to),
			Addresses: addrs, Topics: [][]common.Hash{{nft.TransferTopic()}},
		})
		if err != nil {
			return false, err
		}
		for _, l := range logs {
			if l.Removed || len(l.Topics) != 4 {
				continue // ERC-20 style Transfer (3 topics) is not an NFT
			}
			transfers = append(transfers, coffer.Transfer{
				ChainID: ix.chainID, Contract: l.Address, TokenID: new(big.Int).SetBytes(l.Topics[3].Bytes()),
				From: common.BytesToAddress(l.Topics[1].Bytes()), To: common.BytesToAddress(l.Topics[2].Bytes()),
				TxHash: l.TxHash, BlockNumber: l.BlockNumber, BlockHash: l.BlockHash, LogIndex: l.Index,
			})
		}
	}
	if err := ix.tokenURIs(ctx, transfers); err != nil {
		return false, err
	}
	// A reorg while the logs and token URIs were read could mix branches:
	// the block at to must be the same after as before (it is not when any
	// block under it changed).
	after, err := ix.client.Header(ctx, new(big.Int).SetUint64(to))
	if err != nil {
		return false, err
	}
	if after.Hash() != toHeader.Hash() {
		return false, nil // the next step sees the reorg
	}
	// One store transaction per run of about maxApply transfers, cut
	// between blocks, each moving the cursor to its last block: a step
	// catching up over many blocks holds the writer for none long, so the
	// API's writes do not wait behind it.
	for first := true; first || len(transfers) > 0; first = false {
		part, block, hash := transfers, to, toHeader.Hash()
		if n := applyRun(transfers); n < len(transfers) {
			part, block, hash = transfers[:n], transfers[n-1].BlockNumber, transfers[n-1].BlockHash
		}
		transfers = transfers[len(part):]
		if err := ix.store.ApplyTransfers(ctx, ix.chainID, part, block, hash); err != nil {
			return false, err
		}
		if len(part) > 0 {
			for _, h := range ix.onApply {
				h(ctx, part)
			}
			ix.log.Debug("indexer: applied transfers", "chain_id", ix.chainID, "from", from, "to", block, "transfers", len(part))
		}
	}
	return to < head, nil
}

// maxApply is about the most transfers one store transaction applies (the
// tracker's bound on its writes too).
const maxApply = 32

// applyRun is how many of transfers (in block order) the next store
// transaction takes: maxApply, or more to finish the block the last of them
// is in, since a block's transfers are recorded together.
func applyRun(transfers []coffer.Transfer) int {
	n := min(len(transfers), maxApply)
	for n > 0 && n < len(transfers) && transfers[n].BlockNumber == transfers[n-1].BlockNumber {
		n++
	}
	return n
}

// rewind finds the fork point — the highest block whose hash the store
// recorded that is still canonical on the node — walking back through the
// recorded history (IndexedBlocks, a page at a time), and undoes the index
// above it (Store.RewindIndex). A reorg deeper than the whole history resets
// the cursor, so the next step indexes again from the first collection.
func (ix *Indexer) rewind(ctx context.Context, cursor, head uint64) error {
	const page = 64
	below := min(cursor, head) // blocks above the head are not canonical
	for {
		blocks, err := ix.store.IndexedBlocks(ctx, ix.chainID, below, page)
		if err != nil {
			return err
		}
		for _, b := range blocks {
			h, err := ix.client.Header(ctx, new(big.Int).SetUint64(b.Number))
			if err != nil {
				return err
			}
			if h.Hash() == b.Hash {
				ix.log.Warn("indexer: rewinding to the fork point", "chain_id", ix.chainID, "from", cursor, "to", b.Number)
				return ix.store.RewindIndex(ctx, ix.chainID, b.Number, b.Hash)
			}
		}
		if len(blocks) < page || blocks[len(blocks)-1].Number == 0 {
			ix.log.Warn("indexer: no recorded block is canonical; indexing again from the start", "chain_id", ix.chainID, "from", cursor)
			return ix.store.RewindIndex(ctx, ix.chainID, 0, common.Hash{})
		}
		below = blocks[len(blocks)-1].Number - 1
	}
}

// tokenURIs fills the URI of each minted token in transfers, stored with it:
// from coffer's own mints (one store read for all), otherwise by asking the
// contract. A contract that does not answer leaves it empty.
func (ix *Indexer) tokenURIs(ctx context.Context, transfers []coffer.Transfer) error {
	var hashes []common.Hash
	for _, t := range transfers {
		if t.From == (common.Address{}) {
			hashes = append(hashes, t.TxHash)
		}
	}
	if len(hashes) == 0 {
		return nil
	}
	ours, err := ix.store.MintURIs(ctx, hashes)
	if err != nil {
		return err
	}
	for i := range transfers {
		t := &transfers[i]
		if t.From != (common.Address{}) {
			continue
		}
		if t.TokenURI = ours[t.TxHash]; t.TokenURI != "" {
			continue
		}
		out, err := ix.client.Call(ctx, ethereum.CallMsg{To: &t.Contract, Data: ix.abi.PackTokenURI(t.TokenID)})
		if err == nil {
			t.TokenURI, _ = ix.abi.UnpackTokenURI(out)
		}
	}
	return nil
}

// collections returns the deployed collection addresses on this chain and,
// when withFirst (only a fresh cursor needs it: a transaction read per
// collection on every step otherwise), the lowest block any of them was
// deployed in.
func (ix *Indexer) collections(ctx context.Context, withFirst bool) ([]common.Address, uint64, error) {
	var addrs []common.Address
	first := uint64(0)
	cursor := ""
	for {
		page, next, err := ix.store.Collections(ctx, 500, cursor)
		if err != nil {
			return nil, 0, err
		}
		for _, c := range page {
			if c.ChainID != ix.chainID || c.Address == nil {
				continue
			}
			addrs = append(addrs, *c.Address)
			if !withFirst {
				continue
			}
			if tx, err := ix.store.Transaction(ctx, c.TxID); err == nil && tx.BlockNumber != nil {
				if first == 0 || *tx.BlockNumber < first {
					first = *tx.BlockNumber
				}
			}
		}
		if next == "" {
			return addrs, first, nil
		}
		cursor = next
	}
}
