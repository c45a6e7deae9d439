// Package signer runs custody — key backends, ownership checks, policies and
// the audit log — in a separate `coffer signer` process, and gives the API
// process a client with the same methods (custody.Custodian), so that the
// process facing the internet holds no key material: the role of the Nitro
// Enclave signing module in the AWS reference architecture.
//
// The wire protocol is HTTP/1.1 with small JSON bodies, one POST per method
// under /signer/v1/, over a Unix socket (mode 0600) or TCP with mutual TLS.
// Every request names the principal the API authenticated and its request id,
// so the signer's audit records name the real caller; the signer checks
// ownership and policies itself. Transactions travel as their binary (typed
// envelope or RLP) encoding, typed data as its EIP-712 JSON, and errors as
// {code, message} so that a refusal keeps its meaning (a policy refusal is
// still a 403 at the API).
package signer

import (
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/cofferhq/coffer"
)

// Version is the wire schema version, part of every path.
const Version = "v1"

// Paths of the operations.
const (
	pathPrefix          = "/signer/" + Version + "/"
	opWallet            = "wallet"
	opCreateWallet      = "create-wallet"
	opUserWallet        = "user-wallet"
	opPlatformWallet    = "platform-wallet"
	opSignTx            = "sign-tx"
	opSignTransaction   = "sign-transaction"
	opSignMessage       = "sign-message"
	opSignTypedData     = "sign-typed-data"
	opSignHash          = "sign-hash"
	opSetWalletDisabled = "set-wallet-disabled"
	opWalletPolicy      = "wallet-policy"
	opSetWalletPolicy   = "set-wallet-policy"
	opExportKey         = "export-key"
	opCheckTransaction  = "check-transaction"
	opHealth            = "health"
	maxRequestBodyBytes = 1 << 20
)

// principal is coffer.Principal on the wire; null is a guest.
type principal struct {
	UserID    string          `json:"user_id,omitempty"`
	Issuer    string          `json:"issuer,omitempty"`
	Subject   string          `json:"subject,omitempty"`
	Roles     []string        `json:"roles,omitempty"`
	SessionID string          `json:"session_id,omitempty"`
	Address   *common.Address `json:"address,omitempty"`
}

func toWirePrincipal(p *coffer.Principal) *principal {
	if p == nil {
		return nil
	}
	return &principal{UserID: p.UserID, Issuer: p.Issuer, Subject: p.Subject, Roles: p.Roles, SessionID: p.SessionID, Address: p.Address}
}

func (p *principal) domain() *coffer.Principal {
	if p == nil {
		return nil
	}
	return &coffer.Principal{UserID: p.UserID, Issuer: p.Issuer, Subject: p.Subject, Roles: p.Roles, SessionID: p.SessionID, Address: p.Address}
}

// request is the body of every operation; each uses the fields it names in
// its documentation and the server rejects unknown ones.
type request struct {
	Principal *principal `json:"principal"`
	RequestID string     `json:"request_id,omitempty"`

	Address *common.Address `json:"address,omitempty"` // wallet, sign-*
	OwnerID string          `json:"owner_id,omitempty"`
	Backend string          `json:"backend,omitempty"`
	Label   string          `json:"label,omitempty"`
	UserID  string          `json:"user_id,omitempty"`

	Tx          hexutil.Bytes   `json:"tx,omitempty"`       // unsigned transaction, binary encoding
	ChainID     *hexutil.Big    `json:"chain_id,omitempty"` // sign-tx, sign-transaction
	Message     hexutil.Bytes   `json:"message,omitempty"`  // sign-message
	TypedData   json.RawMessage `json:"typed_data,omitempty"`
	Digest      *common.Hash    `json:"digest,omitempty"` // sign-hash
	AllowOwners bool            `json:"allow_owners,omitempty"`

	Disabled bool            `json:"disabled,omitempty"` // set-wallet-disabled
	Policy   *coffer.Policy  `json:"policy,omitempty"`   // set-wallet-policy
	To       *common.Address `json:"to,omitempty"`       // check-transaction
	Value    *hexutil.Big    `json:"value,omitempty"`    // check-transaction
}

// response carries a result or an error.
type response struct {
	Wallet    *wallet       `json:"wallet,omitempty"`
	Signature hexutil.Bytes `json:"signature,omitempty"`
	Tx        hexutil.Bytes `json:"tx,omitempty"` // signed transaction, binary encoding
	Error     *wireError    `json:"error,omitempty"`

	OwnPolicy       *coffer.Policy `json:"own_policy,omitempty"` // wallet-policy
	EffectivePolicy *coffer.Policy `json:"effective_policy,omitempty"`
	Key             string         `json:"key,omitempty"` // export-key: the one way a key leaves the signer
	OK              bool           `json:"ok,omitempty"`
}

// wireError is a coffer.Error without its hidden cause.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func toWireError(err error) *wireError {
	return &wireError{Code: coffer.ErrorCode(err), Message: coffer.ErrorMessage(err)}
}

func (e *wireError) domain() error {
	code := e.Code
	if code == "" {
		code = coffer.EINTERNAL
	}
	return &coffer.Error{Code: code, Message: e.Message}
}

// wallet is coffer.Wallet on the wire.
type wallet struct {
	Address   common.Address `json:"address"`
	OwnerID   string         `json:"owner_id"`
	Backend   string         `json:"backend"`
	KeyID     string         `json:"key_id"`
	Label     string         `json:"label"`
	Disabled  bool           `json:"disabled"`
	CreatedAt time.Time      `json:"created_at"`
}

func toWireWallet(w *coffer.Wallet) *wallet {
	return &wallet{Address: w.Address, OwnerID: w.OwnerID, Backend: w.Backend, KeyID: w.KeyID, Label: w.Label, Disabled: w.Disabled, CreatedAt: w.CreatedAt}
}

func (w *wallet) domain() *coffer.Wallet {
	return &coffer.Wallet{Address: w.Address, OwnerID: w.OwnerID, Backend: w.Backend, KeyID: w.KeyID, Label: w.Label, Disabled: w.Disabled, CreatedAt: w.CreatedAt}
}

func chainIDOf(r *request) (*big.Int, error) {
	if r.ChainID == nil || r.ChainID.ToInt().Sign() <= 0 {
		return nil, coffer.Errorf(coffer.EINVALID, "chain_id is required and must be positive")
	}
	return r.ChainID.ToInt(), nil
}

func missing(field string) error {
	return coffer.Errorf(coffer.EINVALID, "%s is required", field)
}

func badField(field string, err error) error {
	return coffer.Errorf(coffer.EINVALID, "%s: %v", field, fmt.Sprint(err))
}
