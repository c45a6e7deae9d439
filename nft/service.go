package nft

import (
	"context"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/cache"
	"github.com/cofferhq/coffer/nft/artifacts"
	"github.com/cofferhq/coffer/nft/bindings"
)

// Wallets is what minting needs from custody: wallets, and the platform's
// signature on mint vouchers (audited and policy-checked like any other).
type Wallets interface {
	UserWallet(ctx context.Context, userID string) (*coffer.Wallet, error)
	PlatformWallet(ctx context.Context) (*coffer.Wallet, error)
	SignTypedData(ctx context.Context, p *coffer.Principal, addr common.Address, td apitypes.TypedData) ([]byte, error)
}

// Notifier wakes the transaction manager of a chain.
type Notifier interface{ Notify(chainID uint64) }

// Preflighter, when the Notifier is one, checks a transaction before it is
// queued: one that would revert fails the request at once, spending nothing.
type Preflighter interface {
	Preflight(ctx context.Context, tx *coffer.Transaction) error
}

func (s *Service) preflight(ctx context.Context, tx *coffer.Transaction) error {
	if p, ok := s.txm.(Preflighter); ok {
		return p.Preflight(ctx, tx)
	}
	return nil
}

// Config tunes the service.
type Config struct {
	PublicURL         string // base of token URIs: <PublicURL>/metadata/<sha256>.json
	MaxMetadataBytes  int64
	AllowMintToOthers bool
	Chains            []uint64 // chains collections may be deployed on
	// VoucherTTL is how long a mint voucher stays redeemable (its deadline);
	// a voucher mint still queued after it fails (default 24h).
	VoucherTTL time.Duration
}

// DefaultVoucherTTL is Config.VoucherTTL's default.
const DefaultVoucherTTL = 24 * time.Hour

// Service creates collections and mints.
type Service struct {
	store   coffer.Store
	blob    coffer.Blob
	wallets Wallets
	txm     Notifier
	cfg     Config
	log     *slog.Logger
	abi     *bindings.CofferNFT

	// deployed holds the collections the mint path found deployed. What a
	// mint reads of its collection (chain, address, minter, mint mode)
	// never changes once the deployment is mined, so a cached one is as
	// good as a read, whichever process deployed it; a collection still
	// deploying (or failed) is read every time.
	deployed cache.Map[string, coffer.Collection]
}

// maxDeployedCache bounds Service.deployed.
const maxDeployedCache = 4096

// withOwnAddress is a copy of c with a copy of its address.
func withOwnAddress(c coffer.Collection) *coffer.Collection {
	a := *c.Address
	c.Address = &a
	return &c
}

// mintCollection is collection id as the mint path needs it: from the cache
// once deployed, else read.
func (s *Service) mintCollection(ctx context.Context, id string) (*coffer.Collection, error) {
	if c, ok := s.deployed.Get(id); ok {
		return withOwnAddress(c), nil // nothing the caller does reaches the cache
	}
	c, err := s.store.Collection(ctx, id)
	if err == nil && c.Status == coffer.CollectionDeployed && c.Address != nil {
		cached := withOwnAddress(*c)
		cached.TotalMinted = 0 // moves with every mint: not part of what is cached
		s.deployed.Put(id, *cached)
	}
	return c, err
}

// New returns the NFT service.
func New(store coffer.Store, blob coffer.Blob, wallets Wallets, txm Notifier, cfg Config, log *slog.Logger) *Service {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.VoucherTTL <= 0 {
		cfg.VoucherTTL = DefaultVoucherTTL
	}
	s := &Service{store: store, blob: blob, wallets: wallets, txm: txm, cfg: cfg, log: log, abi: bindings.NewCofferNFT()}
	s.deployed.Max = maxDeployedCache
	return s
}

// CollectionRequest is the body of POST /v1/collections.
type CollectionRequest struct {
	ChainID uint64
	Name    string
	Symbol  string
	BaseURI string
	// MintMode is coffer.MintModePlatform ("" = default) or MintModeVoucher.
	MintMode string
}

