-- Two index entries fewer per mint, each one an index update and its WAL
-- record in the write transactions that carry the mint:
-- * events_created served only the hourly prune, which now finds old events
--   by seq (created_at rises with seq); an event is appended seven times per
--   mint.
-- * transactions_hash holds only transactions that have a hash: a queued one
--   has none, so its NULL entry was inserted when it was queued and moved
--   when it was signed. Lookups are by "hash = ?", which the partial index
--   serves.
DROP INDEX events_created;
DROP INDEX transactions_hash;
CREATE INDEX transactions_hash ON transactions (hash) WHERE hash IS NOT NULL;
