//go:build cgo

package keys

/*
#include <stddef.h>
#include <string.h>

// go-ethereum's crypto/secp256k1 compiles libsecp256k1 (with its recovery
// module) into every cgo build of coffer, with its public API visible. These
// are that API's prototypes (include/secp256k1.h, secp256k1_recovery.h); the
// linker resolves them against go-ethereum's copy, so there is only one
// libsecp256k1 in the binary.
typedef struct secp256k1_context_struct secp256k1_context;
typedef struct { unsigned char data[64]; } secp256k1_pubkey;
typedef struct { unsigned char data[65]; } secp256k1_ecdsa_recoverable_signature;
typedef int (*secp256k1_nonce_function)(unsigned char *nonce32, const unsigned char *msg32,
	const unsigned char *key32, const unsigned char *algo16, void *data, unsigned int attempt);
#define COFFER_SECP256K1_CONTEXT_NONE 1
#define COFFER_SECP256K1_EC_UNCOMPRESSED 2
extern const secp256k1_nonce_function secp256k1_nonce_function_rfc6979;
extern secp256k1_context *secp256k1_context_create(unsigned int flags);
extern int secp256k1_context_randomize(secp256k1_context *ctx, const unsigned char *seed32);
extern int secp256k1_ecdsa_sign_recoverable(const secp256k1_context *ctx, secp256k1_ecdsa_recoverable_signature *sig,
	const unsigned char *msghash32, const unsigned char *seckey, secp256k1_nonce_function noncefp, const void *ndata);
extern int secp256k1_ecdsa_recoverable_signature_serialize_compact(const secp256k1_context *ctx,
	unsigned char *output64, int *recid, const secp256k1_ecdsa_recoverable_signature *sig);
extern int secp256k1_ec_seckey_tweak_mul(const secp256k1_context *ctx, unsigned char *seckey, const unsigned char *tweak32);
extern int secp256k1_ec_seckey_tweak_add(const secp256k1_context *ctx, unsigned char *seckey, const unsigned char *tweak32);
extern int secp256k1_ec_seckey_negate(const secp256k1_context *ctx, unsigned char *seckey);
extern int secp256k1_ec_pubkey_create(const secp256k1_context *ctx, secp256k1_pubkey *pubkey, const unsigned char *seckey);
extern int secp256k1_ec_pubkey_serialize(const secp256k1_context *ctx, unsigned char *output, size_t *outputlen,
	const secp256k1_pubkey *pubkey, unsigned int flags);

static secp256k1_context *coffer_ctx;

static int coffer_ctx_init(const unsigned char *seed32) {
	coffer_ctx = secp256k1_context_create(COFFER_SECP256K1_CONTEXT_NONE);
	return coffer_ctx != NULL && secp256k1_context_randomize(coffer_ctx, seed32);
}

static void coffer_wipe(unsigned char *p, size_t n) {
	// A volatile pointer keeps the compiler from dropping the wipe.
	volatile unsigned char *w = p;
	for (size_t i = 0; i < n; i++) w[i] = 0;
}

// coffer_capture_nonce is RFC 6979, as go-ethereum signs, keeping a copy of
// the nonce it returns in data (32 bytes): the last one returned is the one
// the signature was made with.
static int coffer_capture_nonce(unsigned char *nonce32, const unsigned char *msg32, const unsigned char *key32,
	const unsigned char *algo16, void *data, unsigned int attempt) {
	if (!secp256k1_nonce_function_rfc6979(nonce32, msg32, key32, algo16, NULL, attempt)) {
		return 0;
	}
	memcpy(data, nonce32, 32);
	return 1;
}

// coffer_nonce_sign_matches is 1 when s·k = z + r·d (mod n): whether k or
// −k is sig65's nonce (the proof itself is coffer_nonce_proves).
static int coffer_nonce_sign_matches(const unsigned char *d, const unsigned char *k, const unsigned char *z,
	const unsigned char *sig65) {
	unsigned char sk[32], rdz[32];
	unsigned char diff = 0;
	int ok;
	memcpy(sk, k, 32);
	memcpy(rdz, d, 32);
	ok = secp256k1_ec_seckey_tweak_mul(coffer_ctx, sk, sig65 + 32) &&
		secp256k1_ec_seckey_tweak_mul(coffer_ctx, rdz, sig65) &&
		secp256k1_ec_seckey_tweak_add(coffer_ctx, rdz, z);
	for (int i = 0; i < 32; i++) {
		diff |= sk[i] ^ rdz[i];
	}
	coffer_wipe(sk, 32);
	coffer_wipe(rdz, 32);
	return ok && diff == 0;
}

// coffer_nonce_proves is 1 when sig65 = r || s || v over z (the digest mod n)
// is the signature of d made with nonce k: k·G has x = r and y parity v, and
// s·k = z + r·d (mod n). k and d are secret; everything on them is
// libsecp256k1's constant-time code, and the copies are wiped.
static int coffer_nonce_proves(const unsigned char *d, const unsigned char *k, const unsigned char *z,
	const unsigned char *sig65) {
	unsigned char point[65];
	secp256k1_pubkey p;
	size_t n = 65;
	return coffer_nonce_sign_matches(d, k, z, sig65) &&
		secp256k1_ec_pubkey_create(coffer_ctx, &p, k) &&
		secp256k1_ec_pubkey_serialize(coffer_ctx, point, &n, &p, COFFER_SECP256K1_EC_UNCOMPRESSED) && n == 65 &&
		memcmp(point + 1, sig65, 32) == 0 && (point[64] & 1) == sig65[64];
}

// coffer_sign_own signs msg32 with d into sig65 (r || s || recovery id) and
// proves it with coffer_nonce_proves: 1 signed and proved, 0 not signed (an
// invalid key), -1 signed but not proved (sig65 must not be used).
static int coffer_sign_own(const unsigned char *msg32, const unsigned char *z, const unsigned char *d, unsigned char *sig65) {
	secp256k1_ecdsa_recoverable_signature sig;
	unsigned char k[32];
	int recid = 0, proved;
	if (!secp256k1_ecdsa_sign_recoverable(coffer_ctx, &sig, msg32, d, coffer_capture_nonce, k) ||
		!secp256k1_ecdsa_recoverable_signature_serialize_compact(coffer_ctx, sig65, &recid, &sig)) {
		coffer_wipe(k, 32);
		return 0;
	}
	sig65[64] = (unsigned char)recid;
	// libsecp256k1 returns the low s: when k⁻¹·(z + r·d) was high it gave
	// n − s, the signature of nonce −k (same x, other parity, other recovery
	// id). Prove the signature with the nonce it is the signature of.
	if (!coffer_nonce_sign_matches(d, k, z, sig65) && !secp256k1_ec_seckey_negate(coffer_ctx, k)) {
		coffer_wipe(k, 32);
		return -1;
	}
	proved = coffer_nonce_proves(d, k, z, sig65);
	coffer_wipe(k, 32);
	return proved ? 1 : -1;
}
*/
import "C"

import (
	"crypto/rand"
	"unsafe"

	// Links in libsecp256k1; see the preamble.
	_ "github.com/ethereum/go-ethereum/crypto/secp256k1"
)

var ownSignAvailable = initOwnSign()

// initOwnSign makes the context and randomizes it, which blinds
// libsecp256k1's generator multiplication against side channels.
func initOwnSign() bool {
	var seed [32]byte
	rand.Read(seed[:])
	return C.coffer_ctx_init((*C.uchar)(unsafe.Pointer(&seed[0]))) == 1
}

func uc(p *[32]byte) *C.uchar { return (*C.uchar)(unsafe.Pointer(&p[0])) }

func signOwn(digest, z, seckey *[32]byte, sig *[65]byte) int {
	return int(C.coffer_sign_own(uc(digest), uc(z), uc(seckey), (*C.uchar)(unsafe.Pointer(&sig[0]))))
}

// nonceProves runs the proof alone, for tests: sig over digest by seckey
// with nonce k.
func nonceProves(digest, seckey, k *[32]byte, sig *[65]byte) bool {
	z := reduceModN(*digest)
	return C.coffer_nonce_proves(uc(seckey), uc(k), uc(&z), (*C.uchar)(unsafe.Pointer(&sig[0]))) == 1
}
