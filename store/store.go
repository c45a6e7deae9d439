// Package store opens coffer's persistent state by driver name. The
// implementations are store/sqlite and store/postgres, both over
// store/sqlstore; store/storetest is the suite they pass.
package store

import (
	"context"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store/postgres"
	"github.com/cofferhq/coffer/store/sqlite"
)

// Open opens the store of driver ("sqlite": dsn is a file path; "postgres":
// dsn is a connection URL) and applies pending migrations. The result is a
// *sqlstore.DB, which also offers Migrate, AuditChain, BlockHash and Exec.
func Open(ctx context.Context, driver, dsn string) (coffer.Store, error) {
	switch driver {
	case "sqlite":
		return sqlite.Open(ctx, dsn)
	case "postgres":
		return postgres.Open(ctx, dsn)
	}
	return nil, coffer.Errorf(coffer.EINVALID, "unknown store driver %q (want sqlite or postgres)", driver)
}
