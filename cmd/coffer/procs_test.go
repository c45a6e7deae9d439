package main

import (
	"runtime"
	"testing"
)

// signingProcs adds one P to the cores unless GOMAXPROCS is set.
func TestSigningProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Setenv("GOMAXPROCS", "")
	signingProcs()
	if got := runtime.GOMAXPROCS(0); got != cores+1 {
		t.Fatalf("GOMAXPROCS %d with %d cores, want %d", got, cores, cores+1)
	}
	runtime.GOMAXPROCS(cores)
	t.Setenv("GOMAXPROCS", "1")
	signingProcs()
	if got := runtime.GOMAXPROCS(0); got != cores {
		t.Fatalf("GOMAXPROCS %d although the environment sets it, want it left at %d", got, cores)
	}
}
