package siwe

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Sentinel errors returned (wrapped, with detail) by Validate and the
// signature functions; match them with errors.Is. All of them mean the
// sign-in must be refused.
var (
	ErrDomainMismatch = errors.New("siwe: domain mismatch")
	ErrSchemeMismatch = errors.New("siwe: scheme mismatch")
	ErrURIMismatch    = errors.New("siwe: URI mismatch")
	ErrChainMismatch  = errors.New("siwe: chain ID mismatch")
	ErrNonceMismatch  = errors.New("siwe: nonce mismatch")
	ErrVersion        = errors.New("siwe: unsupported version")
	ErrExpired        = errors.New("siwe: message expired")
	ErrNotYetValid    = errors.New("siwe: message not yet valid")
	ErrIssuedInFuture = errors.New("siwe: message issued in the future")
	ErrSignature      = errors.New("siwe: invalid signature")
)

// VerifyOptions are the relying party's expectations for a message.
type VerifyOptions struct {
	// Domain is required: the authority (host[:port]) the frontend is served
	// from. Compared case-insensitively, as hosts are.
	Domain string
	// Scheme is the expected origin scheme, compared case-insensitively;
	// "" means "https". A message without a scheme counts as https, as
	// EIP-4361 specifies, so plain-http origins are refused unless Scheme is
	// set to "http" (e.g. for local development).
	Scheme string
	// URI, if set, must equal the message URI exactly. Prefix matching is
	// deliberately not offered: "https://a.example" is a prefix of
	// "https://a.example.evil.net".
	URI string
	// ChainID, if non-zero, must equal the message chain ID. Zero (not a
	// valid EIP-155 chain) means any chain is accepted.
	ChainID uint64
	// Nonce, if set, must equal the message nonce. Callers that look the
	// nonce up by value instead must still consume it to stop replays.
	Nonce string
	// Now is the verification time; zero means time.Now().
	Now time.Time
	// Skew tolerates clock difference with the client for the issued-at,
	// expiration and not-before checks. Negative is treated as zero.
	Skew time.Duration
	// MaxAge, if positive, refuses messages issued more than MaxAge (plus
	// Skew) before Now, bounding messages that carry no Expiration Time.
	MaxAge time.Duration
}

// Validate checks m's fields against o. It does not check the signature.
func (m *Message) Validate(o VerifyOptions) error {
	if o.Domain == "" {
		return errors.New("siwe: VerifyOptions.Domain must be set")
	}
	if !strings.EqualFold(m.Domain, o.Domain) {
		return fmt.Errorf("%w: message is for %s, expected %s", ErrDomainMismatch, quote(m.Domain), quote(o.Domain))
	}
	want, got := o.Scheme, m.Scheme
	if want == "" {
		want = "https"
	}
	if got == "" {
		got = "https"
	}
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("%w: message scheme is %s, expected %s", ErrSchemeMismatch, quote(got), quote(want))
	}
	if o.URI != "" && m.URI != o.URI {
		return fmt.Errorf("%w: message URI is %s, expected %s", ErrURIMismatch, quote(m.URI), quote(o.URI))
	}
	if o.ChainID != 0 && m.ChainID != o.ChainID {
		return fmt.Errorf("%w: message is for chain %d, expected %d", ErrChainMismatch, m.ChainID, o.ChainID)
	}
	if o.Nonce != "" && m.Nonce != o.Nonce {
		return fmt.Errorf("%w: message nonce %s is not the one issued", ErrNonceMismatch, quote(m.Nonce))
	}
	if m.Version != "1" {
		return fmt.Errorf("%w: %s", ErrVersion, quote(m.Version))
	}

	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	skew := max(o.Skew, 0)
	if m.IssuedAt.After(now.Add(skew)) {
		return fmt.Errorf("%w: issued at %s, now is %s", ErrIssuedInFuture, m.IssuedAt.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if o.MaxAge > 0 && now.Sub(m.IssuedAt) > o.MaxAge+skew {
		return fmt.Errorf("%w: issued at %s, older than the accepted %s", ErrExpired, m.IssuedAt.Format(time.RFC3339), o.MaxAge)
	}
	// Expiration Time is the first instant the message is no longer valid.
	if m.ExpirationTime != nil && !now.Add(-skew).Before(*m.ExpirationTime) {
		return fmt.Errorf("%w: expired at %s, now is %s", ErrExpired, m.ExpirationTime.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	// Not Before is the first instant the message is valid.
	if m.NotBefore != nil && now.Add(skew).Before(*m.NotBefore) {
		return fmt.Errorf("%w: valid from %s, now is %s", ErrNotYetValid, m.NotBefore.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

var secp256k1HalfN = new(big.Int).Rsh(crypto.S256().Params().N, 1)

// RecoverAddress returns the address whose key produced sig over message
// under EIP-191 personal_sign (keccak256("\x19Ethereum Signed Message:\n" +
// len + message)). sig is r || s || v, 65 bytes; v may be 0/1 or 27/28.
// High-s (malleable) signatures are rejected, as wallets never produce them.
func RecoverAddress(message string, sig []byte) (common.Address, error) {
	if len(sig) != crypto.SignatureLength {
		return common.Address{}, fmt.Errorf("%w: must be %d bytes (r, s, v), got %d", ErrSignature, crypto.SignatureLength, len(sig))
	}
	v := sig[64]
	switch v {
	case 0, 1:
	case 27, 28:
		v -= 27
	default:
		return common.Address{}, fmt.Errorf("%w: recovery id v must be 0, 1, 27 or 28, got %d", ErrSignature, sig[64])
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if s.Cmp(secp256k1HalfN) > 0 {
		return common.Address{}, fmt.Errorf("%w: s is in the upper half of the curve order (malleable signature)", ErrSignature)
	}
	if !crypto.ValidateSignatureValues(v, r, s, true) {
		return common.Address{}, fmt.Errorf("%w: r or s out of range", ErrSignature)
	}
	// Copy so the caller's slice keeps its original v.
	norm := make([]byte, crypto.SignatureLength)
	copy(norm, sig)
	norm[64] = v
	pub, err := crypto.SigToPub(accounts.TextHash([]byte(message)), norm)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// VerifySignature checks that sig is m.Address's personal_sign signature
// over message. message must be the exact text of m (m.String()); this
// stops a caller from validating one message's fields while checking a
// signature made over another.
func (m *Message) VerifySignature(message string, sig []byte) error {
	if message != m.String() {
		return fmt.Errorf("%w: signed text is not the text of this message", ErrSignature)
	}
	addr, err := RecoverAddress(message, sig)
	if err != nil {
		return err
	}
	if addr != m.Address {
		return fmt.Errorf("%w: signed by %s, but the message is for %s", ErrSignature, addr.Hex(), m.Address.Hex())
	}
	return nil
}

// Verify is the one-call check for a sign-in endpoint: it parses message,
// validates it against o and verifies sig. On success the caller must
// still consume the nonce so the message cannot be replayed.
func Verify(message string, sig []byte, o VerifyOptions) (*Message, error) {
	m, err := Parse(message)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(o); err != nil {
		return nil, err
	}
	if err := m.VerifySignature(message, sig); err != nil {
		return nil, err
	}
	return m, nil
}
