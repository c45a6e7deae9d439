package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
)

// Meta, users, API keys, SIWE nonces, sessions, key records and wallets.

func (s *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return "", s.notFound(err, "meta %q", key)
	}
	return v, nil
}

func (s *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return s.wrap(err, "set meta %q", key)
}

func (s *DB) CreateUser(ctx context.Context, u *coffer.User) error {
	defaultID(&u.ID, "usr")
	stamp(&u.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO users (id, issuer, subject, address, created_at) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, u.Issuer, u.Subject, addrPtr(u.Address), s.tm(u.CreatedAt))
	return s.wrap(err, "user %s (%s, %s)", u.ID, u.Issuer, u.Subject)
}

const userCols = `id, issuer, subject, address, created_at`

func scanUser(row interface{ Scan(...any) error }) (*coffer.User, error) {
	u := new(coffer.User)
	err := row.Scan(&u.ID, &u.Issuer, &u.Subject, addrPtrCol{&u.Address}, timeCol{&u.CreatedAt})
	return u, err
}

func (s *DB) User(ctx context.Context, id string) (*coffer.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, s.notFound(err, "user %s", id)
	}
	return u, nil
}

func (s *DB) UserByIdentity(ctx context.Context, issuer, subject string) (*coffer.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx,
		`SELECT `+userCols+` FROM users WHERE issuer = $1 AND subject = $2`, issuer, subject))
	if err != nil {
		return nil, s.notFound(err, "user (%s, %s)", issuer, subject)
	}
	return u, nil
}

func (s *DB) CreateAPIKey(ctx context.Context, k *coffer.APIKey) error {
	defaultID(&k.ID, "key")
	stamp(&k.CreatedAt)
	if k.RevokedAt != nil {
		t := ts(*k.RevokedAt)
		k.RevokedAt = &t
	}
	_, err := s.exec(ctx, `INSERT INTO api_keys (id, name, hash, roles, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Name, k.Hash, strings.Join(k.Roles, ","), s.tm(k.CreatedAt), s.tmPtr(k.RevokedAt))
	return s.wrap(err, "api key %s", k.ID)
}

func (s *DB) APIKey(ctx context.Context, id string) (*coffer.APIKey, error) {
	k := new(coffer.APIKey)
	var roles string
	err := s.db.QueryRowContext(ctx, `SELECT id, name, hash, roles, created_at, revoked_at FROM api_keys WHERE id = $1`, id).
		Scan(&k.ID, &k.Name, bytesCol{&k.Hash}, &roles, timeCol{&k.CreatedAt}, nullTimeCol{&k.RevokedAt})
	if err != nil {
		return nil, s.notFound(err, "api key %s", id)
	}
	if roles != "" {
		k.Roles = strings.Split(roles, ",")
	}
	return k, nil
}

func (s *DB) CreateNonce(ctx context.Context, nonce string, expiresAt time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO auth_nonces (nonce, expires_at) VALUES ($1, $2)`, nonce, s.tm(expiresAt))
	return s.wrap(err, "nonce")
}

func (s *DB) ConsumeNonce(ctx context.Context, nonce string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM auth_nonces WHERE nonce = $1 AND expires_at > $2`, nonce, s.tm(now))
		if err != nil {
			return s.wrap(err, "consume nonce")
		}
		// Expired nonces go with any use, so the table does not grow.
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_nonces WHERE expires_at <= $1`, s.tm(now)); err != nil {
			return s.wrap(err, "expire nonces")
		}
		return mustAffect(res, "nonce")
	})
}

func (s *DB) CreateSession(ctx context.Context, se *coffer.Session) error {
	defaultID(&se.ID, "ses")
	stamp(&se.CreatedAt)
	se.ExpiresAt = ts(se.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO sessions (id, user_id, refresh_hash, created_at, expires_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		se.ID, se.UserID, se.RefreshHash, s.tm(se.CreatedAt), s.tm(se.ExpiresAt), s.tmPtr(se.RevokedAt))
	return s.wrap(err, "session %s", se.ID)
}

func (s *DB) Session(ctx context.Context, id string) (*coffer.Session, error) {
	se := new(coffer.Session)
	err := s.prep(s.db).QueryRowContext(ctx, `SELECT id, user_id, refresh_hash, created_at, expires_at, revoked_at
		FROM sessions WHERE id = $1`, id).
		Scan(&se.ID, &se.UserID, bytesCol{&se.RefreshHash}, timeCol{&se.CreatedAt}, timeCol{&se.ExpiresAt}, nullTimeCol{&se.RevokedAt})
	if err != nil {
		return nil, s.notFound(err, "session %s", id)
	}
	return se, nil
}

func (s *DB) RotateSession(ctx context.Context, id string, oldHash, newHash []byte, now, expiresAt time.Time) error {
	// One conditional UPDATE: of two racing rotations with the same old hash
	// only one matches.
	res, err := s.exec(ctx, `UPDATE sessions SET refresh_hash = $1, expires_at = $2
		WHERE id = $3 AND refresh_hash = $4 AND revoked_at IS NULL AND expires_at > $5`,
		newHash, s.tm(expiresAt), id, oldHash, s.tm(now))
	if err != nil {
		return s.wrap(err, "rotate session %s", id)
	}
	return mustAffect(res, "live session %s with that refresh token", id)
}

func (s *DB) RevokeSession(ctx context.Context, id string, at time.Time) error {
	res, err := s.exec(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, s.tm(at), id)
	if err != nil {
		return s.wrap(err, "revoke session %s", id)
	}
	return mustAffect(res, "session %s", id)
}

// KeyStore.

func (s *DB) PutKey(ctx context.Context, k *coffer.KeyRecord) error {
	stamp(&k.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO keys (id, backend, address, public_key, material, wrapped_key, master_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.Backend, addr(k.Address), blob(k.PublicKey), blob(k.Material), blob(k.WrappedKey), k.MasterID, s.tm(k.CreatedAt))
	return s.wrap(err, "key %s", k.ID)
}

const keyCols = `id, backend, address, public_key, material, wrapped_key, master_id, created_at`

func scanKey(row interface{ Scan(...any) error }) (*coffer.KeyRecord, error) {
	k := new(coffer.KeyRecord)
	err := row.Scan(&k.ID, &k.Backend, addrCol{&k.Address}, bytesCol{&k.PublicKey}, bytesCol{&k.Material},
		bytesCol{&k.WrappedKey}, &k.MasterID, timeCol{&k.CreatedAt})
	return k, err
}

func (s *DB) Key(ctx context.Context, id string) (*coffer.KeyRecord, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyCols+` FROM keys WHERE id = $1`, id))
	if err != nil {
		return nil, s.notFound(err, "key %s", id)
	}
	return k, nil
}

