package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/ethsign"
	"github.com/cofferhq/coffer/nft"
)

// --- operations ---

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if err := s.Store.Ping(ctx); err != nil {
		checks["store"], ok = err.Error(), false
	} else {
		checks["store"] = "ok"
	}
	for _, id := range s.cfg.Chains {
		name := "chain_" + strconv.FormatUint(id, 10)
		c := s.Txm.Client(id)
		if c == nil {
			checks[name], ok = "not configured", false
			continue
		}
		if _, err := c.HeadNumber(ctx); err != nil {
			checks[name], ok = "unreachable", false
		} else {
			checks[name] = "ok"
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ok, "checks": checks})
	return nil
}

// --- auth ---

func (s *Server) siweNonce(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Auth.NewNonce(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) siweVerify(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Message   string `json:"message"`
		Signature string `json:"signature"`
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	if req.Message == "" {
		return coffer.Errorf(coffer.EINVALID, "message is required: the EIP-4361 text that was signed")
	}
	sig, err := hexutil.Decode(req.Signature)
	if err != nil || len(sig) != 65 {
		return coffer.Errorf(coffer.EINVALID, "signature must be 65 bytes of 0x-prefixed hex")
	}
	t, err := s.Auth.SignIn(r.Context(), req.Message, sig)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokensView(t.AccessToken, t.TokenType, t.ExpiresIn, t.RefreshToken, t.User))
	return nil
}

func tokensView(access, typ string, expires int64, refresh string, u *coffer.User) map[string]any {
	out := map[string]any{"access_token": access, "token_type": typ, "expires_in": expires, "refresh_token": refresh}
	if u != nil {
		user := map[string]any{"id": u.ID}
		if u.Address != nil {
			user["address"] = u.Address.Hex()
		}
		out["user"] = user
	}
	return out
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return coffer.Errorf(coffer.EINVALID, "refresh_token is required")
	}
	t, err := s.Auth.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokensView(t.AccessToken, t.TokenType, t.ExpiresIn, t.RefreshToken, t.User))
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	if err := s.Auth.Logout(r.Context(), p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(s.Auth.JWKS())
	return err
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	out := map[string]any{"id": p.UserID, "issuer": p.Issuer, "subject": p.Subject, "roles": p.Roles, "wallets": []walletView{}}
	if p.Address != nil {
		out["address"] = p.Address.Hex()
	}
	if p.UserID != "" {
		ws, _, err := s.Store.Wallets(r.Context(), p.UserID, 500, "")
		if err != nil {
			return err
		}
		views := make([]walletView, len(ws))
		for i, w := range ws {
			views[i] = viewWallet(w)
		}
		out["wallets"] = views
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- wallets and signing ---

func parseAddress(field, s string) (common.Address, error) {
	if !common.IsHexAddress(s) || !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return common.Address{}, coffer.Errorf(coffer.EINVALID, "%s %q is not an address (0x followed by 40 hex digits)", field, s)
	}
	if a, ok := checksummed.Load(s); ok {
		return a.(common.Address), nil
	}
	a := common.HexToAddress(s)
	// Mixed case must be a valid EIP-55 checksum: a typo should not send funds elsewhere.
	if hex := s[2:]; hex != strings.ToLower(hex) && hex != strings.ToUpper(hex) {
		if a.Hex() != s {
			return common.Address{}, coffer.Errorf(coffer.EINVALID, "%s %q has an invalid EIP-55 checksum", field, s)
		}
		if checksummedCount.Add(1) <= maxChecksummed {
			checksummed.Store(strings.Clone(s), a)
		}
	}
	return a, nil
}

// checksummed remembers mixed-case addresses whose EIP-55 checksum was
// right (a keccak and three allocations each time otherwise: signing
// endpoints get the wallet's checksummed address in every path), up to
// maxChecksummed of them; the check is a pure function of the string.
var (
	checksummed      sync.Map // string → common.Address
	checksummedCount atomic.Int64
)

const maxChecksummed = 1 << 12

func (s *Server) pathWallet(r *http.Request) (*coffer.Principal, *coffer.Wallet, error) {
	p, err := principal(r.Context())
	if err != nil {
		return nil, nil, err
	}
	addr, err := parseAddress("wallet address", r.PathValue("address"))
	if err != nil {
		return nil, nil, err
	}
	wal, err := s.Custody.Wallet(r.Context(), p, addr)
	return p, wal, err
}

// pathAddress is pathWallet without reading the wallet: for the signing
// endpoints, whose custodian reads it (and checks that p may use it) once.
func pathAddress(r *http.Request) (*coffer.Principal, common.Address, error) {
	p, err := principal(r.Context())
	if err != nil {
		return nil, common.Address{}, err
	}
	addr, err := parseAddress("wallet address", r.PathValue("address"))
	return p, addr, err
}

func (s *Server) createWallet(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	var req struct {
		Owner   string `json:"owner"`
		Backend string `json:"backend"`
		Label   string `json:"label"`
	}
	if r.ContentLength != 0 {
		if _, err := s.decode(r, &req); err != nil {
			return err
		}
	}
	owner := p.UserID
	if req.Owner != "" && req.Owner != p.UserID {
		if !p.IsAdmin() {
			return coffer.Errorf(coffer.EFORBIDDEN, "only admins may create wallets for another user")
		}
		if _, err := s.Store.User(r.Context(), req.Owner); err != nil {
			return coffer.Errorf(coffer.EINVALID, "owner %q is not a known user", req.Owner)
		}
		owner = req.Owner
	}
	if owner == "" {
		return coffer.Errorf(coffer.EINVALID, "owner is required when creating a wallet with an API key")
	}
	if len(req.Label) > 100 || req.Label == "platform" {
		return coffer.Errorf(coffer.EINVALID, "label must be at most 100 characters and not \"platform\"")
	}
	wal, err := s.Custody.CreateWallet(r.Context(), owner, req.Backend, req.Label)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewWallet(wal))
	return nil
}

