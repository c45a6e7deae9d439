//go:build !cgo

package keys

// Without cgo there is no libsecp256k1 to sign in: SignOwn signs with
// go-ethereum's pure-Go secp256k1 and recovers.
const ownSignAvailable = false

func signOwn(digest, z, seckey *[32]byte, sig *[65]byte) int { return ownNotProved }

func nonceProves(digest, seckey, k *[32]byte, sig *[65]byte) bool { return false }
