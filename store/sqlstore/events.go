package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
)

// The outbox. Events of transactions, mints and transfers are appended by the
// store methods that change them, inside their store transaction, so an
// event exists if and only if its change was committed; each event gets one
// pending delivery per subscribed webhook in that same transaction, from a
// trigger on events (migration 0010).

// appendEvent writes e (and so its deliveries) in tx, a write transaction
// begun by tx or groupTx. Where writes are serialised, e waits in s.events
// and goes in with the transaction's other events just before it commits
// (flushEvents): a mint appends seven events, in four transactions, and a
// multi-row INSERT costs far less per row than a statement each. It then
// gets no Seq; nothing in the store needs the seq of its own events.
func (s *DB) appendEvent(ctx context.Context, tx *sql.Tx, e *coffer.Event) error {
	defaultID(&e.ID, "evt")
	stamp(&e.CreatedAt)
	if s.d.SerializeWrites {
		s.events = append(s.events, e)
		return nil
	}
	return s.insertEvent(ctx, tx, e)
}

// flushEvents inserts the events queued in the write transaction tx, in
// the order they were appended, and empties the queue.
func (s *DB) flushEvents(ctx context.Context, tx *sql.Tx) error {
	if !s.d.SerializeWrites || len(s.events) == 0 {
		return nil
	}
	rows := make([][]any, len(s.events))
	for i, e := range s.events {
		rows[i] = s.eventRow(e)
	}
	s.dropEvents()
	err := s.insertRows(ctx, tx, eventInsert, ` ON CONFLICT (id) DO NOTHING`, rows)
	return s.wrap(err, "append %d events", len(rows))
}

// eventInsert and eventRow write an event; its seq is the row's key.
const eventInsert = `INSERT INTO events (id, type, subject, owner1, owner2, data, created_at) VALUES `

func (s *DB) eventRow(e *coffer.Event) []any {
	o := append(e.Owners[:len(e.Owners):len(e.Owners)], "", "")
	return []any{e.ID, e.Type, e.Subject, o[0], o[1], []byte(e.Data), s.tm(e.CreatedAt)}
}

// dropEvents empties the queue (stored, or rolled back with their write).
func (s *DB) dropEvents() {
	if !s.d.SerializeWrites {
		return
	}
	clear(s.events)
	s.events = s.events[:0]
}

