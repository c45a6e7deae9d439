// Package custody is the gate in front of the key backends: it owns the
// wallets, decides who may sign with which, writes every signing request to
// the audit log, and builds Ethereum signatures with package ethsign.
package custody

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/ethsign"
	"github.com/cofferhq/coffer/policy"
)

// LabelPlatform marks the platform (treasury and minter) wallet.
const LabelPlatform = "platform"

// Service manages wallets and signs with them.
type Service struct {
	store          coffer.Store
	backends       map[string]coffer.KeyBackend
	defaultBackend string
	log            *slog.Logger
	policy         *policy.Engine // see SetPolicy; lifecycle.go
	allowExport    bool           // see SetAllowExport

	// creating serialises first-wallet creation per user (striped by a hash
	// of the user id, so memory stays bounded however many users there are).
	creating [64]sync.Mutex

	audits  auditBatcher // group commit of audit records; auditbatch.go
	wallets *walletCache // wallet records by address; walletcache.go

	// firsts remembers each user's first wallet (UserWallet): wallets are
	// never deleted, so a user's oldest one never changes.
	firstsMu sync.RWMutex
	firsts   map[string]common.Address
}

// maxFirsts bounds Service.firsts; when full it is emptied.
const maxFirsts = 100_000

// New returns a custody service over the given backends.
func New(store coffer.Store, backends []coffer.KeyBackend, defaultBackend string, log *slog.Logger) (*Service, error) {
	s := &Service{store: store, backends: map[string]coffer.KeyBackend{}, defaultBackend: defaultBackend, log: log,
		policy: policy.New(coffer.Policy{}, store), wallets: newWalletCache(DefaultWalletCacheTTL),
		firsts: map[string]common.Address{}}
	for _, b := range backends {
		s.backends[b.Name()] = b
	}
	if _, ok := s.backends[defaultBackend]; !ok {
		return nil, fmt.Errorf("custody: default key backend %q is not configured", defaultBackend)
	}
	return s, nil
}

// Backend returns a configured backend by name.
func (s *Service) Backend(name string) (coffer.KeyBackend, error) {
	if name == "" {
		name = s.defaultBackend
	}
	b, ok := s.backends[name]
	if !ok {
		return nil, coffer.Errorf(coffer.EINVALID, "key backend %q is not configured on this server (have: %s)", name, s.backendNames())
	}
	return b, nil
}

func (s *Service) backendNames() string {
	out := ""
	for n := range s.backends {
		if out != "" {
			out += ", "
		}
		out += n
	}
	return out
}

// CreateWallet makes a new key in backend ("" = default) and records a wallet for ownerID.
func (s *Service) CreateWallet(ctx context.Context, ownerID, backend, label string) (*coffer.Wallet, error) {
	b, err := s.Backend(backend)
	if err != nil {
		return nil, err
	}
	rec, err := b.CreateKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("custody: create key: %w", err)
	}
	return s.adopt(ctx, rec, ownerID, label)
}

// AdoptKey records a wallet for a key that already exists in its backend (an import).
func (s *Service) AdoptKey(ctx context.Context, rec *coffer.KeyRecord, ownerID, label string) (*coffer.Wallet, error) {
	return s.adopt(ctx, rec, ownerID, label)
}

func (s *Service) adopt(ctx context.Context, rec *coffer.KeyRecord, ownerID, label string) (*coffer.Wallet, error) {
	w := &coffer.Wallet{Address: rec.Address, OwnerID: ownerID, Backend: rec.Backend, KeyID: rec.ID, Label: label, CreatedAt: time.Now().UTC()}
	if err := s.store.CreateWallet(ctx, w); err != nil {
		return nil, err
	}
	s.log.Info("wallet created", "address", w.Address, "backend", w.Backend, "owner", ownerID, "label", label)
	return w, nil
}

// UserWallet returns the user's first wallet, creating it on first need.
func (s *Service) UserWallet(ctx context.Context, userID string) (*coffer.Wallet, error) {
	s.firstsMu.RLock()
	addr, ok := s.firsts[userID]
	s.firstsMu.RUnlock()
	if ok {
		return s.wallets.get(ctx, s.store, addr)
	}
	w, err := s.firstWallet(ctx, userID)
	if err != nil {
		return nil, err
	}
	s.firstsMu.Lock()
	if len(s.firsts) >= maxFirsts {
		clear(s.firsts)
	}
	s.firsts[userID] = w.Address
	s.firstsMu.Unlock()
	return w, nil
}

