package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/store"
)

// fakeSource is a KeySource that numbers the keys put into it as the
// store does: every change takes the next revision.
type fakeSource struct {
	mu   sync.Mutex
	keys map[string]*store.Key
	rev  int64
	err  error
}

var _ auth.KeySource = (*fakeSource)(nil)

func newFakeSource() *fakeSource { return &fakeSource{keys: map[string]*store.Key{}} }

// put stores a copy of k under the next revision and returns the copy.
func (s *fakeSource) put(k *store.Key) *store.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rev++
	c := *k
	c.Revision = s.rev
	s.keys[c.ID] = &c
	return &c
}

// fail makes the next reads fail with err (nil to recover).
func (s *fakeSource) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *fakeSource) KeysChangedSince(_ context.Context, rev int64) ([]*store.Key, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, rev, s.err
	}
	var out []*store.Key
	for _, k := range s.keys {
		if k.Revision > rev {
			c := *k // the cache must not share the source's copy
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *store.Key) int { return int(a.Revision - b.Revision) })
	return out, s.rev, nil
}

// newKey returns a new secret and an active key for it.
func newKey(name string) (string, *store.Key) {
	secret := auth.NewSecret()
	d := auth.DigestOf(secret)
	return secret, &store.Key{ID: auth.NewKeyID(), Name: name, Hash: d[:], Hint: auth.Hint(secret)}
}

// rotated returns a copy of k with a new secret, and the secret.
func rotated(k *store.Key) (string, *store.Key) {
	secret := auth.NewSecret()
	d := auth.DigestOf(secret)
	c := *k
	c.Hash, c.Hint = d[:], auth.Hint(secret)
	return secret, &c
}

// newCache returns a KeyCache loaded from src.
func newCache(t *testing.T, src auth.KeySource) *auth.KeyCache {
	t.Helper()
	c, err := auth.NewKeyCache(t.Context(), src, auth.KeyCacheOptions{})
	if err != nil {
		t.Fatalf("NewKeyCache: %v", err)
	}
	return c
}

// bearer returns a request presenting key as a bearer token.
func bearer(key string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	return r
}

// keyOf authenticates secret against a and returns the virtual key it
// names, or nil with the API error code when it is refused.
func keyOf(t *testing.T, a *auth.Authenticator, secret string) (*store.Key, string) {
	t.Helper()
	p, err := a.Authenticate(bearer(secret))
	if err != nil {
		var oe *openai.Error
		if !errors.As(err, &oe) {
			t.Fatalf("Authenticate: got %T %v, want an *openai.Error", err, err)
		}
		return nil, oe.Code
	}
	return p.Key, ""
}
