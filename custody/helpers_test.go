package custody_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/store/sqlite"
	"github.com/cofferhq/coffer/store/sqlstore"
)

// tempStore is a fresh SQLite store, closed when the test ends.
func tempStore(t *testing.T) *sqlstore.DB {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "coffer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// localCustody is custody over st with the local backend (a static master)
// keeping its keys in ks: st itself, or the store under a test's wrapper.
func localCustody(t *testing.T, st coffer.Store, ks coffer.KeyStore) *custody.Service {
	t.Helper()
	cs, err := custody.New(st, []coffer.KeyBackend{local.New(ks, local.NewStaticMaster([32]byte{7}))}, coffer.BackendLocal, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// userWallet creates a wallet of user u1.
func userWallet(t *testing.T, cs *custody.Service) *coffer.Wallet {
	t.Helper()
	w, err := cs.CreateWallet(context.Background(), "u1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	return w
}