func (s *Service) firstWallet(ctx context.Context, userID string) (*coffer.Wallet, error) {
	h := fnv.New32a()
	h.Write([]byte(userID))
	l := &s.creating[h.Sum32()%uint32(len(s.creating))]
	l.Lock()
	defer l.Unlock()
	ws, _, err := s.store.Wallets(ctx, userID, 500, "")
	if err != nil {
		return nil, err
	}
	if len(ws) > 0 {
		return ws[len(ws)-1], nil // lists are newest first: the oldest is the default
	}
	return s.CreateWallet(ctx, userID, "", "")
}

// PlatformWallet returns the platform wallet.
func (s *Service) PlatformWallet(ctx context.Context) (*coffer.Wallet, error) {
	return s.store.WalletByLabel(ctx, LabelPlatform)
}

// Wallet returns addr if p may use it. Another user's wallet is ENOTFOUND,
// so its existence is not revealed. The record may come from the wallet
// cache (walletcache.go: at most DefaultWalletCacheTTL old, dropped at once
// when this process changes the wallet).
func (s *Service) Wallet(ctx context.Context, p *coffer.Principal, addr common.Address) (*coffer.Wallet, error) {
	w, err := s.wallets.get(ctx, s.store, addr)
	if err != nil {
		return nil, err
	}
	if p.IsAdmin() || (p != nil && p.UserID != "" && w.OwnerID == p.UserID) {
		return w, nil
	}
	return nil, coffer.Errorf(coffer.ENOTFOUND, "wallet %s not found", addr.Hex())
}

// signer returns the ethsign signer of a usable wallet.
func (s *Service) signer(w *coffer.Wallet) (ethsign.KeySigner, error) {
	if w.Disabled {
		return ethsign.KeySigner{}, coffer.Errorf(coffer.EFORBIDDEN, "wallet %s is disabled", w.Address.Hex())
	}
	b, ok := s.backends[w.Backend]
	if !ok {
		return ethsign.KeySigner{}, coffer.Errorf(coffer.EUNAVAILABLE, "key backend %q of wallet %s is not configured on this server", w.Backend, w.Address.Hex())
	}
	return ethsign.KeySigner{Signer: b, KeyID: w.KeyID, Address: w.Address}, nil
}

// gate decides a signing request: the wallet's signer, the policy's verdict
// on req, and the audit record of the outcome, allowed or refused (no audit
// record, no signature). It returns the signer when the request may go on.
// The record's destination and value are req's; chainID is given apart
// because typed data is audited with its domain's chain without the policy
// checking it as a transaction's.
func (s *Service) gate(ctx context.Context, principal string, req *policy.Request, kind string, digest common.Hash, chainID uint64) (ethsign.KeySigner, error) {
	ks, err := s.signer(req.Wallet)
	if err == nil {
		err = s.policy.Check(ctx, req)
	}
	if aerr := s.audit(ctx, principal, req.Wallet, kind, digest, chainID, req.To, req.Value, err); aerr != nil {
		return ethsign.KeySigner{}, aerr
	}
	return ks, err
}

// audit records one signing request; its outcome is derived from err.
func (s *Service) audit(ctx context.Context, principal string, w *coffer.Wallet, kind string, digest common.Hash, chainID uint64, to *common.Address, value *big.Int, err error) error {
	outcome := "allowed"
	if err != nil {
		if coffer.ErrorCode(err) == coffer.EFORBIDDEN {
			outcome = "refused: " + coffer.ErrorMessage(err)
		} else {
			outcome = "error: " + coffer.ErrorMessage(err)
		}
	}
	rec := &coffer.AuditRecord{
		Time: time.Now().UTC(), Principal: principal, Wallet: w.Address, KeyID: w.KeyID, Kind: kind,
		Digest: digest, ChainID: chainID, To: to, Value: value, RequestID: coffer.RequestIDFrom(ctx), Outcome: outcome,
	}
	if aerr := s.audits.append(ctx, s.store, rec); aerr != nil {
		// No audit record, no signature.
		s.log.Error("audit append failed; refusing to sign", "wallet", w.Address, "err", aerr)
		return coffer.WrapError(coffer.EUNAVAILABLE, aerr, "audit log unavailable")
	}
	return nil
}

