package api

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// parseAddress remembers good checksums; a remembered one answers the same,
// and a string differing in the case of one letter is checked on its own.
func TestParseAddressChecksum(t *testing.T) {
	want := common.HexToAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
	good := want.Hex() // 0x5aAeb6…, mixed case
	for range 3 {
		if a, err := parseAddress("to", good); err != nil || a != want {
			t.Fatalf("%s: %s, %v", good, a, err)
		}
	}
	i := strings.IndexAny(good[2:], "abcdef") + 2
	flipped := good[:i] + strings.ToUpper(good[i:i+1]) + good[i+1:]
	if _, err := parseAddress("to", flipped); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("%s: %v, want a checksum error", flipped, err)
	}
	for _, s := range []string{strings.ToLower(good), "0x" + strings.ToUpper(good[2:])} {
		if a, err := parseAddress("to", s); err != nil || a != want {
			t.Errorf("%s: %s, %v", s, a, err)
		}
	}
	for _, s := range []string{good[2:], good[:41], good + "0"} {
		if _, err := parseAddress("to", s); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
}
