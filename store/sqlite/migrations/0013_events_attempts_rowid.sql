-- events and tx_attempts lose AUTOINCREMENT. With it, every insert read and
-- rewrote the table's row in sqlite_sequence: about a quarter of the cost of
-- appending an event, and a mint appends seven events and one attempt.
-- A plain INTEGER PRIMARY KEY takes the largest key in the table plus one,
-- so keys still only grow as long as the row holding the largest key is
-- never deleted: attempts go only with their transaction (never), and the
-- event prune keeps the newest event (sqlstore.pruneCut).
--
-- SQLite cannot drop AUTOINCREMENT in place: each table is copied into a new
-- one that takes its name, with its indexes and (events) trigger made again.
-- webhook_deliveries references events by name; its foreign keys are checked
-- at commit, once events exists again.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE events_new (
	seq        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	owner1     TEXT NOT NULL,
	owner2     TEXT NOT NULL,
	data       BLOB NOT NULL,
	created_at TEXT NOT NULL
);
INSERT INTO events_new (seq, id, type, subject, owner1, owner2, data, created_at)
SELECT seq, id, type, subject, owner1, owner2, data, created_at FROM events;
-- An old prune may have deleted the newest events: the seqs they had must
-- not be given again (a reader's cursor may be past them). A marker event,
-- visible to admins only, holds the largest seq ever given.
INSERT INTO events_new (seq, id, type, subject, owner1, owner2, data, created_at)
SELECT s.seq, 'evt_seq_' || s.seq, 'coffer.seq', '', '', '', '{}', strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
FROM sqlite_sequence s
WHERE s.name = 'events' AND s.seq > COALESCE((SELECT MAX(seq) FROM events), 0);
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_owner1 ON events (owner1, seq);
CREATE INDEX events_owner2 ON events (owner2, seq) WHERE owner2 <> '';
-- As in 0011.
CREATE TRIGGER events_deliveries AFTER INSERT ON events
WHEN EXISTS (SELECT 1 FROM webhook_events)
BEGIN
	INSERT INTO webhook_deliveries (webhook_id, event_seq, subject, status, attempts, next_attempt_at, created_at)
	SELECT webhook_id, NEW.seq, NEW.subject, 'pending', 0, NEW.created_at, NEW.created_at FROM webhook_events
	WHERE pattern IN (NEW.type, substr(NEW.type, 1, instr(NEW.type, '.')) || '*', '*')
	ON CONFLICT (webhook_id, event_seq) DO NOTHING;
END;

CREATE TABLE tx_attempts_new (
	id         INTEGER PRIMARY KEY,
	tx_id      TEXT NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	raw        BLOB,
	gas_price  TEXT,
	fee_cap    TEXT,
	tip_cap    TEXT,
	created_at TEXT NOT NULL,
	kind       TEXT NOT NULL DEFAULT ''
);
INSERT INTO tx_attempts_new (id, tx_id, hash, raw, gas_price, fee_cap, tip_cap, created_at, kind)
SELECT id, tx_id, hash, raw, gas_price, fee_cap, tip_cap, created_at, kind FROM tx_attempts;
DROP TABLE tx_attempts;
ALTER TABLE tx_attempts_new RENAME TO tx_attempts;
CREATE INDEX tx_attempts_tx ON tx_attempts (tx_id, id);
CREATE INDEX tx_attempts_hash ON tx_attempts (hash);