// insertEvent writes e at once and sets its Seq.
func (s *DB) insertEvent(ctx context.Context, q querier, e *coffer.Event) error {
	seq, err := s.insertKey(ctx, q, eventInsert+`($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, "seq",
		s.eventRow(e)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the same event again (a transfer indexed twice)
	}
	if err != nil {
		return s.wrap(err, "event %s", e.ID)
	}
	e.Seq = seq
	return nil
}

// maxOwners bounds the wallet owner cache (DB.owners).
const maxOwners = 1 << 16

// walletOwner is the user owning the custodial wallet a ("" when none).
// A wallet's owner never changes and wallets are never deleted, so a found
// owner is cached (an event names the owners of the wallets it involves:
// four lookups per mint otherwise); "none" is not, since the wallet may be
// created later.
func (s *DB) walletOwner(ctx context.Context, q querier, a common.Address) (string, error) {
	if a == (common.Address{}) {
		return "", nil
	}
	if owner, ok := s.owners.Get(a); ok {
		return owner, nil
	}
	var owner string
	err := s.prep(q).QueryRowContext(ctx, `SELECT owner_id FROM wallets WHERE address = $1`, addr(a)).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", s.wrap(err, "owner of wallet %s", a.Hex())
	}
	s.owners.Put(a, owner)
	return owner, nil
}

// txEvent appends "transaction.<status>" for the transaction id as q sees it
// and returns it (without attempts: they are not read).
func (s *DB) txEvent(ctx context.Context, q *sql.Tx, id string) (*coffer.Transaction, error) {
	t, err := scanTx(s.prep(q).QueryRowContext(ctx, `SELECT `+txCols+` FROM transactions WHERE id = $1`, id))
	if err != nil {
		return nil, s.notFound(err, "transaction %s", id)
	}
	return t, s.appendEvent(ctx, q, coffer.TransactionEvent(t))
}

// mintEvent appends "mint.<status>" for m.
func (s *DB) mintEvent(ctx context.Context, q *sql.Tx, m *coffer.Mint) error {
	recipient, err := s.walletOwner(ctx, q, m.To)
	if err != nil {
		return err
	}
	return s.appendEvent(ctx, q, coffer.MintEvent(m, recipient))
}

// transferEvent appends "nft.transfer" for t.
func (s *DB) transferEvent(ctx context.Context, q *sql.Tx, t coffer.Transfer) error {
	from, err := s.walletOwner(ctx, q, t.From)
	if err != nil {
		return err
	}
	to, err := s.walletOwner(ctx, q, t.To)
	if err != nil {
		return err
	}
	return s.appendEvent(ctx, q, coffer.TransferEvent(t, from, to))
}

func (s *DB) AppendEvent(ctx context.Context, e *coffer.Event) error {
	if e.Type == "" || len(e.Owners) > 2 || len(e.Data) == 0 {
		return coffer.Errorf(coffer.EINVALID, "an event needs a type, at most two owners and JSON data")
	}
	defaultID(&e.ID, "evt")
	stamp(&e.CreatedAt)
	return s.tx(ctx, func(tx *sql.Tx) error { return s.insertEvent(ctx, tx, e) })
}

const eventCols = `seq, id, type, subject, owner1, owner2, data, created_at`

func scanEvent(row interface{ Scan(...any) error }) (*coffer.Event, error) {
	e := new(coffer.Event)
	var o1, o2 string
	var data []byte
	if err := row.Scan(&e.Seq, &e.ID, &e.Type, &e.Subject, &o1, &o2, bytesCol{&data}, timeCol{&e.CreatedAt}); err != nil {
		return nil, err
	}
	e.Data = data
	for _, o := range []string{o1, o2} {
		if o != "" {
			e.Owners = append(e.Owners, o)
		}
	}
	return e, nil
}

func (s *DB) Events(ctx context.Context, f coffer.EventFilter) ([]*coffer.Event, error) {
	var w where
	w.add(`seq > ?`, f.After)
	if f.OwnerID != "" {
		w.add(`(owner1 = ? OR owner2 = ?)`, f.OwnerID, f.OwnerID)
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, "*") {
		var ors []string
		for _, p := range f.Types {
			if strings.HasSuffix(p, ".*") {
				ors = append(ors, `type LIKE `+w.arg(strings.TrimSuffix(p, "*")+"%"))
			} else {
				ors = append(ors, `type = `+w.arg(p))
			}
		}
		w.conds = append(w.conds, "("+strings.Join(ors, " OR ")+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxLimit)
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventCols+` FROM events`+w.String()+` ORDER BY seq LIMIT `+strconv.Itoa(limit), w.args...)
	if err != nil {
		return nil, s.wrap(err, "events")
	}
	return collect(rows, scanEvent)
}

func (s *DB) Event(ctx context.Context, id string) (*coffer.Event, error) {
	e, err := scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1`, id))
	if err != nil {
		return nil, s.notFound(err, "event %s", id)
	}
	return e, nil
}

func (s *DB) LastEventSeq(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(seq) FROM events`).Scan(&seq); err != nil {
		return 0, s.wrap(err, "last event")
	}
	return seq.Int64, nil
}

func (s *DB) CreateWebhook(ctx context.Context, wh *coffer.Webhook) error {
	defaultID(&wh.ID, "wh")
	stamp(&wh.CreatedAt)
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (id, url, secret, created_at) VALUES ($1, $2, $3, $4)`,
			wh.ID, wh.URL, wh.Secret, s.tm(wh.CreatedAt)); err != nil {
			return s.wrap(err, "webhook %s", wh.ID)
		}
		for _, p := range wh.Events {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (webhook_id, pattern) VALUES ($1, $2)
				ON CONFLICT (pattern, webhook_id) DO NOTHING`, wh.ID, p); err != nil {
				return s.wrap(err, "events of webhook %s", wh.ID)
			}
		}
		return nil
	})
}

func (s *DB) webhooks(ctx context.Context, cond string, args ...any) ([]*coffer.Webhook, error) {
	var out []*coffer.Webhook
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, url, secret, created_at FROM webhooks`+cond+` ORDER BY created_at, id`, args...)
		if err != nil {
			return s.wrap(err, "webhooks")
		}
		byID := map[string]*coffer.Webhook{}
		for rows.Next() {
			wh := new(coffer.Webhook)
			if err := rows.Scan(&wh.ID, &wh.URL, &wh.Secret, timeCol{&wh.CreatedAt}); err != nil {
				rows.Close()
				return err
			}
			out = append(out, wh)
			byID[wh.ID] = wh
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT webhook_id, pattern FROM webhook_events ORDER BY pattern`)
		if err != nil {
			return s.wrap(err, "webhook events")
		}
		defer rows.Close()
		for rows.Next() {
			var id, p string
			if err := rows.Scan(&id, &p); err != nil {
				return err
			}
			if wh := byID[id]; wh != nil {
				wh.Events = append(wh.Events, p)
			}
		}
		return rows.Err()
	})
	return out, err
}

func (s *DB) Webhook(ctx context.Context, id string) (*coffer.Webhook, error) {
	ws, err := s.webhooks(ctx, ` WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, coffer.Errorf(coffer.ENOTFOUND, "webhook %s not found", id)
	}
	return ws[0], nil
}

