package coffer

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestIDsSortByTime: ids made later sort after earlier ones as text (what
// keeps index inserts at the right edge), and ids of the same millisecond
// differ.
func TestIDsSortByTime(t *testing.T) {
	at := time.UnixMilli(1_790_000_000_000)
	var ids []string
	for i := range 2000 {
		ids = append(ids, newID("tx", at.Add(time.Duration(i/10)*time.Millisecond)))
	}
	for i := 10; i < len(ids); i++ {
		if ids[i-10] >= ids[i] {
			t.Fatalf("%s, made 1 ms earlier, does not sort before %s", ids[i-10], ids[i])
		}
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(ids) {
		t.Fatal("duplicate ids")
	}
	// Across the years too: the time is the whole 48-bit prefix.
	early, late := newID("tx", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), newID("tx", time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC))
	if early >= late {
		t.Fatalf("%s sorts after %s", early, late)
	}
	id := NewID("mint")
	if len(id) != len("mint_")+26 || strings.Trim(id[5:], "0123456789abcdefghijklmnopqrstuv") != "" {
		t.Fatalf("id %q: want mint_ and 26 characters of 0-9a-v", id)
	}
}
