-- The transfers the indexer applied, so a reorg can undo them: RewindIndex
-- deletes the ones above the fork point and recomputes each affected token's
-- owner from its latest remaining transfer. Keyed like the nft.transfer event
-- id (a transfer re-mined in another block is another row).
CREATE TABLE transfers (
	chain_id     BIGINT NOT NULL,
	block_hash   TEXT NOT NULL,
	tx_hash      TEXT NOT NULL,
	log_index    INTEGER NOT NULL,
	block_number BIGINT NOT NULL,
	contract     TEXT NOT NULL,
	token_key    TEXT COLLATE "C" NOT NULL,
	from_addr    TEXT NOT NULL,
	to_addr      TEXT NOT NULL,
	PRIMARY KEY (chain_id, block_hash, tx_hash, log_index)
);
CREATE INDEX transfers_block ON transfers (chain_id, block_number);
CREATE INDEX transfers_token ON transfers (chain_id, contract, token_key, block_number, log_index);

-- Tokens indexed before this migration have no history: each gets one
-- baseline row standing for its state at the block it was last changed in
-- (log index -1; its transaction unknown, named after the token), so a rewind above that block keeps it
-- as it was, and one below it (a reorg deeper than the upgrade) drops it until
-- the new branch's transfers bring it back.
INSERT INTO transfers (chain_id, block_hash, tx_hash, log_index, block_number, contract, token_key, from_addr, to_addr)
SELECT t.chain_id, COALESCE((SELECT b.hash FROM blocks b WHERE b.chain_id = t.chain_id AND b.number = t.block_number), ''),
	'migrated:' || t.contract || ':' || t.token_key, -1, t.block_number, t.contract, t.token_key, '', t.owner
FROM tokens t;
