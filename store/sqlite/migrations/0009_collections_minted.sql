-- A collection's minted count (mints whose token id is known) is kept in the
-- row, moved by the store when a mint learns its token id, instead of being
-- counted over the collection's mints on every read: the mint API and the
-- indexer read collections on every request and step, and the count grew
-- with the collection.
ALTER TABLE collections ADD COLUMN minted INTEGER NOT NULL DEFAULT 0;
UPDATE collections SET minted = (SELECT COUNT(*) FROM mints m WHERE m.collection_id = collections.id AND m.token_id IS NOT NULL);
