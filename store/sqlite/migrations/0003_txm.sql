-- Transaction manager: what each attempt was (a replacement of the request,
-- a cancellation or a no-op filling the nonce), and one row per self-custody
-- transaction hash.
ALTER TABLE tx_attempts ADD COLUMN kind TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX transactions_raw_hash ON transactions (hash) WHERE kind = 'raw';
