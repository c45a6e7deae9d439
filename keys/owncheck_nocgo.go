//go:build !cgo

package keys

// Without cgo there is no constant-time generator multiplication to use, so
// CheckOwnSignature recovers instead.
const ownCheckAvailable = false

func nonceCommitment(d, a, b *[32]byte, out *[65]byte) bool { return false }
