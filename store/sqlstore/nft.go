package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/big"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
)

// Collections, mints, tokens and the index cursor.

func (s *DB) ResetChainState(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Children before parents, for the foreign keys.
		for _, table := range []string{"mints", "collections", "tx_attempts", "transactions", "nonces",
			"tokens", "transfers", "blocks", "index_cursors"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
				return s.wrap(err, "reset %s", table)
			}
		}
		return nil
	})
}

// TotalMinted counts the collection's mints whose token id is known: the
// collections.minted column, moved by updateMint (migration 0009).
const collectionCols = `c.id, c.chain_id, c.name, c.symbol, c.base_uri, c.address, c.status, c.tx_id, c.minter,
	c.minted, c.created_at, c.mint_mode`

func scanCollection(row interface{ Scan(...any) error }) (*coffer.Collection, error) {
	c := new(coffer.Collection)
	err := row.Scan(&c.ID, u64Col{&c.ChainID}, &c.Name, &c.Symbol, &c.BaseURI, addrPtrCol{&c.Address}, &c.Status,
		&c.TxID, addrCol{&c.Minter}, u64Col{&c.TotalMinted}, timeCol{&c.CreatedAt}, &c.MintMode)
	return c, err
}

func (s *DB) CreateCollection(ctx context.Context, c *coffer.Collection, t *coffer.Transaction) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertTx(ctx, tx, t); err != nil {
			return err
		}
		defaultID(&c.ID, "col")
		if c.Status == "" {
			c.Status = coffer.CollectionPending
		}
		if c.MintMode == "" {
			c.MintMode = coffer.MintModePlatform
		}
		c.TxID = t.ID
		stamp(&c.CreatedAt)
		_, err := tx.ExecContext(ctx, `INSERT INTO collections (id, chain_id, name, symbol, base_uri, address, status, tx_id,
			minter, created_at, mint_mode) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.ID, u64(c.ChainID), c.Name, c.Symbol, c.BaseURI, addrPtr(c.Address), c.Status, c.TxID, addr(c.Minter),
			s.tm(c.CreatedAt), c.MintMode)
		return s.wrap(err, "collection %s", c.ID)
	})
}

func (s *DB) collection(ctx context.Context, what string, cond string, args ...any) (*coffer.Collection, error) {
	c, err := scanCollection(s.prep(s.db).QueryRowContext(ctx, `SELECT `+collectionCols+` FROM collections c WHERE `+cond, args...))
	if err != nil {
		return nil, s.notFound(err, "collection %s", what)
	}
	return c, nil
}

func (s *DB) Collection(ctx context.Context, id string) (*coffer.Collection, error) {
	return s.collection(ctx, id, `c.id = $1`, id)
}

func (s *DB) CollectionByAddress(ctx context.Context, chainID uint64, a common.Address) (*coffer.Collection, error) {
	return s.collection(ctx, a.Hex(), `c.chain_id = $1 AND c.address = $2`, u64(chainID), addr(a))
}

func (s *DB) CollectionByTx(ctx context.Context, txID string) (*coffer.Collection, error) {
	return s.collection(ctx, "of transaction "+txID, `c.tx_id = $1`, txID)
}

func (s *DB) Collections(ctx context.Context, limit int, cursor string) ([]*coffer.Collection, string, error) {
	limit = clampLimit(limit)
	var w where
	if cursor != "" {
		t, id, err := decodeTimeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		w.add(`(c.created_at, c.id) < (?, ?)`, s.tm(t), id)
	}
	rows, err := s.prep(s.db).QueryContext(ctx, `SELECT `+collectionCols+` FROM collections c`+w.String()+
		` ORDER BY c.created_at DESC, c.id DESC`+w.limit(limit+1), w.args...)
	if err != nil {
		return nil, "", s.wrap(err, "list collections")
	}
	out, err := collect(rows, scanCollection)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(last *coffer.Collection) string { return timeCursor(last.CreatedAt, last.ID) })
	return out, next, nil
}

// UpdateCollection sets status (unless "") and the address (unless nil).
func (s *DB) UpdateCollection(ctx context.Context, id string, status string, a *common.Address) error {
	res, err := s.exec(ctx, `UPDATE collections SET status = COALESCE($1, status), address = COALESCE($2, address) WHERE id = $3`,
		nullStr(status), addrPtr(a), id)
	if err != nil {
		return s.wrap(err, "update collection %s", id)
	}
	return mustAffect(res, "collection %s", id)
}

const mintCols = `id, collection_id, owner_id, to_addr, token_uri, metadata, status, tx_id, tx_hash, token_id, error,
	idempotency_key, request_hash, created_at, updated_at`

func scanMint(row interface{ Scan(...any) error }) (*coffer.Mint, error) {
	m := new(coffer.Mint)
	var meta []byte
	err := row.Scan(&m.ID, &m.CollectionID, &m.OwnerID, addrCol{&m.To}, &m.TokenURI, bytesCol{&meta}, &m.Status, &m.TxID,
		hashPtrCol{&m.TxHash}, bigCol{&m.TokenID}, &m.Error, strCol{&m.IdempotencyKey}, bytesCol{&m.RequestHash},
		timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt})
	m.Metadata = meta
	return m, err
}

func (s *DB) CreateMint(ctx context.Context, m *coffer.Mint, t *coffer.Transaction) error {
	return s.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.insertTx(ctx, tx, t); err != nil {
			return err
		}
		defaultID(&m.ID, "mint")
		if m.Status == "" {
			m.Status = coffer.MintQueued
		}
		m.TxID = t.ID
		stamp(&m.CreatedAt)
		if m.UpdatedAt.IsZero() {
			m.UpdatedAt = m.CreatedAt
		}
		stamp(&m.UpdatedAt)
		_, err := s.prep(tx).ExecContext(ctx, `INSERT INTO mints (`+mintCols+`) VALUES
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			m.ID, m.CollectionID, m.OwnerID, addr(m.To), m.TokenURI, blob(m.Metadata), m.Status, m.TxID, hashPtr(m.TxHash),
			bigArg(m.TokenID), m.Error, nullStr(m.IdempotencyKey), blob(m.RequestHash), s.tm(m.CreatedAt), s.tm(m.UpdatedAt))
		if err != nil {
			return s.wrap(err, "mint %s", m.ID)
		}
		s.keepMint(m)
		return s.mintEvent(ctx, tx, m)
	})
}