func (s *DB) Keys(ctx context.Context, backend string) ([]*coffer.KeyRecord, error) {
	var w where
	if backend != "" {
		w.add(`backend = ?`, backend)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyCols+` FROM keys`+w.String()+` ORDER BY created_at, id`, w.args...)
	if err != nil {
		return nil, s.wrap(err, "list keys")
	}
	defer rows.Close()
	var out []*coffer.KeyRecord
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *DB) UpdateKeyWrapping(ctx context.Context, id string, wrapped []byte, masterID string) error {
	res, err := s.exec(ctx, `UPDATE keys SET wrapped_key = $1, master_id = $2 WHERE id = $3`, blob(wrapped), masterID, id)
	if err != nil {
		return s.wrap(err, "update key %s", id)
	}
	return mustAffect(res, "key %s", id)
}

// Wallets.

func (s *DB) CreateWallet(ctx context.Context, w *coffer.Wallet) error {
	stamp(&w.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO wallets (address, owner_id, backend, key_id, label, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		addr(w.Address), w.OwnerID, w.Backend, w.KeyID, w.Label, w.Disabled, s.tm(w.CreatedAt))
	return s.wrap(err, "wallet %s", w.Address.Hex())
}

const walletCols = `address, owner_id, backend, key_id, label, disabled, created_at`

func scanWallet(row interface{ Scan(...any) error }) (*coffer.Wallet, error) {
	w := new(coffer.Wallet)
	err := row.Scan(addrCol{&w.Address}, &w.OwnerID, &w.Backend, &w.KeyID, &w.Label, &w.Disabled, timeCol{&w.CreatedAt})
	return w, err
}

func (s *DB) Wallet(ctx context.Context, a common.Address) (*coffer.Wallet, error) {
	st, err := s.stmt(ctx, `SELECT `+walletCols+` FROM wallets WHERE address = $1`)
	if err != nil {
		return nil, err
	}
	w, err := scanWallet(st.QueryRowContext(ctx, addr(a)))
	if err != nil {
		return nil, s.notFound(err, "wallet %s", a.Hex())
	}
	return w, nil
}

// WalletByLabel returns the oldest wallet with label; labels are not unique.
func (s *DB) WalletByLabel(ctx context.Context, label string) (*coffer.Wallet, error) {
	w, err := scanWallet(s.db.QueryRowContext(ctx,
		`SELECT `+walletCols+` FROM wallets WHERE label = $1 ORDER BY created_at, address LIMIT 1`, label))
	if err != nil {
		return nil, s.notFound(err, "wallet labelled %q", label)
	}
	return w, nil
}

func (s *DB) Wallets(ctx context.Context, ownerID string, limit int, cursor string) ([]*coffer.Wallet, string, error) {
	limit = clampLimit(limit)
	var w where
	if ownerID != "" {
		w.add(`owner_id = ?`, ownerID)
	}
	if cursor != "" {
		t, id, err := decodeTimeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		w.add(`(created_at, address) < (?, ?)`, s.tm(t), id)
	}
	q := `SELECT ` + walletCols + ` FROM wallets` + w.String() +
		` ORDER BY created_at DESC, address DESC` + w.limit(limit+1)
	rows, err := s.prep(s.db).QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, "", s.wrap(err, "list wallets")
	}
	out, err := collect(rows, scanWallet)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(last *coffer.Wallet) string { return timeCursor(last.CreatedAt, addr(last.Address)) })
	return out, next, nil
}

func (s *DB) SetWalletDisabled(ctx context.Context, a common.Address, disabled bool) error {
	res, err := s.exec(ctx, `UPDATE wallets SET disabled = $1 WHERE address = $2`, disabled, addr(a))
	if err != nil {
		return s.wrap(err, "update wallet %s", a.Hex())
	}
	return mustAffect(res, "wallet %s", a.Hex())
}