func (s *DB) Webhooks(ctx context.Context) ([]*coffer.Webhook, error) { return s.webhooks(ctx, "") }

func (s *DB) DeleteWebhook(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM webhook_deliveries WHERE webhook_id = $1`, `DELETE FROM webhook_events WHERE webhook_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return s.wrap(err, "delete webhook %s", id)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
		if err != nil {
			return s.wrap(err, "delete webhook %s", id)
		}
		return mustAffect(res, "webhook %s", id)
	})
}

const deliveryCols = `d.webhook_id, d.event_seq, d.subject, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
	d.last_code, d.last_error, d.created_at, d.delivered_at, e.id, e.type`

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (*coffer.Delivery, error) {
	d := new(coffer.Delivery)
	dest := []any{&d.WebhookID, &d.EventSeq, &d.Subject, &d.Status, &d.Attempts, timeCol{&d.NextAttemptAt}, nullTimeCol{&d.LastAttemptAt},
		&d.LastCode, &d.LastError, timeCol{&d.CreatedAt}, nullTimeCol{&d.DeliveredAt}, &d.EventID, &d.EventType}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *DB) ClaimDeliveries(ctx context.Context, at time.Time, limit int, lease time.Duration) ([]*coffer.Delivery, error) {
	limit = clampLimit(limit)
	// The status is a literal, not a parameter: it is what the partial
	// indexes on pending deliveries are defined with, so the planner can use
	// them without looking at a bound value (SQLite re-prepared the statement
	// at every run for having looked; PostgreSQL's generic plan could not use
	// them at all).
	const pending = `'` + coffer.DeliveryPending + `'`
	query := `SELECT ` + deliveryCols + `, e.subject, e.owner1, e.owner2, e.data, e.created_at, w.url, w.secret, w.created_at
		FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.status = ` + pending + ` AND d.next_attempt_at <= $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
			WHERE p.webhook_id = d.webhook_id AND p.subject = d.subject AND p.status = ` + pending + ` AND p.event_seq < d.event_seq)
		ORDER BY d.next_attempt_at, d.event_seq LIMIT ` + strconv.Itoa(limit)
	if s.d.ForUpdate != "" {
		query += ` FOR UPDATE OF d SKIP LOCKED`
	}
	if s.d.SerializeWrites {
		// The delivery loop asks after every change, and nearly always
		// nothing is due (no webhooks, or none subscribed to it): a read
		// says so without queueing for the single writer.
		var due bool
		err := s.prep(s.db).QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries
			WHERE status = `+pending+` AND next_attempt_at <= $1)`, s.tm(at)).Scan(&due)
		if err != nil {
			return nil, s.wrap(err, "deliveries due")
		}
		if !due {
			return nil, nil
		}
	}
	var out []*coffer.Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := s.prep(tx).QueryContext(ctx, query, s.tm(at))
		if err != nil {
			return s.wrap(err, "claim deliveries")
		}
		for rows.Next() {
			e, wh := new(coffer.Event), new(coffer.Webhook)
			var o1, o2 string
			var data []byte
			d, err := scanDelivery(rows, &e.Subject, &o1, &o2, bytesCol{&data}, timeCol{&e.CreatedAt}, &wh.URL, &wh.Secret, timeCol{&wh.CreatedAt})
			if err != nil {
				rows.Close()
				return err
			}
			e.Seq, e.ID, e.Type, e.Data, wh.ID = d.EventSeq, d.EventID, d.EventType, data, d.WebhookID
			for _, o := range []string{o1, o2} {
				if o != "" {
					e.Owners = append(e.Owners, o)
				}
			}
			d.Event, d.Webhook = e, wh
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		claimed := ts(at)
		next := ts(at.Add(lease))
		for _, d := range out {
			d.Attempts++
			d.LastAttemptAt, d.NextAttemptAt = &claimed, next
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = $1, last_attempt_at = $2, next_attempt_at = $3
				WHERE webhook_id = $4 AND event_seq = $5`, d.Attempts, s.tm(claimed), s.tm(next), d.WebhookID, d.EventSeq); err != nil {
				return s.wrap(err, "claim delivery")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *DB) FinishAttempt(ctx context.Context, d *coffer.Delivery) error {
	res, err := s.exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_attempt_at = $4,
		last_code = $5, last_error = $6, delivered_at = $7 WHERE webhook_id = $8 AND event_seq = $9`,
		d.Status, d.Attempts, s.tm(d.NextAttemptAt), s.tmPtr(d.LastAttemptAt), d.LastCode, d.LastError, s.tmPtr(d.DeliveredAt),
		d.WebhookID, d.EventSeq)
	if err != nil {
		return s.wrap(err, "delivery of event %d to %s", d.EventSeq, d.WebhookID)
	}
	return mustAffect(res, "delivery of event %d to %s", d.EventSeq, d.WebhookID)
}

func (s *DB) Deliveries(ctx context.Context, webhookID string, limit int, cursor string) ([]*coffer.Delivery, string, error) {
	limit = clampLimit(limit)
	var w where
	w.add(`d.webhook_id = ?`, webhookID)
	if cursor != "" {
		p, err := decodeCursor(cursor, 1)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(p[0], 10, 64)
		if err != nil {
			return nil, "", coffer.Errorf(coffer.EINVALID, "bad cursor")
		}
		w.add(`d.event_seq < ?`, seq)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq`+
		w.String()+` ORDER BY d.event_seq DESC LIMIT `+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return nil, "", s.wrap(err, "deliveries of %s", webhookID)
	}
	out, err := collect(rows, func(row interface{ Scan(...any) error }) (*coffer.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(last *coffer.Delivery) string { return encodeCursor(strconv.FormatInt(last.EventSeq, 10)) })
	return out, next, nil
}