// keepMint keeps m as just written (without its metadata) for updateMint,
// where writes are serialised, until it is final: then its transaction
// no longer moves it.
func (s *DB) keepMint(m *coffer.Mint) {
	if !s.d.SerializeWrites {
		return
	}
	final := m.Status == coffer.MintConfirmed || m.Status == coffer.MintFailed
	k := *m
	k.Metadata = nil
	s.mintRows.keep(m.TxID, &k, final)
}

func (s *DB) mint(ctx context.Context, what, cond string, arg any) (*coffer.Mint, error) {
	m, err := scanMint(s.prep(s.db).QueryRowContext(ctx, `SELECT `+mintCols+` FROM mints WHERE `+cond, arg))
	if err != nil {
		return nil, s.notFound(err, "mint %s", what)
	}
	return m, nil
}

func (s *DB) Mint(ctx context.Context, id string) (*coffer.Mint, error) {
	return s.mint(ctx, id, `id = $1`, id)
}

func (s *DB) MintByIdempotencyKey(ctx context.Context, key string) (*coffer.Mint, error) {
	return s.mint(ctx, "with idempotency key "+strconv.Quote(key), `idempotency_key = $1`, key)
}

func (s *DB) MintByTx(ctx context.Context, txID string) (*coffer.Mint, error) {
	return s.mint(ctx, "of transaction "+txID, `tx_id = $1`, txID)
}

// mintListCols is mintCols without the metadata, which Mints does not read.
var mintListCols = strings.Replace(mintCols, `metadata,`, `NULL AS metadata,`, 1)

// Mints lists newest first by (created_at, id); the cursor is the last row's
// pair. Metadata is left nil.
func (s *DB) Mints(ctx context.Context, f coffer.MintFilter) ([]*coffer.Mint, string, error) {
	limit := clampLimit(f.Limit)
	var w where
	if f.OwnerID != "" {
		w.add(`owner_id = ?`, f.OwnerID)
	}
	if f.CollectionID != "" {
		w.add(`collection_id = ?`, f.CollectionID)
	}
	if f.Status != "" {
		w.add(`status = ?`, f.Status)
	}
	if f.Cursor != "" {
		t, id, err := decodeTimeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		w.add(`(created_at, id) < (?, ?)`, s.tm(t), id)
	}
	rows, err := s.prep(s.db).QueryContext(ctx, `SELECT `+mintListCols+` FROM mints`+w.String()+
		` ORDER BY created_at DESC, id DESC`+w.limit(limit+1), w.args...)
	if err != nil {
		return nil, "", s.wrap(err, "list mints")
	}
	out, err := collect(rows, scanMint)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(last *coffer.Mint) string { return timeCursor(last.CreatedAt, last.ID) })
	return out, next, nil
}

