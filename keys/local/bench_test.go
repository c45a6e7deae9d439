package local

import (
	"context"
	"testing"

	"github.com/cofferhq/coffer/keys/keystest"
	"github.com/ethereum/go-ethereum/crypto"
)

// The two benchmarks below use the same key so that one `go test -bench .`
// shows what the backend costs on top of a bare libsecp256k1 signature (the
// difference is mostly the self-check, keys.SignOwn's proof).

func benchKey(b *testing.B) (*Backend, string) {
	priv, _ := crypto.HexToECDSA("4646464646464646464646464646464646464646464646464646464646464646")
	be := New(keystest.NewMemKeyStore(), randomMaster(b))
	rec, err := be.ImportKey(context.Background(), priv)
	if err != nil {
		b.Fatal(err)
	}
	return be, rec.ID
}

func BenchmarkLocalSignDigest(b *testing.B) {
	be, id := benchKey(b)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		var d [32]byte
		for i := 0; b.Loop(); i++ {
			d[0], d[1] = byte(i), byte(i>>8)
			if _, err := be.SignDigest(ctx, id, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var d [32]byte
			for i := 0; pb.Next(); i++ {
				d[0], d[1] = byte(i), byte(i>>8)
				if _, err := be.SignDigest(ctx, id, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkRawSecp256k1Sign(b *testing.B) {
	priv, _ := crypto.HexToECDSA("4646464646464646464646464646464646464646464646464646464646464646")
	b.Run("serial", func(b *testing.B) {
		var d [32]byte
		for i := 0; b.Loop(); i++ {
			d[0], d[1] = byte(i), byte(i>>8)
			if _, err := crypto.Sign(d[:], priv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var d [32]byte
			for i := 0; pb.Next(); i++ {
				d[0], d[1] = byte(i), byte(i>>8)
				if _, err := crypto.Sign(d[:], priv); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkRecover is what the self-check would cost by recovery (keys.SignOwn
// proves the same for less; keys' BenchmarkSign compares them).
func BenchmarkRecover(b *testing.B) {
	priv, _ := crypto.HexToECDSA("4646464646464646464646464646464646464646464646464646464646464646")
	d := crypto.Keccak256([]byte("x"))
	sig, _ := crypto.Sign(d, priv)
	for b.Loop() {
		if _, err := crypto.Ecrecover(d, sig); err != nil {
			b.Fatal(err)
		}
	}
}
