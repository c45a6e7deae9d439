//go:build cgo

package pkcs11

import (
	"context"
	"math/big"
	"testing"

	"github.com/cofferhq/coffer/keys"
	"github.com/cofferhq/coffer/keys/keystest"
	p11 "github.com/miekg/pkcs11"
)

// BenchmarkPKCS11SignDigest measures SignDigest against SoftHSM2: serial and
// from parallel goroutines, with the per-session cache of private-key
// handles ("cached") and with a C_FindObjects before every signature
// ("find"). "sign-only" is bare C_SignInit + C_Sign on one session with a
// known handle, and "fromrs" the low-s + recovery self-check alone, so the
// backend's own overhead can be read off.
func BenchmarkPKCS11SignDigest(b *testing.B) {
	be := newTestBackend(b, keystest.NewMemKeyStore(), nil)
	ctx := context.Background()
	rec, err := be.CreateKey(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name    string
		noCache bool
	}{{"cached", false}, {"find", true}} {
		b.Run(mode.name+"/serial", func(b *testing.B) {
			be.noHandleCache = mode.noCache
			var d [32]byte
			for i := 0; b.Loop(); i++ {
				d[0], d[1] = byte(i), byte(i>>8)
				if _, err := be.SignDigest(ctx, rec.ID, d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode.name+"/parallel", func(b *testing.B) {
			be.noHandleCache = mode.noCache
			b.RunParallel(func(pb *testing.PB) {
				var d [32]byte
				for i := 0; pb.Next(); i++ {
					d[0], d[1] = byte(i), byte(i>>8)
					if _, err := be.SignDigest(ctx, rec.ID, d); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	be.noHandleCache = false

	b.Run("sign-only", func(b *testing.B) {
		s, err := be.acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer be.release(s, nil)
		h, _, err := be.keyHandle(s, rec.ID)
		if err != nil {
			b.Fatal(err)
		}
		mech := []*p11.Mechanism{p11.NewMechanism(p11.CKM_ECDSA, nil)}
		var d [32]byte
		for i := 0; b.Loop(); i++ {
			d[0], d[1] = byte(i), byte(i>>8)
			if err := be.mod.ctx.SignInit(s.h, mech, h); err != nil {
				b.Fatal(err)
			}
			if _, err := be.mod.ctx.Sign(s.h, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fromrs", func(b *testing.B) {
		d := [32]byte{7}
		sig, err := be.SignDigest(ctx, rec.ID, d)
		if err != nil {
			b.Fatal(err)
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
		for b.Loop() {
			if _, err := keys.FromRS(d, r, s, rec.PublicKey); err != nil {
				b.Fatal(err)
			}
		}
	})
}