func (s *DB) UpdateMint(ctx context.Context, id string, u coffer.MintUpdate) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := s.updateMint(ctx, tx, "id", id, u)
		return err
	})
}

// followMint moves the mint that t sends (if t is a mint's transaction) to
// t's status, inside the store transaction that stored it: a mint is never
// left behind its transaction, whatever happens after the commit.
func (s *DB) followMint(ctx context.Context, tx *sql.Tx, t *coffer.Transaction, token *big.Int) error {
	if t.Kind != coffer.KindMint {
		return nil
	}
	u := coffer.MintUpdate{Status: coffer.MintStatusOf(t.Status), TxHash: t.Hash, TokenID: token}
	if t.Status == coffer.TxFailed {
		e := t.Error
		u.Error = &e
	}
	_, err := s.updateMint(ctx, tx, "tx_id", t.ID, u)
	if coffer.IsNotFound(err) {
		return nil // a mint transaction queued without its mint (not by CreateMint)
	}
	return err
}

// updateMint applies u to the mint whose column by ("id" or "tx_id") is key,
// inside tx, and appends its event when the status changed. The row is read
// first (locked, where the engine locks rows; without its metadata, which
// neither the update nor the event needs) and updated here as in the table,
// so the event needs no second read.
//
// Where writes are serialised, the row need not even be read when its
// transaction follows it (by tx_id): the row as this process last wrote it
// is kept (mintRows), and the UPDATE applies only if the row still has its
// updated_at and status, which every write moves (see later). If another
// write came between, nothing is updated and the row is read as above.
func (s *DB) updateMint(ctx context.Context, tx *sql.Tx, by, key string, u coffer.MintUpdate) (*coffer.Mint, error) {
	asked := u // as given: for the read, should the kept row be stale
	var kept *coffer.Mint
	if by == "tx_id" && s.d.SerializeWrites {
		kept = s.mintRows.take(key) // put back below once written
	}
	m := kept
	if m != nil {
		m = ptrTo(*m)
	} else {
		var err error
		m, err = scanMint(s.prep(tx).QueryRowContext(ctx, `SELECT `+mintListCols+` FROM mints WHERE `+by+` = $1`+s.d.ForUpdate, key))
		if err != nil {
			if by == "tx_id" {
				return nil, s.notFound(err, "mint of transaction %s", key)
			}
			return nil, s.notFound(err, "mint %s", key)
		}
	}
	before := m.Status          // a change of status is an event
	noToken := m.TokenID == nil // the token id is new: the collection's minted count moves
	if u.Status != "" {
		// Confirmed and failed are final: a late report from another
		// process that saw the transaction earlier must not move the
		// mint back (its other fields still apply).
		if (before == coffer.MintConfirmed || before == coffer.MintFailed) && u.Status != before {
			u.Status = before
		}
	}
	var w where
	last := m.UpdatedAt
	m.UpdatedAt = later(last)
	set := `updated_at = ` + w.arg(s.tm(m.UpdatedAt))
	if u.Status != "" {
		set += `, status = ` + w.arg(u.Status)
		m.Status = u.Status
	}
	if u.TxHash != nil {
		set += `, tx_hash = ` + w.arg(hashPtr(u.TxHash))
		m.TxHash = ptrTo(*u.TxHash)
	}
	if u.TokenID != nil {
		set += `, token_id = ` + w.arg(bigArg(u.TokenID))
		m.TokenID = new(big.Int).Set(u.TokenID)
	}
	if u.Error != nil {
		set += `, error = ` + w.arg(*u.Error)
		m.Error = *u.Error
	}
	cond := `id = ` + w.arg(m.ID)
	if kept != nil {
		cond += ` AND updated_at = ` + w.arg(s.tm(last)) + ` AND status = ` + w.arg(before)
	}
	res, err := s.prep(tx).ExecContext(ctx, `UPDATE mints SET `+set+` WHERE `+cond, w.args...)
	if err != nil {
		return nil, s.wrap(err, "update mint %s", m.ID)
	}
	if kept != nil {
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return s.updateMint(ctx, tx, by, key, asked) // changed meanwhile (it is no longer kept): read it
		}
	}
	s.keepMint(m)
	if noToken && u.TokenID != nil {
		if _, err := s.prep(tx).ExecContext(ctx, `UPDATE collections SET minted = minted + 1 WHERE id = $1`, m.CollectionID); err != nil {
			return nil, s.wrap(err, "count the mint of %s", m.CollectionID)
		}
	}
	if m.Status == before {
		return m, nil
	}
	return m, s.mintEvent(ctx, tx, m)
}

