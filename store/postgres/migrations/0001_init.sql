-- Times are TIMESTAMPTZ (microseconds); big integers NUMERIC(78,0), which
-- holds 2^256-1; addresses and hashes are lower-case 0x hex.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE users (
	id         TEXT PRIMARY KEY,
	issuer     TEXT NOT NULL,
	subject    TEXT NOT NULL,
	address    TEXT,
	created_at TIMESTAMPTZ NOT NULL,
	UNIQUE (issuer, subject)
);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	hash       BYTEA NOT NULL,
	roles      TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	revoked_at TIMESTAMPTZ
);

CREATE TABLE auth_nonces (
	nonce      TEXT PRIMARY KEY,
	expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL,
	refresh_hash BYTEA NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL,
	revoked_at   TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE keys (
	id          TEXT PRIMARY KEY,
	backend     TEXT NOT NULL,
	address     TEXT NOT NULL,
	public_key  BYTEA,
	material    BYTEA,
	wrapped_key BYTEA,
	master_id   TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX keys_backend ON keys (backend, created_at);

CREATE TABLE wallets (
	address    TEXT PRIMARY KEY,
	owner_id   TEXT NOT NULL,
	backend    TEXT NOT NULL,
	key_id     TEXT NOT NULL,
	label      TEXT NOT NULL,
	disabled   BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX wallets_owner ON wallets (owner_id, created_at, address);
CREATE INDEX wallets_created ON wallets (created_at, address);
CREATE INDEX wallets_label ON wallets (label) WHERE label <> '';

CREATE TABLE transactions (
	id               TEXT PRIMARY KEY,
	owner_id         TEXT NOT NULL,
	kind             TEXT NOT NULL,
	chain_id         BIGINT NOT NULL,
	from_addr        TEXT NOT NULL,
	to_addr          TEXT,
	value            NUMERIC(78,0),
	data             BYTEA,
	nonce            BIGINT,
	gas              BIGINT NOT NULL,
	gas_price        NUMERIC(78,0),
	fee_cap          NUMERIC(78,0),
	tip_cap          NUMERIC(78,0),
	hash             TEXT,
	raw              BYTEA,
	status           TEXT NOT NULL,
	block_number     BIGINT,
	block_hash       TEXT,
	gas_used         BIGINT,
	contract_address TEXT,
	error            TEXT NOT NULL,
	idempotency_key  TEXT UNIQUE,
	request_hash     BYTEA,
	created_at       TIMESTAMPTZ NOT NULL,
	updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX transactions_created ON transactions (created_at, id);
CREATE INDEX transactions_owner ON transactions (owner_id, created_at, id);
CREATE INDEX transactions_from ON transactions (from_addr, created_at, id);
CREATE INDEX transactions_status ON transactions (chain_id, status, created_at, id);
CREATE INDEX transactions_hash ON transactions (hash);

CREATE TABLE tx_attempts (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tx_id      TEXT NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	raw        BYTEA,
	gas_price  NUMERIC(78,0),
	fee_cap    NUMERIC(78,0),
	tip_cap    NUMERIC(78,0),
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tx_attempts_tx ON tx_attempts (tx_id, id);
CREATE INDEX tx_attempts_hash ON tx_attempts (hash);

CREATE TABLE nonces (
	chain_id   BIGINT NOT NULL,
	address    TEXT NOT NULL,
	next_nonce BIGINT NOT NULL,
	PRIMARY KEY (chain_id, address)
);

CREATE TABLE collections (
	id         TEXT PRIMARY KEY,
	chain_id   BIGINT NOT NULL,
	name       TEXT NOT NULL,
	symbol     TEXT NOT NULL,
	base_uri   TEXT NOT NULL,
	address    TEXT,
	status     TEXT NOT NULL,
	tx_id      TEXT NOT NULL REFERENCES transactions (id),
	minter     TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX collections_address ON collections (chain_id, address);
CREATE INDEX collections_tx ON collections (tx_id);
CREATE INDEX collections_created ON collections (created_at, id);

CREATE TABLE mints (
	id              TEXT PRIMARY KEY,
	collection_id   TEXT NOT NULL REFERENCES collections (id),
	owner_id        TEXT NOT NULL,
	to_addr         TEXT NOT NULL,
	token_uri       TEXT NOT NULL,
	metadata        BYTEA,
	status          TEXT NOT NULL,
	tx_id           TEXT NOT NULL REFERENCES transactions (id),
	tx_hash         TEXT,
	token_id        NUMERIC(78,0),
	error           TEXT NOT NULL,
	idempotency_key TEXT UNIQUE,
	request_hash    BYTEA,
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX mints_collection ON mints (collection_id);
CREATE INDEX mints_tx ON mints (tx_id);

-- token_key is the token id as 64 hex digits: its text order is numeric order.
CREATE TABLE tokens (
	chain_id     BIGINT NOT NULL,
	contract     TEXT NOT NULL,
	token_key    TEXT COLLATE "C" NOT NULL,
	token_id     NUMERIC(78,0) NOT NULL,
	owner        TEXT NOT NULL,
	token_uri    TEXT NOT NULL,
	mint_tx_hash TEXT,
	block_number BIGINT NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (chain_id, contract, token_key)
);
CREATE INDEX tokens_owner ON tokens (owner, chain_id, contract, token_key);

CREATE TABLE blocks (
	chain_id BIGINT NOT NULL,
	number   BIGINT NOT NULL,
	hash     TEXT NOT NULL,
	PRIMARY KEY (chain_id, number)
);

CREATE TABLE index_cursors (
	chain_id     BIGINT PRIMARY KEY,
	block_number BIGINT NOT NULL,
	block_hash   TEXT NOT NULL
);

CREATE TABLE audit_log (
	seq        BIGINT PRIMARY KEY,
	time       TIMESTAMPTZ NOT NULL,
	principal  TEXT NOT NULL,
	wallet     TEXT NOT NULL,
	key_id     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	digest     TEXT NOT NULL,
	chain_id   BIGINT NOT NULL,
	to_addr    TEXT,
	value      NUMERIC(78,0),
	request_id TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	prev_hash  BYTEA,
	hash       BYTEA NOT NULL
);
CREATE INDEX audit_wallet ON audit_log (wallet, seq);
CREATE INDEX audit_principal ON audit_log (principal, seq);