// CreateCollection queues the deployment of a new collection, minted by the
// platform wallet (MINTER_ROLE): it sends the mints itself (mint mode
// "platform"), or signs a voucher for each that the recipient's own custodial
// wallet redeems (mint mode "voucher").
func (s *Service) CreateCollection(ctx context.Context, p *coffer.Principal, req CollectionRequest) (*coffer.Collection, error) {
	if !p.IsAdmin() {
		return nil, coffer.Errorf(coffer.EFORBIDDEN, "only admins may create collections")
	}
	if err := s.checkChain(req.ChainID); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(req.Name)); n == 0 || n > 100 {
		return nil, coffer.Errorf(coffer.EINVALID, "name must be 1 to 100 characters")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(req.Symbol)); n == 0 || n > 16 {
		return nil, coffer.Errorf(coffer.EINVALID, "symbol must be 1 to 16 characters")
	}
	switch req.MintMode {
	case "":
		req.MintMode = coffer.MintModePlatform
	case coffer.MintModePlatform, coffer.MintModeVoucher:
	default:
		return nil, coffer.Errorf(coffer.EINVALID, "mint_mode must be %q or %q", coffer.MintModePlatform, coffer.MintModeVoucher)
	}
	if req.BaseURI != "" {
		if err := validURI(req.BaseURI); err != nil {
			return nil, coffer.Errorf(coffer.EINVALID, "base_uri: %v", err)
		}
	}
	platform, err := s.wallets.PlatformWallet(ctx)
	if err != nil {
		return nil, err
	}
	data := append(artifacts.Bytecode(), s.abi.PackConstructor(req.Name, req.Symbol, platform.Address, platform.Address)...)
	now := time.Now().UTC()
	tx := &coffer.Transaction{
		ID: coffer.NewID("tx"), OwnerID: p.UserID, Kind: coffer.KindDeploy, ChainID: req.ChainID,
		From: platform.Address, Value: new(big.Int), Data: data, Status: coffer.TxQueued, CreatedAt: now, UpdatedAt: now,
	}
	c := &coffer.Collection{
		ID: coffer.NewID("col"), ChainID: req.ChainID, Name: req.Name, Symbol: req.Symbol, BaseURI: req.BaseURI,
		Status: coffer.CollectionPending, TxID: tx.ID, Minter: platform.Address, MintMode: req.MintMode, CreatedAt: now,
	}
	if err := s.preflight(ctx, tx); err != nil {
		return nil, err
	}
	if err := s.store.CreateCollection(ctx, c, tx); err != nil {
		return nil, err
	}
	s.txm.Notify(req.ChainID)
	s.log.Info("collection queued", "collection", c.ID, "chain_id", c.ChainID, "tx", tx.ID, "mint_mode", c.MintMode)
	return c, nil
}

func (s *Service) checkChain(id uint64) error {
	for _, c := range s.cfg.Chains {
		if c == id {
			return nil
		}
	}
	return coffer.Errorf(coffer.EINVALID, "chain_id %d is not configured on this server (have %v)", id, s.cfg.Chains)
}

// MintRequest is the body of POST /v1/collections/{id}/mint.
type MintRequest struct {
	To       *common.Address
	Metadata []byte
	// IdempotencyKey is already scoped to the principal; RequestHash is the body's hash.
	IdempotencyKey string
	RequestHash    []byte
}

// Mint stores the metadata and queues the mint. With an idempotency key
// already used for the same request it returns the original mint and false.
func (s *Service) Mint(ctx context.Context, p *coffer.Principal, collectionID string, req MintRequest) (*coffer.Mint, bool, error) {
	if p == nil {
		return nil, false, coffer.Errorf(coffer.EUNAUTHORIZED, "sign in to mint")
	}
	// A retry under the same idempotency key is answered with the mint the
	// first request stored: found by the insert's unique key, or by any
	// failure on the way (failed), whatever the request would meet now.
	// Only where working the request out again has an effect of its own (a
	// voucher signature, audited) is the key looked up first.
	c, err := s.mintCollection(ctx, collectionID)
	if err != nil {
		return s.failed(ctx, req, err)
	}
	if c.MintMode == coffer.MintModeVoucher {
		if m, err := s.replay(ctx, req); m != nil || err != nil {
			return m, false, err
		}
	}
	if c.Status != coffer.CollectionDeployed || c.Address == nil {
		return s.failed(ctx, req, coffer.Errorf(coffer.ECONFLICT, "collection %s is %s; mint once its deployment is mined", c.ID, c.Status))
	}
	doc, err := ValidateMetadata(req.Metadata, s.cfg.MaxMetadataBytes)
	if err != nil {
		return s.failed(ctx, req, err)
	}
	to, err := s.recipient(ctx, p, req.To)
	if err != nil {
		return s.failed(ctx, req, err)
	}
	key := MetadataKey(doc)
	// The metadata is stored while the node estimates the mint: they do not
	// depend on each other, and both finish before the mint is queued.
	stored := make(chan error, 1)
	go func() { stored <- s.blob.Put(ctx, key, doc, "application/json") }()
	putErr := func() error {
		if err := <-stored; err != nil {
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "metadata storage unavailable")
		}
		return nil
	}
	uri := s.cfg.PublicURL + "/" + key
	now := time.Now().UTC()
	mintID := coffer.NewID("mint")
	tx := &coffer.Transaction{
		ID: coffer.NewID("tx"), OwnerID: p.UserID, Kind: coffer.KindMint, ChainID: c.ChainID,
		From: c.Minter, To: c.Address, Value: new(big.Int), Data: s.abi.PackMint(to, uri),
		Status: coffer.TxQueued, CreatedAt: now, UpdatedAt: now,
	}
	if c.MintMode == coffer.MintModeVoucher {
		if tx.Data, err = s.voucherCall(ctx, p, c, mintID, to, uri, now); err != nil {
			putErr()
			return nil, false, err
		}
		tx.From = to // the recipient redeems the voucher: msg.sender == to
	}
	m := &coffer.Mint{
		ID: mintID, CollectionID: c.ID, OwnerID: p.UserID, To: to, TokenURI: uri, Metadata: doc,
		Status: coffer.MintQueued, TxID: tx.ID, IdempotencyKey: req.IdempotencyKey, RequestHash: req.RequestHash,
		CreatedAt: now, UpdatedAt: now,
	}
	err = s.preflight(ctx, tx)
	if perr := putErr(); perr != nil {
		return s.failed(ctx, req, perr)
	}
	if err != nil {
		return s.failed(ctx, req, err)
	}
	if err := s.store.CreateMint(ctx, m, tx); err != nil {
		return s.failed(ctx, req, err)
	}
	s.txm.Notify(c.ChainID)
	return m, true, nil
}