func (s *Server) listWallets(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	owner := p.UserID
	if p.IsAdmin() {
		owner = r.URL.Query().Get("owner")
	} else if owner == "" {
		return coffer.Errorf(coffer.EFORBIDDEN, "no user behind this token")
	}
	ws, next, err := s.Store.Wallets(r.Context(), owner, limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	out := page[walletView]{Items: make([]walletView, len(ws)), NextCursor: next}
	for i, wal := range ws {
		out.Items[i] = viewWallet(wal)
		if err := s.addBalance(r, &out.Items[i]); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getWallet(w http.ResponseWriter, r *http.Request) error {
	_, wal, err := s.pathWallet(r)
	if err != nil {
		return err
	}
	v := viewWallet(wal)
	if err := s.addBalance(r, &v); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// addBalance fills balance_wei when ?chain_id= asks for it.
func (s *Server) addBalance(r *http.Request, v *walletView) error {
	q := r.URL.Query().Get("chain_id")
	if q == "" {
		return nil
	}
	id, err := s.chainParam(q)
	if err != nil {
		return err
	}
	bal, err := s.Txm.Client(id).Balance(r.Context(), common.Address(v.Address))
	if err != nil {
		return coffer.WrapError(coffer.EUNAVAILABLE, err, "chain %d node unavailable", id)
	}
	v.BalanceWei = map[string]string{strconv.FormatUint(id, 10): bal.String()}
	return nil
}

func (s *Server) chainParam(q string) (uint64, error) {
	id, err := strconv.ParseUint(q, 10, 64)
	if err != nil {
		return 0, coffer.Errorf(coffer.EINVALID, "chain_id must be a decimal number")
	}
	if s.Txm.Client(id) == nil {
		return 0, coffer.Errorf(coffer.EINVALID, "chain_id %d is not configured on this server (have %v)", id, s.cfg.Chains)
	}
	return id, nil
}

func (s *Server) signMessage(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Message    *string `json:"message"`
		MessageHex *string `json:"message_hex"`
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	var msg []byte
	switch {
	case req.Message != nil && req.MessageHex != nil:
		return coffer.Errorf(coffer.EINVALID, "send either message or message_hex, not both")
	case req.Message != nil:
		msg = []byte(*req.Message)
	case req.MessageHex != nil:
		b, err := hexutil.Decode(*req.MessageHex)
		if err != nil {
			return coffer.Errorf(coffer.EINVALID, "message_hex must be 0x-prefixed hex: %v", err)
		}
		msg = b
	default:
		return coffer.Errorf(coffer.EINVALID, "message or message_hex is required")
	}
	p, addr, err := pathAddress(r)
	if err != nil {
		return err
	}
	sig, err := s.Custody.SignMessage(r.Context(), p, addr, msg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"signature": hexutil.Encode(sig)})
	return nil
}

func (s *Server) signTypedData(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		TypedData json.RawMessage `json:"typed_data"`
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	if len(req.TypedData) == 0 {
		return coffer.Errorf(coffer.EINVALID, "typed_data is required: {types, primaryType, domain, message}")
	}
	td, err := ethsign.ParseTypedData(req.TypedData)
	if err != nil {
		return err
	}
	p, addr, err := pathAddress(r)
	if err != nil {
		return err
	}
	sig, err := s.Custody.SignTypedData(r.Context(), p, addr, td)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"signature": hexutil.Encode(sig)})
	return nil
}

// hashSignature is sign-hash's answer (a struct: no map to build and sort).
type hashSignature struct {
	Signature string `json:"signature"`
	R         string `json:"r"`
	S         string `json:"s"`
	V         int    `json:"v"`
}

func (s *Server) signHash(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Hash       *string `json:"hash"`
		HashBase64 *string `json:"hash_base64"`
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	var digest []byte
	var err error
	switch {
	case req.Hash != nil && req.HashBase64 != nil:
		return coffer.Errorf(coffer.EINVALID, "send either hash or hash_base64, not both")
	case req.Hash != nil:
		digest, err = hexutil.Decode(*req.Hash)
	case req.HashBase64 != nil:
		digest, err = base64.StdEncoding.DecodeString(*req.HashBase64)
	default:
		return coffer.Errorf(coffer.EINVALID, "hash (0x hex) or hash_base64 is required")
	}
	if err != nil || len(digest) != 32 {
		return coffer.Errorf(coffer.EINVALID, "the digest must be exactly 32 bytes")
	}
	p, addr, err := pathAddress(r)
	if err != nil {
		return err
	}
	sig, err := s.Custody.SignHash(r.Context(), p, addr, [32]byte(digest), s.cfg.AllowUserSignHash)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hashSignature{
		Signature: hexutil.Encode(sig), R: hexutil.Encode(sig[:32]), S: hexutil.Encode(sig[32:64]), V: int(sig[64]),
	})
	return nil
}

