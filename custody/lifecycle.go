package custody

import (
	"context"
	"crypto/ecdsa"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/policy"
)

// Audit kinds of key lifecycle events (beside the signing kinds of package policy).
const (
	KindDisable = "disable"
	KindEnable  = "enable"
	KindExport  = "export"
	KindPolicy  = "policy"
)

// Exporter is a key backend that can hand out a private key (only the local
// backend: KMS and HSM keys cannot leave their device).
type Exporter interface {
	ExportKey(ctx context.Context, keyID string) (*ecdsa.PrivateKey, error)
}

// SetPolicy replaces the policy engine (by default: an empty global policy,
// which restricts nothing but raw-hash signing by non-admins).
func (s *Service) SetPolicy(e *policy.Engine) { s.policy = e }

// Policies returns the policy engine.
func (s *Service) Policies() *policy.Engine { return s.policy }

// SetAllowExport enables ExportKey (configuration keys.allow_export).
func (s *Service) SetAllowExport(allow bool) { s.allowExport = allow }

func adminOnly(p *coffer.Principal, what string) error {
	if !p.IsAdmin() {
		return coffer.Errorf(coffer.EFORBIDDEN, "only admins may %s", what)
	}
	return nil
}

// SetWalletDisabled disables or enables a wallet (admin only). A disabled
// wallet refuses every signature. The change is audited.
func (s *Service) SetWalletDisabled(ctx context.Context, p *coffer.Principal, addr common.Address, disabled bool) (*coffer.Wallet, error) {
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return nil, err
	}
	kind := KindEnable
	if disabled {
		kind = KindDisable
	}
	err = adminOnly(p, kind+" wallets")
	if aerr := s.audit(ctx, p.ID(), w, kind, common.Hash{}, 0, nil, nil, err); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	err = s.store.SetWalletDisabled(ctx, addr, disabled)
	// Dropped whatever the outcome (a failed write may still have committed):
	// the next request in this process reads the stored state.
	s.wallets.invalidate(addr)
	if err != nil {
		return nil, err
	}
	w.Disabled = disabled
	s.log.Info("wallet "+kind+"d", "address", w.Address, "by", p.ID())
	return w, nil
}

// WalletPolicy returns the wallet's own policy and the effective one (its own
// over the global policy). Admin only.
func (s *Service) WalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address) (own *coffer.Policy, effective coffer.Policy, err error) {
	if err := adminOnly(p, "read wallet policies"); err != nil {
		return nil, coffer.Policy{}, err
	}
	if _, err := s.Wallet(ctx, p, addr); err != nil {
		return nil, coffer.Policy{}, err
	}
	own, err = s.policy.WalletPolicy(ctx, addr)
	if err != nil {
		return nil, coffer.Policy{}, err
	}
	return own, own.Over(s.policy.Global()), nil
}

// SetWalletPolicy replaces the wallet's own policy (admin only, audited).
func (s *Service) SetWalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address, pol *coffer.Policy) error {
	if err := adminOnly(p, "set wallet policies"); err != nil {
		return err
	}
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return err
	}
	if err := policy.Validate(pol); err != nil {
		return err
	}
	if err := s.audit(ctx, p.ID(), w, KindPolicy, common.Hash{}, 0, nil, nil, nil); err != nil {
		return err
	}
	return s.policy.SetWalletPolicy(ctx, addr, pol)
}

// ExportKey returns the wallet's private key as 0x hex. It is the one place a
// key leaves coffer: it needs keys.allow_export, an admin and a backend that
// can export (local); every attempt is audited, and the record is written
// before the key is read.
func (s *Service) ExportKey(ctx context.Context, p *coffer.Principal, addr common.Address) (string, error) {
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return "", err
	}
	var ex Exporter
	switch {
	case !s.allowExport:
		err = coffer.Errorf(coffer.EFORBIDDEN, "key export is disabled on this server (keys.allow_export)")
	case !p.IsAdmin():
		err = coffer.Errorf(coffer.EFORBIDDEN, "only admins may export keys")
	default:
		b, ok := s.backends[w.Backend]
		if ex, ok = b.(Exporter); !ok {
			err = coffer.Errorf(coffer.EFORBIDDEN, "keys of backend %q cannot be exported (only local keys can)", w.Backend)
		}
	}
	if aerr := s.audit(ctx, p.ID(), w, KindExport, common.Hash{}, 0, nil, nil, err); aerr != nil {
		return "", aerr
	}
	if err != nil {
		return "", err
	}
	key, err := ex.ExportKey(ctx, w.KeyID)
	if err != nil {
		s.log.Error("key export failed", "address", w.Address, "err", err)
		return "", coffer.WrapError(coffer.EUNAVAILABLE, err, "the key of wallet %s could not be read", w.Address.Hex())
	}
	if crypto.PubkeyToAddress(key.PublicKey) != w.Address {
		return "", coffer.Errorf(coffer.EINTERNAL, "exported key does not match wallet %s", w.Address.Hex())
	}
	d := crypto.FromECDSA(key)
	defer clear(d)
	s.log.Warn("private key exported", "address", w.Address, "by", p.ID())
	return hexutil.Encode(d), nil
}

// CheckTransaction evaluates the policies that need no spend record for a
// transaction that is about to be queued, so that a refusal is a 403 now
// rather than a failed transaction later. Signing checks again.
func (s *Service) CheckTransaction(ctx context.Context, p *coffer.Principal, addr common.Address, chainID uint64, to *common.Address, value *big.Int) error {
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return err
	}
	return s.policy.Precheck(ctx, &policy.Request{Wallet: w, Kind: policy.KindTransaction, Admin: p.IsAdmin(), ChainID: chainID, To: to, Value: value})
}

// Lifecycle is the admin side of custody: disabling wallets, their policies
// and key export. *Service implements it; the API answers 503 for these
// operations when its custodian does not (a remote signer that lacks them).
type Lifecycle interface {
	SetWalletDisabled(ctx context.Context, p *coffer.Principal, addr common.Address, disabled bool) (*coffer.Wallet, error)
	WalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address) (own *coffer.Policy, effective coffer.Policy, err error)
	SetWalletPolicy(ctx context.Context, p *coffer.Principal, addr common.Address, pol *coffer.Policy) error
	ExportKey(ctx context.Context, p *coffer.Principal, addr common.Address) (string, error)
	CheckTransaction(ctx context.Context, p *coffer.Principal, addr common.Address, chainID uint64, to *common.Address, value *big.Int) error
}

var _ Lifecycle = (*Service)(nil)
