package api

import (
	"context"
	"math/big"
	"net/http"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
)

// --- key lifecycle and policies (admin) ---

// lifecycle returns the custodian's admin side, or 503 when this server signs
// through a custodian without it.
func (s *Server) lifecycle() (custody.Lifecycle, error) {
	lc, ok := any(s.Custody).(custody.Lifecycle)
	if !ok {
		return nil, coffer.Errorf(coffer.EUNAVAILABLE, "this operation is not available through the configured signer; run it on the signer (coffer keys …)")
	}
	return lc, nil
}

func (s *Server) adminWallet(r *http.Request) (*coffer.Principal, common.Address, custody.Lifecycle, error) {
	p, err := admin(r.Context())
	if err != nil {
		return nil, common.Address{}, nil, err
	}
	addr, err := parseAddress("wallet address", r.PathValue("address"))
	if err != nil {
		return nil, common.Address{}, nil, err
	}
	lc, err := s.lifecycle()
	return p, addr, lc, err
}

func (s *Server) setDisabled(disabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, addr, lc, err := s.adminWallet(r)
		if err != nil {
			return err
		}
		wal, err := lc.SetWalletDisabled(r.Context(), p, addr, disabled)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, viewWallet(wal))
		return nil
	}
}

func (s *Server) disableWallet(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(true)(w, r)
}

func (s *Server) enableWallet(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(false)(w, r)
}

// exportKey: POST /v1/wallets/{address}/export. The one place a private key
// leaves coffer: only with keys.allow_export, only for admins, only local
// keys, and audited before the key is read.
func (s *Server) exportKey(w http.ResponseWriter, r *http.Request) error {
	p, addr, lc, err := s.adminWallet(r)
	if err != nil {
		return err
	}
	key, err := lc.ExportKey(r.Context(), p, addr)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"address": address(addr), "private_key": key,
		"warning": "this is the wallet's private key: whoever holds it controls the wallet's funds outside coffer's policies and audit log",
	})
	return nil
}

// policyDoc is a policy on the wire: absent or null fields are not set (the
// wallet inherits the global rule), an empty list lifts a global restriction.
type policyDoc struct {
	ChainIDs         *[]uint64        `json:"chain_ids,omitempty"`
	To               *[]address       `json:"to,omitempty"`
	MaxValuePerTx    *string          `json:"max_value_per_tx,omitempty"`
	MaxValuePerDay   *string          `json:"max_value_per_day,omitempty"`
	RawHash          string           `json:"raw_hash,omitempty"`
	TypedDataDomains *[]domainRuleDoc `json:"typed_data_domains,omitempty"`
}

type domainRuleDoc struct {
	Name              string   `json:"name,omitempty"`
	VerifyingContract *address `json:"verifying_contract,omitempty"`
	ChainID           *uint64  `json:"chain_id,omitempty"`
}

func viewPolicy(p *coffer.Policy) policyDoc {
	var d policyDoc
	if p.ChainIDs != nil {
		d.ChainIDs = &p.ChainIDs
	}
	if p.To != nil {
		to := make([]address, len(p.To))
		for i, a := range p.To {
			to[i] = address(a)
		}
		d.To = &to
	}
	if p.MaxValuePerTx != nil {
		d.MaxValuePerTx = bigStr(p.MaxValuePerTx)
	}
	if p.MaxValuePerDay != nil {
		d.MaxValuePerDay = bigStr(p.MaxValuePerDay)
	}
	d.RawHash = p.RawHash
	if p.TypedDataDomains != nil {
		rs := make([]domainRuleDoc, len(p.TypedDataDomains))
		for i, r := range p.TypedDataDomains {
			rs[i] = domainRuleDoc{Name: r.Name, VerifyingContract: (*address)(r.VerifyingContract), ChainID: r.ChainID}
		}
		d.TypedDataDomains = &rs
	}
	return d
}

func (d *policyDoc) policy() (*coffer.Policy, error) {
	p := &coffer.Policy{RawHash: d.RawHash}
	if d.ChainIDs != nil {
		p.ChainIDs = append([]uint64{}, *d.ChainIDs...)
	}
	if d.To != nil {
		p.To = make([]common.Address, len(*d.To))
		for i, a := range *d.To {
			p.To[i] = common.Address(a)
		}
	}
	var err error
	if p.MaxValuePerTx, err = decimal("max_value_per_tx", d.MaxValuePerTx); err != nil {
		return nil, err
	}
	if p.MaxValuePerDay, err = decimal("max_value_per_day", d.MaxValuePerDay); err != nil {
		return nil, err
	}
	if d.TypedDataDomains != nil {
		p.TypedDataDomains = make([]coffer.DomainRule, len(*d.TypedDataDomains))
		for i, r := range *d.TypedDataDomains {
			p.TypedDataDomains[i] = coffer.DomainRule{Name: r.Name, VerifyingContract: (*common.Address)(r.VerifyingContract), ChainID: r.ChainID}
		}
	}
	return p, nil
}

func (s *Server) writePolicy(ctx context.Context, w http.ResponseWriter, lc custody.Lifecycle, p *coffer.Principal, addr common.Address) error {
	own, eff, err := lc.WalletPolicy(ctx, p, addr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"wallet": address(addr), "policy": viewPolicy(own), "effective": viewPolicy(&eff)})
	return nil
}

// getPolicy: GET /v1/wallets/{address}/policy → the wallet's own policy and
// the effective one (its own over the global policy).
func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	p, addr, lc, err := s.adminWallet(r)
	if err != nil {
		return err
	}
	return s.writePolicy(r.Context(), w, lc, p, addr)
}

// putPolicy: PUT /v1/wallets/{address}/policy replaces the wallet's own
// policy ({} removes it).
func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) error {
	var doc policyDoc
	if _, err := s.decode(r, &doc); err != nil {
		return err
	}
	p, addr, lc, err := s.adminWallet(r)
	if err != nil {
		return err
	}
	pol, err := doc.policy()
	if err != nil {
		return err
	}
	if err := lc.SetWalletPolicy(r.Context(), p, addr, pol); err != nil {
		return err
	}
	return s.writePolicy(r.Context(), w, lc, p, addr)
}

// checkTransactionPolicy refuses, before queueing, a transaction that
// policies would refuse at signing (when the custodian can tell).
func (s *Server) checkTransactionPolicy(ctx context.Context, p *coffer.Principal, from common.Address, chainID uint64, to *common.Address, value *big.Int) error {
	lc, ok := any(s.Custody).(custody.Lifecycle)
	if !ok {
		return nil // the signer checks when it signs
	}
	return lc.CheckTransaction(ctx, p, from, chainID, to, value)
}
