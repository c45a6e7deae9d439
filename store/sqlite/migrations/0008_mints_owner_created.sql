-- GET /v1/mints lists a user's mints newest first by (created_at, id): this
-- index serves the owner filter, the order and the cursor without a sort.
CREATE INDEX mints_owner_created ON mints (owner_id, created_at DESC, id DESC);
