package main

import (
	"os"
	"runtime"
)

// cores is the CPUs the Go runtime found for this process (GOMAXPROCS's
// default: the machine's, or its cgroup's CPU limit), before signingProcs.
var cores = runtime.GOMAXPROCS(0)

// signingProcs gives the commands that sign one P more than there are cores,
// unless GOMAXPROCS is set in the environment. Signing runs in C
// (libsecp256k1 through cgo, 45–55 µs a signature with its proof), and a
// goroutine in a cgo call keeps its P until the runtime's monitor hands it
// off: under signing load on 2 cores that left about 0.2 of them idle while
// Go counted every P busy. With one more P the OS fills those gaps: +5–10 %
// signatures/s in back-to-back runs (docs/BENCHMARKS.md §2).
func signingProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(cores + 1)
}
