package coffer

import (
	"crypto/rand"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestAddressHex(t *testing.T) {
	for range 100 {
		var a common.Address
		rand.Read(a[:])
		for range 2 { // computed, then cached
			if got, want := AddressHex(a), a.Hex(); got != want {
				t.Fatalf("AddressHex(%x) = %s, want %s", a, got, want)
			}
		}
	}
}

func BenchmarkAddressHex(b *testing.B) {
	a := common.HexToAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			_ = AddressHex(a)
		}
	})
	b.Run("Hex", func(b *testing.B) {
		for b.Loop() {
			_ = a.Hex()
		}
	})
}