// ApplyTransfers upserts each token with its new owner (last write wins, in
// slice order), records the blocks it saw and moves the cursor.
func (s *DB) ApplyTransfers(ctx context.Context, chainID uint64, transfers []coffer.Transfer, block uint64, h common.Hash) error {
	return s.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		at := s.tm(now())
		var put struct { // the block last recorded: a block's transfers come together
			number uint64
			hash   common.Hash
		}
		for _, t := range transfers {
			if t.TokenID == nil || t.TokenID.Sign() < 0 {
				return coffer.Errorf(coffer.EINVALID, "transfer without a token id")
			}
			var mintHash any
			if t.From == (common.Address{}) {
				mintHash = hash(t.TxHash)
			}
			// A token minted by this very transfer keeps its first mint hash
			// when the same transfer is applied again.
			_, err := s.prep(tx).ExecContext(ctx, `INSERT INTO tokens (chain_id, contract, token_key, token_id, owner, token_uri,
				mint_tx_hash, block_number, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (chain_id, contract, token_key) DO UPDATE SET owner = excluded.owner,
				token_uri = CASE WHEN excluded.token_uri <> '' THEN excluded.token_uri ELSE tokens.token_uri END,
				mint_tx_hash = COALESCE(tokens.mint_tx_hash, excluded.mint_tx_hash),
				block_number = excluded.block_number, updated_at = excluded.updated_at`,
				u64(chainID), addr(t.Contract), tokenKey(t.TokenID), t.TokenID.String(), addr(t.To), t.TokenURI, mintHash,
				u64(t.BlockNumber), at)
			if err != nil {
				return s.wrap(err, "token %s/%s", t.Contract.Hex(), t.TokenID)
			}
			// Kept so a reorg can undo it (RewindIndex).
			_, err = s.prep(tx).ExecContext(ctx, `INSERT INTO transfers (chain_id, block_hash, tx_hash, log_index, block_number,
				contract, token_key, from_addr, to_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (chain_id, block_hash, tx_hash, log_index) DO NOTHING`,
				u64(chainID), hash(t.BlockHash), hash(t.TxHash), int64(t.LogIndex), u64(t.BlockNumber), addr(t.Contract),
				tokenKey(t.TokenID), addr(t.From), addr(t.To))
			if err != nil {
				return s.wrap(err, "transfer %s/%d", t.TxHash.Hex(), t.LogIndex)
			}
			if t.BlockHash != (common.Hash{}) && (t.BlockNumber != put.number || t.BlockHash != put.hash) {
				if err := s.putBlock(ctx, tx, chainID, t.BlockNumber, t.BlockHash); err != nil {
					return err
				}
				put.number, put.hash = t.BlockNumber, t.BlockHash
			}
			t.ChainID = chainID
			if err := s.transferEvent(ctx, tx, t); err != nil {
				return err
			}
		}
		if err := s.putBlock(ctx, tx, chainID, block, h); err != nil {
			return err
		}
		_, err := s.prep(tx).ExecContext(ctx, `INSERT INTO index_cursors (chain_id, block_number, block_hash) VALUES ($1, $2, $3)
			ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash`,
			u64(chainID), u64(block), hash(h))
		return s.wrap(err, "index cursor of chain %d", chainID)
	})
}