// decimal parses an optional decimal quantity field.
func decimal(field string, s *string) (*big.Int, error) {
	if s == nil {
		return nil, nil
	}
	v, ok := new(big.Int).SetString(*s, 10)
	if !ok || v.Sign() < 0 || v.BitLen() > 256 {
		return nil, coffer.Errorf(coffer.EINVALID, "%s must be a non-negative decimal string below 2^256", field)
	}
	return v, nil
}

func (s *Server) signTransaction(w http.ResponseWriter, r *http.Request) error {
	body, err := s.decode(r, new(json.RawMessage))
	if err != nil {
		return err
	}
	req, err := decodeTxRequest(body)
	if err != nil {
		return err
	}
	chainID, err := s.chainParam(strconv.FormatUint(req.ChainID, 10))
	if err != nil {
		return err
	}
	to, value, data, gasPrice, feeCap, tipCap := req.To, req.Value, req.Data, req.GasPrice, req.FeeCap, req.TipCap
	p, wal, err := s.pathWallet(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	client := s.Txm.Client(chainID)
	unavailable := func(err error) error {
		return coffer.WrapError(coffer.EUNAVAILABLE, err, "chain %d node unavailable", chainID)
	}
	// Fill what was omitted from the chain.
	nonce := uint64(0)
	if req.Nonce != nil {
		nonce = *req.Nonce
	} else if nonce, err = client.PendingNonce(ctx, wal.Address); err != nil {
		return unavailable(err)
	}
	gas := uint64(0)
	if req.Gas != nil {
		gas = *req.Gas
	} else {
		g, err := client.EstimateGas(ctx, callMsg(wal.Address, to, value, data))
		if err != nil {
			if rev := asRevert(err); rev != "" {
				return coffer.Errorf(coffer.EINVALID, "the transaction would revert: %s", rev)
			}
			return unavailable(err)
		}
		gas = g
	}
	var inner types.TxData
	if req.Type == "legacy" {
		if gasPrice == nil {
			f, err := client.SuggestFees(ctx)
			if err != nil {
				return unavailable(err)
			}
			gasPrice = f.GasPrice
			if gasPrice == nil {
				gasPrice = f.FeeCap
			}
		}
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: gasPrice, Gas: gas, To: to, Value: value, Data: data}
	} else {
		if feeCap == nil || tipCap == nil {
			f, err := client.SuggestFees(ctx)
			if err != nil {
				return unavailable(err)
			}
			if f.FeeCap == nil {
				return coffer.Errorf(coffer.EINVALID, "chain %d has no EIP-1559 fees; use type legacy", chainID)
			}
			if feeCap == nil {
				feeCap = f.FeeCap
			}
			if tipCap == nil {
				tipCap = f.TipCap
			}
		}
		if tipCap.Cmp(feeCap) > 0 {
			return coffer.Errorf(coffer.EINVALID, "max_priority_fee_per_gas is above max_fee_per_gas")
		}
		inner = &types.DynamicFeeTx{ChainID: new(big.Int).SetUint64(chainID), Nonce: nonce, GasTipCap: tipCap, GasFeeCap: feeCap, Gas: gas, To: to, Value: value, Data: data}
	}
	signed, err := s.Custody.SignTransaction(ctx, p, wal.Address, types.NewTx(inner), new(big.Int).SetUint64(chainID))
	if err != nil {
		return err
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"raw": hexutil.Encode(raw), "hash": signed.Hash().Hex()})
	return nil
}

