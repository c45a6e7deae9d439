//go:build cgo

package keys

/*
#include <stddef.h>
#include <string.h>

// go-ethereum's crypto/secp256k1 compiles libsecp256k1 into every cgo build
// of coffer, with its public API visible. These are that API's prototypes
// (include/secp256k1.h); the linker resolves them against go-ethereum's copy,
// so there is only one libsecp256k1 in the binary.
typedef struct secp256k1_context_struct secp256k1_context;
typedef struct { unsigned char data[64]; } secp256k1_pubkey;
#define COFFER_SECP256K1_CONTEXT_NONE 1
#define COFFER_SECP256K1_EC_UNCOMPRESSED 2
extern secp256k1_context *secp256k1_context_create(unsigned int flags);
extern int secp256k1_context_randomize(secp256k1_context *ctx, const unsigned char *seed32);
extern int secp256k1_ec_seckey_tweak_mul(const secp256k1_context *ctx, unsigned char *seckey, const unsigned char *tweak32);
extern int secp256k1_ec_seckey_tweak_add(const secp256k1_context *ctx, unsigned char *seckey, const unsigned char *tweak32);
extern int secp256k1_ec_pubkey_create(const secp256k1_context *ctx, secp256k1_pubkey *pubkey, const unsigned char *seckey);
extern int secp256k1_ec_pubkey_serialize(const secp256k1_context *ctx, unsigned char *output, size_t *outputlen, const secp256k1_pubkey *pubkey, unsigned int flags);

static secp256k1_context *coffer_ctx;

static int coffer_ctx_init(const unsigned char *seed32) {
	coffer_ctx = secp256k1_context_create(COFFER_SECP256K1_CONTEXT_NONE);
	return coffer_ctx != NULL && secp256k1_context_randomize(coffer_ctx, seed32);
}

// coffer_nonce_commitment writes (d·a + b)·G, uncompressed, to out65. The
// scalar d·a + b is secret (it is a signature's nonce): it lives only in k,
// on this stack, and every step on it is libsecp256k1's constant-time code.
static int coffer_nonce_commitment(const unsigned char *d, const unsigned char *a, const unsigned char *b, unsigned char *out65) {
	unsigned char k[32];
	secp256k1_pubkey p;
	size_t n = 65;
	int ok;
	memcpy(k, d, 32);
	ok = secp256k1_ec_seckey_tweak_mul(coffer_ctx, k, a) &&
		secp256k1_ec_seckey_tweak_add(coffer_ctx, k, b) &&
		secp256k1_ec_pubkey_create(coffer_ctx, &p, k) &&
		secp256k1_ec_pubkey_serialize(coffer_ctx, out65, &n, &p, COFFER_SECP256K1_EC_UNCOMPRESSED);
	// A volatile pointer keeps the compiler from dropping the wipe.
	volatile unsigned char *w = k;
	for (int i = 0; i < 32; i++) w[i] = 0;
	return ok && n == 65;
}
*/
import "C"

import (
	"crypto/rand"
	"unsafe"

	// Links in libsecp256k1; see the preamble.
	_ "github.com/ethereum/go-ethereum/crypto/secp256k1"
)

var ownCheckAvailable = initOwnCheck()

// initOwnCheck makes the context and randomizes it, which blinds
// libsecp256k1's generator multiplication against side channels.
func initOwnCheck() bool {
	var seed [32]byte
	rand.Read(seed[:])
	return C.coffer_ctx_init((*C.uchar)(unsafe.Pointer(&seed[0]))) == 1
}

func nonceCommitment(d, a, b *[32]byte, out *[65]byte) bool {
	return C.coffer_nonce_commitment(
		(*C.uchar)(unsafe.Pointer(&d[0])),
		(*C.uchar)(unsafe.Pointer(&a[0])),
		(*C.uchar)(unsafe.Pointer(&b[0])),
		(*C.uchar)(unsafe.Pointer(&out[0]))) == 1
}