// IndexedBlocks lists recorded block hashes at or below atOrBelow, highest first.
func (s *DB) IndexedBlocks(ctx context.Context, chainID, atOrBelow uint64, limit int) ([]coffer.IndexedBlock, error) {
	limit = clampLimit(limit)
	rows, err := s.db.QueryContext(ctx, `SELECT number, hash FROM blocks WHERE chain_id = $1 AND number <= $2
		ORDER BY number DESC LIMIT CAST($3 AS INTEGER)`, u64(chainID), u64(atOrBelow), limit)
	if err != nil {
		return nil, s.wrap(err, "blocks of chain %d", chainID)
	}
	defer rows.Close()
	var out []coffer.IndexedBlock
	for rows.Next() {
		var b coffer.IndexedBlock
		if err := rows.Scan(u64Col{&b.Number}, hashCol{&b.Hash}); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// RewindIndex undoes the transfers above toBlock (see coffer.Store). Reorgs
// are rare and shallow, so the touched tokens are recomputed one by one.
func (s *DB) RewindIndex(ctx context.Context, chainID, toBlock uint64, toHash common.Hash) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var cursor int64
		err := tx.QueryRowContext(ctx, `SELECT block_number FROM index_cursors WHERE chain_id = $1`+s.d.ForUpdate,
			u64(chainID)).Scan(&cursor)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.wrap(err, "index cursor of chain %d", chainID)
		}
		if u64(toBlock) > cursor {
			return coffer.Errorf(coffer.EINVALID, "rewind of chain %d to block %d: the index is at %d", chainID, toBlock, cursor)
		}
		type token struct{ contract, key string }
		var touched []token
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT contract, token_key FROM transfers
			WHERE chain_id = $1 AND block_number > $2`, u64(chainID), u64(toBlock))
		if err != nil {
			return s.wrap(err, "transfers above block %d", toBlock)
		}
		for rows.Next() {
			var t token
			if err := rows.Scan(&t.contract, &t.key); err != nil {
				rows.Close()
				return err
			}
			touched = append(touched, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM transfers WHERE chain_id = $1 AND block_number > $2`,
			`DELETE FROM blocks WHERE chain_id = $1 AND number > $2`} {
			if _, err := tx.ExecContext(ctx, q, u64(chainID), u64(toBlock)); err != nil {
				return s.wrap(err, "rewind chain %d to block %d", chainID, toBlock)
			}
		}
		at := s.tm(now())
		for _, t := range touched {
			var owner string
			var block int64
			err := tx.QueryRowContext(ctx, `SELECT to_addr, block_number FROM transfers
				WHERE chain_id = $1 AND contract = $2 AND token_key = $3
				ORDER BY block_number DESC, log_index DESC LIMIT 1`, u64(chainID), t.contract, t.key).Scan(&owner, &block)
			if errors.Is(err, sql.ErrNoRows) {
				// Minted above toBlock: the token does not exist on this branch.
				if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE chain_id = $1 AND contract = $2 AND token_key = $3`,
					u64(chainID), t.contract, t.key); err != nil {
					return s.wrap(err, "delete token %s/%s", t.contract, t.key)
				}
				continue
			}
			if err != nil {
				return s.wrap(err, "latest transfer of token %s/%s", t.contract, t.key)
			}
			// A token with a transfer left was minted at or below toBlock:
			// its mint hash and URI stand.
			_, err = tx.ExecContext(ctx, `UPDATE tokens SET owner = $1, block_number = $2, updated_at = $3
				WHERE chain_id = $4 AND contract = $5 AND token_key = $6`,
				owner, block, at, u64(chainID), t.contract, t.key)
			if err != nil {
				return s.wrap(err, "recompute token %s/%s", t.contract, t.key)
			}
		}
		if toHash != (common.Hash{}) {
			if err := s.putBlock(ctx, tx, chainID, toBlock, toHash); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO index_cursors (chain_id, block_number, block_hash) VALUES ($1, $2, $3)
			ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash`,
			u64(chainID), u64(toBlock), hash(toHash))
		return s.wrap(err, "index cursor of chain %d", chainID)
	})
}

func (s *DB) putBlock(ctx context.Context, q querier, chainID, number uint64, h common.Hash) error {
	_, err := s.prep(q).ExecContext(ctx, `INSERT INTO blocks (chain_id, number, hash) VALUES ($1, $2, $3)
		ON CONFLICT (chain_id, number) DO UPDATE SET hash = excluded.hash`, u64(chainID), u64(number), hash(h))
	return s.wrap(err, "block %d", number)
}

// BlockHash returns the hash recorded for block number of chainID by
// ApplyTransfers (ENOTFOUND if none), for reorg detection.
func (s *DB) BlockHash(ctx context.Context, chainID, number uint64) (common.Hash, error) {
	var h common.Hash
	err := s.prep(s.db).QueryRowContext(ctx, `SELECT hash FROM blocks WHERE chain_id = $1 AND number = $2`,
		u64(chainID), u64(number)).Scan(hashCol{&h})
	if err != nil {
		return common.Hash{}, s.notFound(err, "block %d of chain %d", number, chainID)
	}
	return h, nil
}