// PruneEvents finds old events by seq: the events table has no index on
// created_at (it would be one more index entry per event, seven events per
// mint, for an hourly prune). An event's seq is taken as it is inserted,
// moments after its created_at is stamped, so created_at rises with seq but
// for the moments between concurrent inserts; pruneCut finds the last event
// of the old prefix by binary search, and only events up to it that were
// themselves created before the cut are deleted. (One stamped just before
// the cut but inserted after a newer one waits for the next prune.)
func (s *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cut, err := s.pruneCut(ctx, tx, before)
		if err != nil || cut == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE status <> $1 AND event_seq <= $2
			AND event_seq IN (SELECT seq FROM events WHERE seq <= $2 AND created_at < $3)`,
			coffer.DeliveryPending, cut, s.tm(before)); err != nil {
			return s.wrap(err, "prune deliveries")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE seq <= $1 AND created_at < $2
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = events.seq)`, cut, s.tm(before))
		if err != nil {
			return s.wrap(err, "prune events")
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// pruneCut is the seq of the last event of the longest prefix (by seq) of
// events created before t, without the newest event, 0 when there is none;
// each probe reads one event by its key. The newest event stays so that
// seqs are never given again: SQLite gives a new event the largest seq in
// the table plus one (migration 0013).
func (s *DB) pruneCut(ctx context.Context, tx *sql.Tx, t time.Time) (int64, error) {
	var first, last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(seq), MAX(seq) FROM events`).Scan(&first, &last); err != nil {
		return 0, s.wrap(err, "event seqs")
	}
	// old reports whether the first event at or after seq was created
	// before t, and its seq.
	old := func(seq int64) (bool, int64, error) {
		var at time.Time
		err := tx.QueryRowContext(ctx, `SELECT seq, created_at FROM events WHERE seq >= $1 ORDER BY seq LIMIT 1`, seq).
			Scan(&seq, timeCol{&at})
		return at.Before(t), seq, s.wrap(err, "event at %d", seq)
	}
	if !first.Valid {
		return 0, nil // no events
	}
	if ok, _, err := old(first.Int64); err != nil || !ok {
		return 0, err
	}
	if ok, _, err := old(last.Int64); err != nil || ok {
		return last.Int64 - 1, err
	}
	// The event at lo is old; the first event at or after hi is not.
	lo, hi := first.Int64, last.Int64
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, at, err := old(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = at // at < hi: the event at hi (or after) is not old
		} else {
			hi = mid
		}
	}
	return lo, nil
}
