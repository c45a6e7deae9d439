package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, "mysql", "x"); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("unknown driver: %v", err)
	}
}