// VoucherNonce is the MintVoucher nonce of the mint with id mintID:
// keccak256("coffer/mint-voucher/" + mintID) as a uint256. Mint ids are
// unique (random, and the store's primary key), so nonces are unique per
// collection — contract-wide, as CofferNFT requires — without a counter to
// store or coordinate between processes; a mint retried under the same
// idempotency key is the same mint and never signs a second voucher.
func VoucherNonce(mintID string) *big.Int {
	return new(big.Int).SetBytes(crypto.Keccak256([]byte("coffer/mint-voucher/" + mintID)))
}

// voucherCall has the platform wallet (the collection's minter) sign a
// MintVoucher for to through custody — audited as typed_data, checked against
// its policies — and returns the mintWithVoucher call that to's own custodial
// wallet sends. to must be a coffer wallet: coffer signs its transactions.
func (s *Service) voucherCall(ctx context.Context, p *coffer.Principal, c *coffer.Collection, mintID string, to common.Address, uri string, now time.Time) ([]byte, error) {
	w, err := s.store.Wallet(ctx, to)
	if coffer.IsNotFound(err) {
		return nil, coffer.Errorf(coffer.EINVALID, "collection %s mints with vouchers, which the recipient redeems from its own custodial wallet; %s is not a coffer wallet", c.ID, to.Hex())
	}
	if err != nil {
		return nil, err
	}
	if w.Disabled {
		return nil, coffer.Errorf(coffer.EFORBIDDEN, "wallet %s is disabled; it cannot redeem a mint voucher", to.Hex())
	}
	v := bindings.MintVoucher{To: to, URI: uri, Nonce: VoucherNonce(mintID), Deadline: big.NewInt(now.Add(s.cfg.VoucherTTL).Unix())}
	td := v.TypedData(new(big.Int).SetUint64(c.ChainID), *c.Address, c.Name)
	// The platform signs, on behalf of the caller: the audit record names both.
	platform := &coffer.Principal{Issuer: "platform", Subject: "mint-voucher for " + p.ID(), Roles: []string{coffer.RoleAdmin}}
	sig, err := s.wallets.SignTypedData(ctx, platform, c.Minter, td)
	if err != nil {
		return nil, err
	}
	return s.abi.PackMintWithVoucher(to, uri, v.Nonce, v.Deadline, sig), nil
}

// failed answers a mint request that failed before its mint was stored:
// with the mint an earlier request under the same idempotency key stored,
// if there is one (this request is its retry, or it lost a race with it),
// else with err.
func (s *Service) failed(ctx context.Context, req MintRequest, err error) (*coffer.Mint, bool, error) {
	if prior, rerr := s.replay(ctx, req); prior != nil || rerr != nil {
		return prior, false, rerr
	}
	return nil, false, err
}

// replay returns the mint an idempotency key already created, or a conflict
// when the key was used with a different request.
func (s *Service) replay(ctx context.Context, req MintRequest) (*coffer.Mint, error) {
	if req.IdempotencyKey == "" {
		return nil, nil
	}
	m, err := s.store.MintByIdempotencyKey(ctx, req.IdempotencyKey)
	if coffer.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if string(m.RequestHash) != string(req.RequestHash) {
		return nil, coffer.Errorf(coffer.ECONFLICT, "Idempotency-Key was already used with a different request")
	}
	return m, nil
}

