package signer

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
)

// echo signs nothing: it measures the wire alone.
type echo struct{ custody.Custodian }

func (echo) SignHash(context.Context, *coffer.Principal, common.Address, [32]byte, bool) ([]byte, error) {
	return make([]byte, 65), nil
}

// BenchmarkSignHash compares raw-hash signing (audit on, SQLite, local
// backend) in process and through a signer on a Unix socket; the
// difference is the cost of isolation per signature. wire-only is the round
// trip with a custodian that does nothing. Run with -short (no binary build):
//
//	go test ./signer -short -run '^$' -bench SignHash -benchtime 2s
func BenchmarkSignHash(b *testing.B) {
	svc, _ := newCustody(b)
	w, err := svc.CreateWallet(context.Background(), "alice", "", "")
	if err != nil {
		b.Fatal(err)
	}
	client, _ := serveUnix(b, svc)
	wire, _ := serveUnix(b, echo{})
	for _, bc := range []struct {
		name string
		c    custody.Custodian
	}{{"in-process", svc}, {"unix-socket", client}, {"wire-only", wire}} {
		ctx := context.Background()
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := bc.c.SignHash(ctx, admin, w.Address, [32]byte{byte(i), byte(i >> 8), 1}, false); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.c.SignHash(ctx, admin, w.Address, [32]byte{7}, false); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
