package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/store/storetest"
)

// The hot queries run as prepared statements, correctly, across two pools
// (two processes) on one file.
func TestPreparedStatements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	a, b := open(t, path), open(t, path)
	defer a.Close()
	defer b.Close()
	storetest.Prepared(t, a, b)
}
