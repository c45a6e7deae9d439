-- Two mint modes: who sends a collection's mints (the platform wallet, or the
-- recipient's own custodial wallet redeeming a platform-signed voucher).
ALTER TABLE collections ADD COLUMN mint_mode TEXT NOT NULL DEFAULT 'platform';
-- Gas tank: the top-ups a wallet received (kind 'topup', to_addr = the
-- wallet), read newest first for the rolling daily limit.
CREATE INDEX transactions_kind_to ON transactions (kind, to_addr, created_at, id);