// SignTx signs tx for the transaction manager with the wallet at from.
func (s *Service) SignTx(ctx context.Context, from common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	w, err := s.wallets.get(ctx, s.store, from)
	if err != nil {
		return nil, err
	}
	return s.signTx(ctx, "txm", w, tx, chainID)
}

func (s *Service) signTx(ctx context.Context, principal string, w *coffer.Wallet, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	s.audits.enter()
	defer s.audits.leave()
	digest := types.LatestSignerForChainID(chainID).Hash(tx)
	ks, err := s.gate(ctx, principal, &policy.Request{Wallet: w, Kind: policy.KindTransaction, Admin: principal == "txm",
		ChainID: chainID.Uint64(), To: tx.To(), Value: tx.Value(), Nonce: tx.Nonce()}, "transaction", digest, chainID.Uint64())
	if err != nil {
		return nil, err
	}
	return ks.SignTx(ctx, tx, chainID)
}

// SignTransaction signs tx with a wallet p may use, without broadcasting it.
func (s *Service) SignTransaction(ctx context.Context, p *coffer.Principal, addr common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return nil, err
	}
	return s.signTx(ctx, p.ID(), w, tx, chainID)
}

// SignMessage signs an EIP-191 personal message.
func (s *Service) SignMessage(ctx context.Context, p *coffer.Principal, addr common.Address, msg []byte) ([]byte, error) {
	s.audits.enter()
	defer s.audits.leave()
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return nil, err
	}
	ks, err := s.gate(ctx, p.ID(), &policy.Request{Wallet: w, Kind: policy.KindMessage, Admin: p.IsAdmin()},
		"message", common.BytesToHash(accounts.TextHash(msg)), 0)
	if err != nil {
		return nil, err
	}
	return ks.SignMessage(ctx, msg)
}

// SignTypedData signs EIP-712 typed data.
func (s *Service) SignTypedData(ctx context.Context, p *coffer.Principal, addr common.Address, td apitypes.TypedData) ([]byte, error) {
	s.audits.enter()
	defer s.audits.leave()
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return nil, err
	}
	digest, _, herr := apitypes.TypedDataAndHash(td)
	if herr != nil {
		return nil, coffer.Errorf(coffer.EINVALID, "typed data: %v", herr)
	}
	var chainID uint64
	if td.Domain.ChainId != nil {
		chainID = (*big.Int)(td.Domain.ChainId).Uint64()
	}
	ks, err := s.gate(ctx, p.ID(), &policy.Request{Wallet: w, Kind: policy.KindTypedData, Admin: p.IsAdmin(), Domain: &td.Domain},
		"typed_data", common.BytesToHash(digest), chainID)
	if err != nil {
		return nil, err
	}
	return ks.SignTypedData(ctx, td)
}

// SignHash signs a raw 32-byte digest where the raw_hash policy allows it:
// by default admins only (raw-hash signing can sign anything, including
// transactions). allowOwners is the legacy switch: true lets owners sign
// where no policy sets raw_hash; policies decide otherwise.
func (s *Service) SignHash(ctx context.Context, p *coffer.Principal, addr common.Address, digest [32]byte, allowOwners bool) ([]byte, error) {
	s.audits.enter()
	defer s.audits.leave()
	w, err := s.Wallet(ctx, p, addr)
	if err != nil {
		return nil, err
	}
	ks, err := s.gate(ctx, p.ID(), &policy.Request{Wallet: w, Kind: policy.KindHash, Admin: p.IsAdmin(), OwnersMayHash: allowOwners},
		"hash", digest, 0)
	if err != nil {
		return nil, err
	}
	return ks.SignHash(ctx, digest)
}

// VerifyRecovers reports whether sig (v = 27/28 or 0/1) over digest recovers to addr.
func VerifyRecovers(digest []byte, sig []byte, addr common.Address) bool {
	if len(sig) != 65 {
		return false
	}
	c := append([]byte(nil), sig...)
	if c[64] >= 27 {
		c[64] -= 27
	}
	pub, err := crypto.SigToPub(digest, c)
	return err == nil && crypto.PubkeyToAddress(*pub) == addr
}