func (s *Service) recipient(ctx context.Context, p *coffer.Principal, to *common.Address) (common.Address, error) {
	if to == nil {
		if p.UserID == "" {
			return common.Address{}, coffer.Errorf(coffer.EINVALID, "\"to\" is required when minting with an API key")
		}
		w, err := s.wallets.UserWallet(ctx, p.UserID)
		if err != nil {
			return common.Address{}, err
		}
		return w.Address, nil
	}
	if *to == (common.Address{}) {
		return common.Address{}, coffer.Errorf(coffer.EINVALID, "\"to\" must not be the zero address")
	}
	if p.IsAdmin() || s.cfg.AllowMintToOthers {
		return *to, nil
	}
	w, err := s.store.Wallet(ctx, *to)
	if err != nil || w.OwnerID != p.UserID {
		return common.Address{}, coffer.Errorf(coffer.EFORBIDDEN, "you may only mint to your own wallets")
	}
	return *to, nil
}

// Mint returns a mint the principal may see.
func (s *Service) MintFor(ctx context.Context, p *coffer.Principal, id string) (*coffer.Mint, error) {
	m, err := s.store.Mint(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && (p == nil || p.UserID == "" || m.OwnerID != p.UserID) {
		return nil, coffer.Errorf(coffer.ENOTFOUND, "mint %s not found", id)
	}
	return m, nil
}

// OnTransactions is the transaction manager's hook that moves collections
// along as their deployments change. Mints need no hook: the store moves a
// mint with its transaction, and MintedToken tells it the token.
func (s *Service) OnTransactions(ctx context.Context, txs []*coffer.Transaction) {
	for _, tx := range txs {
		if tx.Kind == coffer.KindDeploy {
			s.onDeploy(ctx, tx)
		}
	}
}

// MintedToken is the transaction manager's annotator for receipts: a mint's
// receipt names the token it minted, recorded with the transaction's change.
func MintedToken(tx *coffer.Transaction, r *types.Receipt, u *coffer.TxUpdate) {
	if tx.Kind != coffer.KindMint || tx.To == nil || r == nil {
		return
	}
	if to, ok := mintRecipient(tx.Data); ok {
		u.TokenID = mintedTokenID(r, *tx.To, to)
	}
}

// mintSelectors are the collection's mint functions, from its ABI; both
// take the recipient first: mint(address to, string uri) and
// mintWithVoucher(address to, string uri, uint256, uint256, bytes).
var mintSelectors = func() [][4]byte {
	m := bindings.NewCofferNFT().GetABI().Methods
	return [][4]byte{[4]byte(m["mint"].ID), [4]byte(m["mintWithVoucher"].ID)}
}()

// mintRecipient is the recipient a mint call's data names.
func mintRecipient(data []byte) (common.Address, bool) {
	if len(data) < 4+32 || !slices.Contains(mintSelectors, [4]byte(data[:4])) {
		return common.Address{}, false
	}
	word := data[4 : 4+32]
	for _, b := range word[:12] {
		if b != 0 {
			return common.Address{}, false // not an ABI-encoded address
		}
	}
	return common.BytesToAddress(word[12:]), true
}

func (s *Service) onDeploy(ctx context.Context, tx *coffer.Transaction) {
	c, err := s.store.CollectionByTx(ctx, tx.ID)
	if err != nil {
		s.log.Error("nft: collection of deployment", "tx", tx.ID, "err", err)
		return
	}
	switch tx.Status {
	case coffer.TxMined, coffer.TxConfirmed:
		if c.Status != coffer.CollectionDeployed && tx.ContractAddress != nil {
			err = s.store.UpdateCollection(ctx, c.ID, coffer.CollectionDeployed, tx.ContractAddress)
			s.log.Info("collection deployed", "collection", c.ID, "address", tx.ContractAddress)
		}
	case coffer.TxFailed:
		err = s.store.UpdateCollection(ctx, c.ID, coffer.CollectionFailed, nil)
	}
	if err != nil {
		s.log.Error("nft: update collection", "collection", c.ID, "err", err)
	}
}

// transferTopic is keccak256("Transfer(address,address,uint256)").
var transferTopic = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")

// mintedTokenID finds the Transfer from the zero address to `to` that the
// collection emitted in the receipt.
func mintedTokenID(r *types.Receipt, contract, to common.Address) *big.Int {
	for _, l := range r.Logs {
		if l.Address == contract && len(l.Topics) == 4 && l.Topics[0] == transferTopic &&
			l.Topics[1] == (common.Hash{}) && common.BytesToAddress(l.Topics[2].Bytes()) == to {
			return new(big.Int).SetBytes(l.Topics[3].Bytes())
		}
	}
	return nil
}

// TransferTopic is exported for the indexer.
func TransferTopic() common.Hash { return transferTopic }
