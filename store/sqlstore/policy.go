package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
)

// policyDoc is how a wallet policy is stored: pointers keep "not set" (null)
// apart from "set to empty" ([]), and quantities are decimal strings.
type policyDoc struct {
	ChainIDs         *[]uint64         `json:"chain_ids,omitempty"`
	To               *[]common.Address `json:"to,omitempty"`
	MaxValuePerTx    *string           `json:"max_value_per_tx,omitempty"`
	MaxValuePerDay   *string           `json:"max_value_per_day,omitempty"`
	RawHash          string            `json:"raw_hash,omitempty"`
	TypedDataDomains *[]domainRuleDoc  `json:"typed_data_domains,omitempty"`
}

type domainRuleDoc struct {
	Name              string          `json:"name,omitempty"`
	VerifyingContract *common.Address `json:"verifying_contract,omitempty"`
	ChainID           *uint64         `json:"chain_id,omitempty"`
}

func encodePolicy(p *coffer.Policy) ([]byte, error) {
	var d policyDoc
	if p.ChainIDs != nil {
		d.ChainIDs = &p.ChainIDs
	}
	if p.To != nil {
		d.To = &p.To
	}
	if p.MaxValuePerTx != nil {
		v := p.MaxValuePerTx.String()
		d.MaxValuePerTx = &v
	}
	if p.MaxValuePerDay != nil {
		v := p.MaxValuePerDay.String()
		d.MaxValuePerDay = &v
	}
	d.RawHash = p.RawHash
	if p.TypedDataDomains != nil {
		rs := make([]domainRuleDoc, len(p.TypedDataDomains))
		for i, r := range p.TypedDataDomains {
			rs[i] = domainRuleDoc(r)
		}
		d.TypedDataDomains = &rs
	}
	return json.Marshal(d)
}

func decodePolicy(b []byte) (*coffer.Policy, error) {
	var d policyDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("sqlstore: stored wallet policy: %w", err)
	}
	p := &coffer.Policy{RawHash: d.RawHash}
	if d.ChainIDs != nil {
		p.ChainIDs = append([]uint64{}, *d.ChainIDs...)
	}
	if d.To != nil {
		p.To = append([]common.Address{}, *d.To...)
	}
	dec := func(s *string) (*big.Int, error) {
		if s == nil {
			return nil, nil
		}
		v, ok := new(big.Int).SetString(*s, 10)
		if !ok {
			return nil, fmt.Errorf("sqlstore: stored wallet policy: bad quantity %q", *s)
		}
		return v, nil
	}
	var err error
	if p.MaxValuePerTx, err = dec(d.MaxValuePerTx); err != nil {
		return nil, err
	}
	if p.MaxValuePerDay, err = dec(d.MaxValuePerDay); err != nil {
		return nil, err
	}
	if d.TypedDataDomains != nil {
		p.TypedDataDomains = make([]coffer.DomainRule, len(*d.TypedDataDomains))
		for i, r := range *d.TypedDataDomains {
			p.TypedDataDomains[i] = coffer.DomainRule(r)
		}
	}
	return p, nil
}

// WalletPolicy returns the wallet's stored policy, a zero Policy when none.
func (s *DB) WalletPolicy(ctx context.Context, a common.Address) (*coffer.Policy, error) {
	var b string
	err := s.db.QueryRowContext(ctx, `SELECT policy FROM wallet_policies WHERE wallet = $1`, addr(a)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return &coffer.Policy{}, nil
	}
	if err != nil {
		return nil, s.wrap(err, "read policy of wallet %s", a.Hex())
	}
	return decodePolicy([]byte(b))
}

// SetWalletPolicy replaces the wallet's policy; a zero policy deletes it.
func (s *DB) SetWalletPolicy(ctx context.Context, a common.Address, p *coffer.Policy) error {
	if p.IsZero() {
		_, err := s.exec(ctx, `DELETE FROM wallet_policies WHERE wallet = $1`, addr(a))
		return s.wrap(err, "delete policy of wallet %s", a.Hex())
	}
	b, err := encodePolicy(p)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO wallet_policies (wallet, policy, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (wallet) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
		addr(a), string(b), s.tm(now()))
	return s.wrap(err, "store policy of wallet %s", a.Hex())
}

// ReserveSpend checks and records a spend in one write transaction that holds
// the (wallet, chain) lock row: SQLite's BEGIN IMMEDIATE serialises it with
// every other writer, PostgreSQL's SELECT … FOR UPDATE with every other spend
// of the same wallet and chain, in any process.
func (s *DB) ReserveSpend(ctx context.Context, sp *coffer.Spend, limit *big.Int, window time.Duration) (bool, *big.Int, error) {
	if sp.Value == nil || sp.Value.Sign() < 0 {
		return false, nil, coffer.Errorf(coffer.EINVALID, "spend value must be non-negative")
	}
	stamp(&sp.Time)
	w, chain := addr(sp.Wallet), u64(sp.ChainID)
	prior := new(big.Int)
	allowed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO spend_locks (wallet, chain_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, w, chain); err != nil {
			return s.wrap(err, "spend lock")
		}
		var locked string
		if err := tx.QueryRowContext(ctx, `SELECT wallet FROM spend_locks WHERE wallet = $1 AND chain_id = $2`+s.d.ForUpdate, w, chain).Scan(&locked); err != nil {
			return s.wrap(err, "spend lock")
		}
		cutoff := s.tm(sp.Time.Add(-window))
		if _, err := tx.ExecContext(ctx, `DELETE FROM spends WHERE wallet = $1 AND chain_id = $2 AND time <= $3`, w, chain, cutoff); err != nil {
			return s.wrap(err, "prune spends")
		}
		rows, err := tx.QueryContext(ctx, `SELECT nonce, value FROM spends WHERE wallet = $1 AND chain_id = $2`, w, chain)
		if err != nil {
			return s.wrap(err, "read spends")
		}
		same := new(big.Int)
		for rows.Next() {
			var nonce uint64
			var v *big.Int
			if err := rows.Scan(u64Col{&nonce}, bigCol{&v}); err != nil {
				rows.Close()
				return err
			}
			if v == nil {
				continue
			}
			if nonce == sp.Nonce {
				same = v
			} else {
				prior.Add(prior, v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.wrap(err, "read spends")
		}
		value := sp.Value
		if same.Cmp(value) > 0 {
			value = same
		}
		if limit != nil && new(big.Int).Add(prior, value).Cmp(limit) > 0 {
			prior.Add(prior, same)
			return nil
		}
		allowed = true
		_, err = tx.ExecContext(ctx, `INSERT INTO spends (wallet, chain_id, nonce, value, time) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (wallet, chain_id, nonce) DO UPDATE SET value = excluded.value, time = excluded.time`,
			w, chain, u64(sp.Nonce), value.String(), s.tm(sp.Time))
		return s.wrap(err, "record spend")
	})
	if err != nil {
		return false, nil, err
	}
	return allowed, prior, nil
}
