package coffer

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer/internal/cache"
)

// AddressHex is a.Hex(), the EIP-55 checksummed form, from a bounded cache:
// the checksum costs a Keccak-256 of the address, and the same few
// addresses (the platform wallet, the collections, the users' wallets) are
// written into every event and API response, a dozen times per mint.
func AddressHex(a common.Address) string {
	if s, ok := addressHexes.Get(a); ok {
		return s
	}
	s := a.Hex()
	addressHexes.Put(a, s)
	return s
}

var addressHexes = cache.Map[common.Address, string]{Max: 1 << 14}
