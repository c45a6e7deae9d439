package auth

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
)

// fakeStore implements the slice of coffer.Store that auth uses; any other
// method panics through the nil embedded interface.
type fakeStore struct {
	coffer.Store

	mu       sync.Mutex
	users    map[string]*coffer.User
	byIdent  map[[2]string]string
	keys     map[string]*coffer.APIKey
	nonces   map[string]time.Time
	sessions map[string]*coffer.Session
	calls    map[string]int

	beforeRotate func() // test hook: runs (unlocked) before RotateSession
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		users:    map[string]*coffer.User{},
		byIdent:  map[[2]string]string{},
		keys:     map[string]*coffer.APIKey{},
		nonces:   map[string]time.Time{},
		sessions: map[string]*coffer.Session{},
		calls:    map[string]int{},
	}
}

func notFound(what string) error { return coffer.Errorf(coffer.ENOTFOUND, "%s not found", what) }

func (f *fakeStore) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeStore) CreateUser(_ context.Context, u *coffer.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := [2]string{u.Issuer, u.Subject}
	if _, ok := f.byIdent[k]; ok {
		return coffer.Errorf(coffer.ECONFLICT, "identity taken")
	}
	c := *u
	f.users[u.ID], f.byIdent[k] = &c, u.ID
	return nil
}

func (f *fakeStore) User(_ context.Context, id string) (*coffer.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, notFound("user")
	}
	c := *u
	return &c, nil
}

func (f *fakeStore) UserByIdentity(ctx context.Context, issuer, subject string) (*coffer.User, error) {
	f.mu.Lock()
	id, ok := f.byIdent[[2]string{issuer, subject}]
	f.mu.Unlock()
	if !ok {
		return nil, notFound("user")
	}
	return f.User(ctx, id)
}

func (f *fakeStore) CreateAPIKey(_ context.Context, k *coffer.APIKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.keys[k.ID]; ok {
		return coffer.Errorf(coffer.ECONFLICT, "api key id taken")
	}
	c := *k
	f.keys[k.ID] = &c
	return nil
}

func (f *fakeStore) APIKey(_ context.Context, id string) (*coffer.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["APIKey"]++
	k, ok := f.keys[id]
	if !ok {
		return nil, notFound("api key")
	}
	c := *k
	return &c, nil
}

func (f *fakeStore) CreateNonce(_ context.Context, nonce string, exp time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nonces[nonce] = exp
	return nil
}

func (f *fakeStore) ConsumeNonce(_ context.Context, nonce string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.nonces[nonce]
	delete(f.nonces, nonce)
	if !ok || !now.Before(exp) {
		return notFound("nonce")
	}
	return nil
}

func (f *fakeStore) CreateSession(_ context.Context, s *coffer.Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *s
	f.sessions[s.ID] = &c
	return nil
}

func (f *fakeStore) Session(_ context.Context, id string) (*coffer.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Session"]++
	s, ok := f.sessions[id]
	if !ok {
		return nil, notFound("session")
	}
	c := *s
	return &c, nil
}

func (f *fakeStore) RotateSession(_ context.Context, id string, oldHash, newHash []byte, now, exp time.Time) error {
	if f.beforeRotate != nil {
		f.beforeRotate()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[id]
	if !ok || s.RevokedAt != nil || !now.Before(s.ExpiresAt) || !bytes.Equal(s.RefreshHash, oldHash) {
		return notFound("session")
	}
	s.RefreshHash, s.ExpiresAt = newHash, exp
	return nil
}

func (f *fakeStore) RevokeSession(_ context.Context, id string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[id]
	if !ok {
		return notFound("session")
	}
	if s.RevokedAt == nil {
		s.RevokedAt = &at
	}
	return nil
}
