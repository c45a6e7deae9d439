package coffer

import "testing"

func TestMintStatusOf(t *testing.T) {
	for tx, want := range map[string]string{
		TxQueued:     MintQueued,
		TxPending:    MintPending,
		TxMined:      MintMined,
		TxConfirmed:  MintConfirmed,
		TxFailed:     MintFailed,
		TxCancelled:  MintFailed, // a cancelled mint never mints
		"":           MintQueued,
		"unheard-of": MintQueued,
	} {
		if got := MintStatusOf(tx); got != want {
			t.Errorf("MintStatusOf(%q) = %q, want %q", tx, got, want)
		}
	}
}
