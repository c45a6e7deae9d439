package sqlstore

import (
	"testing"
	"time"
)

// later moves a stamp on even when the clock does not: past a stamp ahead
// of the clock (one stepped back) by a microsecond, else to now.
func TestLater(t *testing.T) {
	ahead := ts(time.Now().Add(time.Hour))
	if got := later(ahead); !got.Equal(ahead.Add(time.Microsecond)) {
		t.Fatalf("later(%s) = %s, want a microsecond after", ahead, got)
	}
	past := ts(time.Now().Add(-time.Hour))
	before := now()
	if got := later(past); got.Before(before) || got.After(now()) {
		t.Fatalf("later(%s) = %s, want now", past, got)
	}
}
