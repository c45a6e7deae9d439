package keystest

import (
	"bytes"
	"context"
	"sort"
	"sync"

	"github.com/cofferhq/coffer"
)

// MemKeyStore is an in-memory coffer.KeyStore for tests. The zero value is
// ready to use. It hands out copies, so callers cannot change stored records
// behind its back; Set exists to do that on purpose.
type MemKeyStore struct {
	mu   sync.Mutex
	keys map[string]*coffer.KeyRecord
}

var _ coffer.KeyStore = (*MemKeyStore)(nil)

// NewMemKeyStore returns an empty store.
func NewMemKeyStore() *MemKeyStore { return &MemKeyStore{} }

// PutKey inserts k; a taken ID is ECONFLICT.
func (s *MemKeyStore) PutKey(_ context.Context, k *coffer.KeyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.ID]; ok {
		return coffer.Errorf(coffer.ECONFLICT, "key %q exists", k.ID)
	}
	s.setLocked(k)
	return nil
}

// Set stores k, replacing any record with its ID (for tests that tamper).
func (s *MemKeyStore) Set(k *coffer.KeyRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(k)
}

func (s *MemKeyStore) setLocked(k *coffer.KeyRecord) {
	if s.keys == nil {
		s.keys = make(map[string]*coffer.KeyRecord)
	}
	s.keys[k.ID] = cloneRecord(k)
}

// Key returns a copy of the record id or ENOTFOUND.
func (s *MemKeyStore) Key(_ context.Context, id string) (*coffer.KeyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return nil, coffer.Errorf(coffer.ENOTFOUND, "key %q not found", id)
	}
	return cloneRecord(k), nil
}

// Keys lists the records of backend ("" for all), oldest first.
func (s *MemKeyStore) Keys(_ context.Context, backend string) ([]*coffer.KeyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*coffer.KeyRecord
	for _, k := range s.keys {
		if backend == "" || k.Backend == backend {
			out = append(out, cloneRecord(k))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// UpdateKeyWrapping replaces the wrapped data key of id.
func (s *MemKeyStore) UpdateKeyWrapping(_ context.Context, id string, wrapped []byte, masterID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return coffer.Errorf(coffer.ENOTFOUND, "key %q not found", id)
	}
	k.WrappedKey = bytes.Clone(wrapped)
	k.MasterID = masterID
	return nil
}

func cloneRecord(k *coffer.KeyRecord) *coffer.KeyRecord {
	c := *k
	c.PublicKey = bytes.Clone(k.PublicKey)
	c.Material = bytes.Clone(k.Material)
	c.WrappedKey = bytes.Clone(k.WrappedKey)
	return &c
}
