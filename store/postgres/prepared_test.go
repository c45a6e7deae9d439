package postgres_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/store/storetest"
)

// The hot queries run as prepared statements (named server-side statements
// per connection with pgx), correctly, across two pools (two processes) on
// one schema. Skipped without COFFER_TEST_POSTGRES_DSN, failed in CI.
func TestPreparedStatements(t *testing.T) {
	d := testenv.PostgresDSN(t)
	a, b := open(t, d), open(t, d)
	defer a.Close()
	defer b.Close()
	storetest.Prepared(t, a, b)
}
