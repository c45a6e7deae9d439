// Package faulttest holds coffer's fault tests: the built `coffer serve`
// binary run as a child process against a real anvil node (and PostgreSQL),
// then killed with SIGKILL, cut off from its node by a TCP proxy, made to
// send an underpriced transaction, or run twice on one database — each
// ending in the same checks: every accepted mint confirmed exactly once,
// unique token ids matching the chain, and the platform wallet's nonces
// contiguous with no gap or duplicate.
//
// The tests need anvil 1.7.1 (COFFER_TEST_ANVIL, see .ci/run) and, for the
// two-process test, COFFER_TEST_POSTGRES_DSN; without them they skip
// locally and fail when CI=true. COFFER_TEST_SHORT=1 (or -short) shrinks
// the loads and the 30 s outage for local iteration; COFFER_TEST_LOG=1
// copies the servers' logs to stderr.
package faulttest
