-- Events: the outbox of transaction, mint and transfer changes (written in
-- the same store transaction as the change), webhooks and one delivery per
-- (webhook, event). owner1/owner2 are the users who may see an event ('' =
-- admins only).
CREATE TABLE events (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	owner1     TEXT NOT NULL,
	owner2     TEXT NOT NULL,
	data       BLOB NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX events_owner1 ON events (owner1, seq);
CREATE INDEX events_owner2 ON events (owner2, seq) WHERE owner2 <> '';
CREATE INDEX events_created ON events (created_at);

CREATE TABLE webhooks (
	id         TEXT PRIMARY KEY,
	url        TEXT NOT NULL,
	secret     TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TABLE webhook_events (
	webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	pattern    TEXT NOT NULL,
	PRIMARY KEY (pattern, webhook_id)
);
CREATE TABLE webhook_deliveries (
	webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_seq       INTEGER NOT NULL REFERENCES events (seq),
	subject         TEXT NOT NULL,
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_attempt_at TEXT,
	last_code       INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	delivered_at    TEXT,
	PRIMARY KEY (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (webhook_id, subject, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_seq);