func (s *DB) IndexCursor(ctx context.Context, chainID uint64) (uint64, common.Hash, error) {
	var n uint64
	var h common.Hash
	err := s.prep(s.db).QueryRowContext(ctx, `SELECT block_number, block_hash FROM index_cursors WHERE chain_id = $1`,
		u64(chainID)).Scan(u64Col{&n}, hashCol{&h})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, common.Hash{}, nil
	}
	if err != nil {
		return 0, common.Hash{}, s.wrap(err, "index cursor of chain %d", chainID)
	}
	return n, h, nil
}

func (s *DB) MintURIs(ctx context.Context, hashes []common.Hash) (map[common.Hash]string, error) {
	type uriOf struct {
		h   common.Hash
		uri string
	}
	got, err := queryIn(ctx, s, "token uris of mints", `SELECT a.hash, m.token_uri FROM tx_attempts a
		JOIN mints m ON m.tx_id = a.tx_id WHERE a.hash IN (?)`, hashes, func(h common.Hash) any { return hash(h) },
		func(row interface{ Scan(...any) error }) (u uriOf, err error) {
			return u, row.Scan(hashCol{&u.h}, &u.uri)
		})
	if err != nil {
		return nil, err
	}
	out := make(map[common.Hash]string, len(got))
	for _, u := range got {
		out[u.h] = u.uri
	}
	return out, nil
}

const tokenCols = `t.chain_id, t.contract, t.token_key, t.token_id, t.owner, t.token_uri, t.mint_tx_hash, t.block_number, t.updated_at`

func scanToken(row interface{ Scan(...any) error }) (*coffer.Token, string, error) {
	t := new(coffer.Token)
	var key string
	err := row.Scan(u64Col{&t.ChainID}, addrCol{&t.Contract}, &key, bigCol{&t.TokenID}, addrCol{&t.Owner}, &t.TokenURI,
		hashPtrCol{&t.MintTxHash}, u64Col{&t.BlockNumber}, timeCol{&t.UpdatedAt})
	return t, key, err
}

func (s *DB) Token(ctx context.Context, chainID uint64, contract common.Address, tokenID *big.Int) (*coffer.Token, error) {
	t, _, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens t
		WHERE t.chain_id = $1 AND t.contract = $2 AND t.token_key = $3`, u64(chainID), addr(contract), tokenKey(tokenID)))
	if err != nil {
		return nil, s.notFound(err, "token %s/%s", contract.Hex(), tokenID)
	}
	return t, nil
}

// Tokens lists in (chain, contract, token id) order — a stable order that new
// transfers do not reshuffle under a paginating client. The cursor is the last
// row's key.
func (s *DB) Tokens(ctx context.Context, f coffer.TokenFilter) ([]*coffer.Token, string, error) {
	limit := clampLimit(f.Limit)
	var w where
	from := `tokens t`
	if f.CollectionID != "" {
		from += ` JOIN collections c ON c.chain_id = t.chain_id AND c.address = t.contract`
		w.add(`c.id = ?`, f.CollectionID)
	}
	if f.Owner != nil {
		w.add(`t.owner = ?`, addr(*f.Owner))
	}
	if f.Contract != nil {
		w.add(`t.contract = ?`, addr(*f.Contract))
	}
	if f.ChainID != 0 {
		w.add(`t.chain_id = ?`, u64(f.ChainID))
	}
	if f.Cursor != "" {
		p, err := decodeCursor(f.Cursor, 3)
		if err != nil {
			return nil, "", err
		}
		chain, err := strconv.ParseUint(p[0], 10, 64)
		if err != nil {
			return nil, "", coffer.Errorf(coffer.EINVALID, "bad cursor")
		}
		w.add(`(t.chain_id, t.contract, t.token_key) > (?, ?, ?)`, u64(chain), p[1], p[2])
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM `+from+w.String()+
		` ORDER BY t.chain_id, t.contract, t.token_key`+w.limit(limit+1), w.args...)
	if err != nil {
		return nil, "", s.wrap(err, "list tokens")
	}
	defer rows.Close()
	var out []*coffer.Token
	var keys []string
	for rows.Next() {
		t, key, err := scanToken(rows)
		if err != nil {
			return nil, "", err
		}
		out, keys = append(out, t), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(last *coffer.Token) string {
		return encodeCursor(strconv.FormatUint(last.ChainID, 10), addr(last.Contract), keys[limit-1])
	})
	return out, next, nil
}
