-- A collection's TotalMinted is counted on every collection read (each mint
-- request, each indexer step): with token_id in the index the count reads the
-- index alone instead of every mint row (metadata included) of the collection.
-- It replaces mints_collection, its prefix.
CREATE INDEX mints_collection_token ON mints (collection_id, token_id);
DROP INDEX mints_collection;
