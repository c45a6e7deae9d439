package coffer

import (
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Raw-hash signing modes (Policy.RawHash).
const (
	RawHashAdmins = "admins" // only operators may sign raw digests (the default)
	RawHashOwners = "owners" // the wallet's owner may too
	RawHashOff    = "off"    // nobody may, admins included
)

// Policy restricts what a wallet may sign. The global policy comes from the
// configuration; a wallet may carry its own, set through the admin API, which
// overrides the global one rule by rule (see Over). Package policy evaluates it.
//
// For the list rules, nil means "not set" (inherit; globally: anything goes)
// while an empty, non-nil list set on a wallet explicitly lifts a global
// restriction. Nil limits mean no limit.
type Policy struct {
	// ChainIDs allowed for transactions and for EIP-712 domains that name a chain.
	ChainIDs []uint64
	// To lists the allowed destinations (recipients and contracts) of
	// transactions. When set, contract creation is refused; a transfer to the
	// wallet itself (a cancellation) is always allowed.
	To []common.Address
	// MaxValuePerTx is the largest value (wei) one transaction may carry.
	MaxValuePerTx *big.Int
	// MaxValuePerDay bounds the value (wei) a wallet signs away on one chain
	// over any rolling 24 hours. Transactions at the same nonce count once (at
	// the largest value), since only one of them can be mined.
	MaxValuePerDay *big.Int
	// RawHash is RawHashAdmins, RawHashOwners or RawHashOff; "" inherits
	// (globally: RawHashAdmins).
	RawHash string
	// TypedDataDomains allowlists EIP-712 domains; when set, typed data whose
	// domain matches none of the entries is refused.
	TypedDataDomains []DomainRule
}

// DomainRule matches an EIP-712 domain: every field that is set must equal the
// domain's (a set field the domain lacks does not match).
type DomainRule struct {
	Name              string
	VerifyingContract *common.Address
	ChainID           *uint64
}

// IsZero reports whether p sets no rule.
func (p *Policy) IsZero() bool {
	return p == nil || p.ChainIDs == nil && p.To == nil && p.MaxValuePerTx == nil && p.MaxValuePerDay == nil &&
		p.RawHash == "" && p.TypedDataDomains == nil
}

// Over returns p laid over base: each rule p sets replaces base's.
func (p *Policy) Over(base Policy) Policy {
	out := base
	if p == nil {
		return out
	}
	if p.ChainIDs != nil {
		out.ChainIDs = p.ChainIDs
	}
	if p.To != nil {
		out.To = p.To
	}
	if p.MaxValuePerTx != nil {
		out.MaxValuePerTx = p.MaxValuePerTx
	}
	if p.MaxValuePerDay != nil {
		out.MaxValuePerDay = p.MaxValuePerDay
	}
	if p.RawHash != "" {
		out.RawHash = p.RawHash
	}
	if p.TypedDataDomains != nil {
		out.TypedDataDomains = p.TypedDataDomains
	}
	return out
}

// SpendWindow is the rolling window of Policy.MaxValuePerDay.
const SpendWindow = 24 * time.Hour

// Spend is value a wallet signed away in a transaction, as recorded by
// Store.ReserveSpend.
type Spend struct {
	Wallet  common.Address
	ChainID uint64
	Nonce   uint64
	Value   *big.Int
	Time    time.Time // default now
}