// --- managed transactions ---

func (s *Server) createTransaction(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	var req struct {
		ChainID uint64  `json:"chain_id"`
		From    string  `json:"from"`
		To      *string `json:"to"`
		Value   *string `json:"value"`
		Data    *string `json:"data"`
	}
	body, err := s.decode(r, &req)
	if err != nil {
		return err
	}
	chainID, err := s.chainParam(strconv.FormatUint(req.ChainID, 10))
	if err != nil {
		return err
	}
	from, err := parseAddress("from", req.From)
	if err != nil {
		return err
	}
	if req.To == nil {
		return coffer.Errorf(coffer.EINVALID, "to is required (contract creation goes through POST /v1/collections)")
	}
	to, err := parseAddress("to", *req.To)
	if err != nil {
		return err
	}
	value, err := decimal("value", req.Value)
	if err != nil {
		return err
	}
	var data []byte
	if req.Data != nil {
		if data, err = hexutil.Decode(*req.Data); err != nil {
			return coffer.Errorf(coffer.EINVALID, "data must be 0x-prefixed hex")
		}
	}
	key, err := idempotencyKey(r, p)
	if err != nil {
		return err
	}
	hash := requestHash(r.Method, r.URL.Path, body)
	if key != "" {
		if prior, err := s.Store.TransactionByIdempotencyKey(r.Context(), key); err == nil {
			if string(prior.RequestHash) != string(hash) {
				return coffer.Errorf(coffer.ECONFLICT, "Idempotency-Key was already used with a different request")
			}
			writeJSON(w, http.StatusAccepted, map[string]string{"id": prior.ID, "status": prior.Status})
			return nil
		} else if !coffer.IsNotFound(err) {
			return err
		}
	}
	wal, err := s.Custody.Wallet(r.Context(), p, from)
	if err != nil {
		return err
	}
	if wal.Disabled {
		return coffer.Errorf(coffer.EFORBIDDEN, "wallet %s is disabled", wal.Address.Hex())
	}
	if value == nil {
		value = new(big.Int)
	}
	if err := s.checkTransactionPolicy(r.Context(), p, from, chainID, &to, value); err != nil {
		return err
	}
	// Spend nothing on a transaction that would revert.
	if _, err := s.Txm.Client(chainID).EstimateGas(r.Context(), callMsg(from, &to, value, data)); err != nil {
		if rev := asRevert(err); rev != "" {
			return coffer.Errorf(coffer.EINVALID, "the transaction would revert: %s", rev)
		}
		return coffer.WrapError(coffer.EUNAVAILABLE, err, "chain %d node unavailable", chainID)
	}
	now := time.Now().UTC()
	tx := &coffer.Transaction{ID: coffer.NewID("tx"), OwnerID: p.UserID, Kind: coffer.KindTransfer, ChainID: chainID, From: from, To: &to,
		Value: value, Data: data, Status: coffer.TxQueued, IdempotencyKey: key, RequestHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateTransaction(r.Context(), tx); err != nil {
		if coffer.ErrorCode(err) == coffer.ECONFLICT && key != "" {
			if prior, perr := s.Store.TransactionByIdempotencyKey(r.Context(), key); perr == nil && string(prior.RequestHash) == string(hash) {
				writeJSON(w, http.StatusAccepted, map[string]string{"id": prior.ID, "status": prior.Status})
				return nil
			}
		}
		return err
	}
	s.Txm.Notify(chainID)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": tx.ID, "status": tx.Status})
	return nil
}

func (s *Server) txFor(r *http.Request, id string) (*coffer.Transaction, error) {
	p, err := principal(r.Context())
	if err != nil {
		return nil, err
	}
	tx, err := s.Store.Transaction(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && (p.UserID == "" || tx.OwnerID != p.UserID) {
		return nil, coffer.Errorf(coffer.ENOTFOUND, "transaction %s not found", id)
	}
	return tx, nil
}

func (s *Server) head(ctx context.Context, chainID uint64) uint64 {
	if c := s.Txm.Client(chainID); c != nil {
		if n, err := c.HeadNumber(ctx); err == nil {
			return n
		}
	}
	return 0
}

func (s *Server) getTransaction(w http.ResponseWriter, r *http.Request) error {
	tx, err := s.txFor(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewTx(tx, s.head(r.Context(), tx.ChainID)))
	return nil
}

func (s *Server) listTransactions(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := coffer.TxFilter{Status: q.Get("status"), Kind: q.Get("kind"), Limit: limit, Cursor: q.Get("cursor")}
	if f.Status != "" && !validTxStatus(f.Status) {
		return coffer.Errorf(coffer.EINVALID, "status must be one of queued, pending, mined, confirmed, failed, cancelled")
	}
	if from := q.Get("from"); from != "" {
		a, err := parseAddress("from", from)
		if err != nil {
			return err
		}
		f.From = &a
	}
	if !p.IsAdmin() {
		if p.UserID == "" {
			return coffer.Errorf(coffer.EFORBIDDEN, "no user behind this token")
		}
		f.OwnerID = p.UserID
	}
	txs, next, err := s.Store.Transactions(r.Context(), f)
	if err != nil {
		return err
	}
	heads := map[uint64]uint64{}
	out := page[txView]{Items: make([]txView, len(txs)), NextCursor: next}
	for i, tx := range txs {
		h, ok := heads[tx.ChainID]
		if !ok {
			h = s.head(r.Context(), tx.ChainID)
			heads[tx.ChainID] = h
		}
		out.Items[i] = viewTx(tx, h)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// submitRawTransaction: POST /v1/transactions/raw. The rules (decoding,
// supported types, chain id, sender recovery, no coffer custodial sender) are
// txm.Manager.SubmitRaw's. The same bytes again answer with the stored
// transaction.
func (s *Server) submitRawTransaction(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	var req struct {
		Raw string `json:"raw"`
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	raw, err := hexutil.Decode(req.Raw)
	if err != nil {
		return coffer.Errorf(coffer.EINVALID, "raw must be the 0x-prefixed hex of a signed transaction")
	}
	tx, _, err := s.Txm.SubmitRaw(r.Context(), p.UserID, raw)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": tx.ID, "hash": tx.Hash, "status": tx.Status})
	return nil
}

// cancelTransaction: POST /v1/transactions/{id}/cancel. 200 with the
// cancelled transaction when it was still queued; 202 while the 0-value
// replacement races the original (GET shows which was mined); 409 once the
// transaction is mined or failed.
func (s *Server) cancelTransaction(w http.ResponseWriter, r *http.Request) error {
	tx, err := s.txFor(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	tx, err = s.Txm.Cancel(r.Context(), tx.ID)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if tx.Status == coffer.TxCancelled {
		status = http.StatusOK
	}
	writeJSON(w, status, viewTx(tx, s.head(r.Context(), tx.ChainID)))
	return nil
}

func validTxStatus(s string) bool {
	switch s {
	case coffer.TxQueued, coffer.TxPending, coffer.TxMined, coffer.TxConfirmed, coffer.TxFailed, coffer.TxCancelled:
		return true
	}
	return false
}

// --- NFTs ---

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) error {
	p, err := admin(r.Context())
	if err != nil {
		return err
	}
	var req struct {
		ChainID  uint64 `json:"chain_id"`
		Name     string `json:"name"`
		Symbol   string `json:"symbol"`
		BaseURI  string `json:"base_uri"`
		MintMode string `json:"mint_mode"` // "platform" (default) or "voucher"
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	c, err := s.NFT.CreateCollection(r.Context(), p, nft.CollectionRequest{ChainID: req.ChainID, Name: req.Name, Symbol: req.Symbol, BaseURI: req.BaseURI,
		MintMode: req.MintMode})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, viewCollection(c))
	return nil
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	cs, next, err := s.Store.Collections(r.Context(), limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	out := page[collectionView]{Items: make([]collectionView, len(cs)), NextCursor: next}
	for i, c := range cs {
		out.Items[i] = viewCollection(c)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Store.Collection(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCollection(c))
	return nil
}

func (s *Server) mint(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	var req struct {
		To       *string         `json:"to"`
		Metadata json.RawMessage `json:"metadata"`
	}
	body, err := s.decode(r, &req)
	if err != nil {
		return err
	}
	mr := nft.MintRequest{Metadata: req.Metadata, RequestHash: requestHash(r.Method, r.URL.Path, body)}
	if req.To != nil {
		a, err := parseAddress("to", *req.To)
		if err != nil {
			return err
		}
		mr.To = &a
	}
	if mr.IdempotencyKey, err = idempotencyKey(r, p); err != nil {
		return err
	}
	m, _, err := s.NFT.Mint(r.Context(), p, r.PathValue("id"), mr)
	if err != nil {
		return err
	}
	v := viewMint(m)
	v.Metadata = nil
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

func (s *Server) getMint(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	m, err := s.NFT.MintFor(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewMint(m))
	return nil
}

// listMints: GET /v1/mints. A user lists their own mints (an owner parameter
// is ignored); an admin lists all, or one user's with ?owner=. Items leave the
// metadata out (it can be large): GET /v1/mints/{id} has it.
func (s *Server) listMints(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := coffer.MintFilter{CollectionID: q.Get("collection_id"), Status: q.Get("status"), Limit: limit, Cursor: q.Get("cursor")}
	if f.Status != "" && !validMintStatus(f.Status) {
		return coffer.Errorf(coffer.EINVALID, "status must be one of queued, pending, mined, confirmed, failed")
	}
	if p.IsAdmin() {
		f.OwnerID = q.Get("owner")
	} else {
		if p.UserID == "" {
			return coffer.Errorf(coffer.EFORBIDDEN, "no user behind this token")
		}
		f.OwnerID = p.UserID
	}
	ms, next, err := s.Store.Mints(r.Context(), f)
	if err != nil {
		return err
	}
	out := page[mintView]{Items: make([]mintView, len(ms)), NextCursor: next}
	for i, m := range ms {
		out.Items[i] = viewMint(m)
		out.Items[i].Metadata = nil
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func validMintStatus(s string) bool {
	switch s {
	case coffer.MintQueued, coffer.MintPending, coffer.MintMined, coffer.MintConfirmed, coffer.MintFailed:
		return true
	}
	return false
}

var mediaTypes = map[string]string{"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg", "video/mp4": "mp4", "audio/mpeg": "mp3"}

func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request) error {
	if _, err := principal(r.Context()); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+64<<10)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return coffer.Errorf(coffer.EINVALID, "upload media as multipart/form-data with a \"file\" part")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return coffer.Errorf(coffer.EINVALID, "bad multipart body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return coffer.Errorf(coffer.EINVALID, "no \"file\" part in the upload")
		}
		if err != nil {
			return tooLargeOr(err, s.cfg.MaxUploadBytes, "bad multipart body")
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, s.cfg.MaxUploadBytes+1))
		if err != nil {
			return tooLargeOr(err, s.cfg.MaxUploadBytes, "could not read the file")
		}
		if int64(len(data)) > s.cfg.MaxUploadBytes {
			return coffer.Errorf(coffer.ETOOLARGE, "file is larger than %d bytes", s.cfg.MaxUploadBytes)
		}
		ct := http.DetectContentType(data)
		if strings.HasPrefix(ct, "text/xml") || strings.HasPrefix(ct, "text/plain") {
			// SVG is text to the sniffer: trusted only when declared so (any
			// parameters, e.g. a charset, aside) and an <svg element is there.
			if declared, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); declared == "image/svg+xml" && strings.Contains(string(data[:min(len(data), 1024)]), "<svg") {
				ct = "image/svg+xml"
			}
		}
		ct, _, _ = mime.ParseMediaType(ct)
		ext, ok := mediaTypes[ct]
		if !ok {
			return coffer.Errorf(coffer.EINVALID, "media type %s is not allowed (png, jpeg, gif, webp, svg, mp4, mp3)", ct)
		}
		sum := sha256.Sum256(data)
		key := "media/" + hex.EncodeToString(sum[:]) + "." + ext
		if err := s.Blob.Put(r.Context(), key, data, ct); err != nil {
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "media storage unavailable")
		}
		writeJSON(w, http.StatusCreated, map[string]string{"uri": strings.TrimRight(s.cfg.PublicURL, "/") + "/" + key, "sha256": "0x" + hex.EncodeToString(sum[:]), "content_type": ct})
		return nil
	}
}

func tooLargeOr(err error, limit int64, msg string) error {
	if strings.Contains(err.Error(), "request body too large") {
		return coffer.Errorf(coffer.ETOOLARGE, "upload is larger than %d bytes", limit)
	}
	return coffer.Errorf(coffer.EINVALID, "%s: %v", msg, err)
}

func (s *Server) getMetadata(w http.ResponseWriter, r *http.Request) error {
	key := strings.TrimPrefix(r.URL.Path, "/")
	data, ct, err := s.Blob.Get(r.Context(), key)
	if err != nil {
		if coffer.ErrorCode(err) == coffer.EINVALID {
			return coffer.Errorf(coffer.ENOTFOUND, "%s not found", r.URL.Path)
		}
		return err
	}
	w.Header().Set("Content-Type", ct)
	// Content-addressed: the bytes under a key never change.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if ct == "image/svg+xml" {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	}
	_, err = w.Write(data)
	return err
}

func (s *Server) tokenView(ctx context.Context, t *coffer.Token) tokenView {
	v := tokenView{ChainID: t.ChainID, Contract: address(t.Contract), TokenID: t.TokenID.String(), Owner: address(t.Owner), TokenURI: t.TokenURI,
		MintTransaction: t.MintTxHash, BlockNumber: t.BlockNumber, UpdatedAt: t.UpdatedAt}
	// Metadata that coffer hosts is served from the blob store directly.
	base := strings.TrimRight(s.cfg.PublicURL, "/") + "/"
	if key, ok := strings.CutPrefix(t.TokenURI, base); ok {
		if data, _, err := s.Blob.Get(ctx, key); err == nil && json.Valid(data) {
			v.Metadata = data
		}
	}
	return v
}

func (s *Server) listNFTs(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := coffer.TokenFilter{CollectionID: q.Get("collection_id"), Limit: limit, Cursor: q.Get("cursor")}
	if o := q.Get("owner"); o != "" {
		a, err := parseAddress("owner", o)
		if err != nil {
			return err
		}
		f.Owner = &a
	}
	if c := q.Get("contract"); c != "" {
		a, err := parseAddress("contract", c)
		if err != nil {
			return err
		}
		f.Contract = &a
	}
	if c := q.Get("chain_id"); c != "" {
		if f.ChainID, err = strconv.ParseUint(c, 10, 64); err != nil {
			return coffer.Errorf(coffer.EINVALID, "chain_id must be a decimal number")
		}
	}
	ts, next, err := s.Store.Tokens(r.Context(), f)
	if err != nil {
		return err
	}
	out := page[tokenView]{Items: make([]tokenView, len(ts)), NextCursor: next}
	for i, t := range ts {
		out.Items[i] = s.tokenView(r.Context(), t)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getNFT(w http.ResponseWriter, r *http.Request) error {
	chainID, err := strconv.ParseUint(r.PathValue("chain_id"), 10, 64)
	if err != nil {
		return coffer.Errorf(coffer.EINVALID, "chain_id must be a decimal number")
	}
	contract, err := parseAddress("contract", r.PathValue("contract"))
	if err != nil {
		return err
	}
	id, ok := new(big.Int).SetString(r.PathValue("token_id"), 10)
	if !ok || id.Sign() < 0 || id.BitLen() > 256 {
		return coffer.Errorf(coffer.EINVALID, "token_id must be a decimal number below 2^256")
	}
	t, err := s.Store.Token(r.Context(), chainID, contract, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.tokenView(r.Context(), t))
	return nil
}

// --- audit ---

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	if _, err := admin(r.Context()); err != nil {
		return err
	}
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := coffer.AuditFilter{Principal: q.Get("principal"), Kind: q.Get("kind"), Outcome: q.Get("outcome"), Limit: limit, Cursor: q.Get("cursor")}
	switch f.Outcome {
	case "", "allowed", "refused", "error":
	default:
		return coffer.Errorf(coffer.EINVALID, "outcome must be allowed, refused or error")
	}
	if wa := q.Get("wallet"); wa != "" {
		a, err := parseAddress("wallet", wa)
		if err != nil {
			return err
		}
		f.Wallet = &a
	}
	if since := q.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return coffer.Errorf(coffer.EINVALID, "since must be an RFC 3339 time")
		}
		f.Since = &t
	}
	if until := q.Get("until"); until != "" {
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return coffer.Errorf(coffer.EINVALID, "until must be an RFC 3339 time")
		}
		f.Until = &t
	}
	recs, next, err := s.Store.AuditRecords(r.Context(), f)
	if err != nil {
		return err
	}
	type recView struct {
		Seq       int64       `json:"seq"`
		Time      time.Time   `json:"time"`
		Principal string      `json:"principal"`
		Wallet    address     `json:"wallet"`
		Kind      string      `json:"kind"`
		Digest    common.Hash `json:"digest"`
		ChainID   uint64      `json:"chain_id,omitempty"`
		To        *address    `json:"to,omitempty"`
		Value     *string     `json:"value,omitempty"`
		RequestID string      `json:"request_id"`
		Outcome   string      `json:"outcome"`
		Hash      string      `json:"hash"`
	}
	out := page[recView]{Items: make([]recView, len(recs)), NextCursor: next}
	for i, a := range recs {
		out.Items[i] = recView{Seq: a.Seq, Time: a.Time, Principal: a.Principal, Wallet: address(a.Wallet), Kind: a.Kind, Digest: a.Digest,
			ChainID: a.ChainID, To: (*address)(a.To), Value: bigStr(a.Value), RequestID: a.RequestID, Outcome: a.Outcome, Hash: hexutil.Encode(a.Hash)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
