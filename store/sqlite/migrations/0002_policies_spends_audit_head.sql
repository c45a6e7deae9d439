-- Per-wallet signing policies (JSON, see sqlstore/policy.go), the value each
-- wallet signed away per chain and nonce (for the rolling-day limit), a lock
-- row per (wallet, chain) that serialises spend checks, and the audit head.

CREATE TABLE wallet_policies (
	wallet     TEXT PRIMARY KEY,
	policy     TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE spends (
	wallet   TEXT NOT NULL,
	chain_id INTEGER NOT NULL,
	nonce    INTEGER NOT NULL,
	value    TEXT NOT NULL,
	time     TEXT NOT NULL,
	PRIMARY KEY (wallet, chain_id, nonce)
);
CREATE INDEX spends_time ON spends (wallet, chain_id, time);

CREATE TABLE spend_locks (
	wallet   TEXT NOT NULL,
	chain_id INTEGER NOT NULL,
	PRIMARY KEY (wallet, chain_id)
);

-- The seq and hash of the last audit record, updated in the append's
-- transaction: a deleted tail no longer matches it.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) SELECT 1, seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1;
