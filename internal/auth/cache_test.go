package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/store"
)

var errStore = errors.New("store down")

func TestNewKeyCacheLoadsEveryKey(t *testing.T) {
	src := newFakeSource()
	secrets := map[string]string{}
	for _, name := range []string{"a", "b", "c"} {
		s, k := newKey(name)
		src.put(k)
		secrets[name] = s
	}
	c := newCache(t, src)
	if got := c.Len(); got != 3 {
		t.Errorf("Len: got %d, want 3", got)
	}
	a := auth.New(auth.Options{Required: true, Keys: c})
	for name, s := range secrets {
		if k, code := keyOf(t, a, s); k == nil || k.Name != name {
			t.Errorf("key %s: got %+v (%s), want the key", name, k, code)
		}
	}
}

func TestNewKeyCacheFails(t *testing.T) {
	src := newFakeSource()
	src.fail(errStore)
	c, err := auth.NewKeyCache(t.Context(), src, auth.KeyCacheOptions{})
	if !errors.Is(err, errStore) || c != nil {
		t.Errorf("got %v, %v; want nil and an error wrapping %v", c, err, errStore)
	}
}

// TestKeyCacheSync changes the store behind a loaded cache and checks that
// the cache knows only after Sync.
func TestKeyCacheSync(t *testing.T) {
	tests := []struct {
		name string
		// change edits the store; it returns the secrets that must work
		// after the sync and those that must be refused, with the code.
		change   func(src *fakeSource, secret string, k *store.Key) (works []string, refused map[string]string)
		checkKey func(t *testing.T, k *store.Key)
		// wantLen is the number of keys held after the sync.
		wantLen int
	}{
		{
			name: "created",
			change: func(src *fakeSource, secret string, _ *store.Key) ([]string, map[string]string) {
				s, k := newKey("new")
				src.put(k)
				return []string{secret, s}, nil
			},
			wantLen: 2,
		},
		{
			name: "changed",
			change: func(src *fakeSource, secret string, k *store.Key) ([]string, map[string]string) {
				c := *k
				c.RPM, c.Models = 7, []string{"claude"}
				src.put(&c)
				return []string{secret}, nil
			},
			checkKey: func(t *testing.T, k *store.Key) {
				t.Helper()
				if k.RPM != 7 || !cmp.Equal(k.Models, []string{"claude"}) {
					t.Errorf("got RPM %d, models %v; want 7, [claude]", k.RPM, k.Models)
				}
			},
			wantLen: 1,
		},
		{
			name: "revoked",
			change: func(src *fakeSource, secret string, k *store.Key) ([]string, map[string]string) {
				c := *k
				c.RevokedAt = time.Now()
				src.put(&c)
				return nil, map[string]string{secret: "invalid_api_key"}
			},
			wantLen: 1,
		},
		{
			name: "rotated",
			change: func(src *fakeSource, secret string, k *store.Key) ([]string, map[string]string) {
				s, c := rotated(k)
				src.put(c)
				return []string{s}, map[string]string{secret: "invalid_api_key"}
			},
			wantLen: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newFakeSource()
			secret, k := newKey("k")
			k = src.put(k)
			c := newCache(t, src)
			a := auth.New(auth.Options{Required: true, Keys: c})
			works, refused := tt.change(src, secret, k)

			if got, _ := keyOf(t, a, secret); got == nil || got.Revision != k.Revision {
				t.Fatalf("before Sync: got %+v, want the key as loaded (revision %d)", got, k.Revision)
			}
			if err := c.Sync(t.Context()); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			for _, s := range works {
				got, code := keyOf(t, a, s)
				if got == nil {
					t.Fatalf("after Sync: got %s, want a key", code)
				}
				if tt.checkKey != nil {
					tt.checkKey(t, got)
				}
			}
			for s, want := range refused {
				if got, code := keyOf(t, a, s); code != want {
					t.Errorf("after Sync: got %+v %q, want %q", got, code, want)
				}
			}
			if got := c.Len(); got != tt.wantLen {
				t.Errorf("Len: got %d, want %d", got, tt.wantLen)
			}
		})
	}
}

func TestKeyCacheSyncFailureKeepsKeys(t *testing.T) {
	src := newFakeSource()
	secret, k := newKey("k")
	src.put(k)
	c := newCache(t, src)
	src.fail(errStore)
	if err := c.Sync(t.Context()); !errors.Is(err, errStore) {
		t.Fatalf("Sync: got %v, want %v", err, errStore)
	}
	a := auth.New(auth.Options{Required: true, Keys: c})
	if got, code := keyOf(t, a, secret); got == nil {
		t.Errorf("after a failed Sync: got %s, want the key still served", code)
	}
	// The next successful Sync still picks up what changed meanwhile.
	s2, k2 := newKey("k2")
	src.put(k2)
	src.fail(nil)
	if err := c.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got, code := keyOf(t, a, s2); got == nil {
		t.Errorf("after recovery: got %s, want the new key", code)
	}
}

func TestKeyCacheApply(t *testing.T) {
	src := newFakeSource()
	c := newCache(t, src)
	a := auth.New(auth.Options{Required: true, Keys: c})

	// A key this process wrote works before any poll.
	secret, k := newKey("k")
	k.Revision = 3
	c.Apply(k)
	if got, code := keyOf(t, a, secret); got == nil {
		t.Fatalf("after Apply: got %s, want the key", code)
	}

	// Rotation: the new secret works and the old digest is gone.
	newSecret, r := rotated(k)
	r.Revision = 4
	c.Apply(r)
	if got, code := keyOf(t, a, newSecret); got == nil {
		t.Errorf("rotated: got %s for the new secret, want the key", code)
	}
	if got, code := keyOf(t, a, secret); code != "invalid_api_key" {
		t.Errorf("rotated: got %+v %q for the old secret, want invalid_api_key", got, code)
	}
	if got := c.Len(); got != 1 {
		t.Errorf("Len after a rotation: got %d, want 1", got)
	}

	// An older copy (a poll that read before the rotation) changes nothing.
	stale := *k
	stale.RPM = 99
	c.Apply(&stale)
	if got, code := keyOf(t, a, newSecret); got == nil || got.Revision != 4 {
		t.Errorf("after an older copy: got %+v %s for the new secret, want revision 4", got, code)
	}
	if got, code := keyOf(t, a, secret); code != "invalid_api_key" {
		t.Errorf("after an older copy: got %+v %q for the old secret, want invalid_api_key", got, code)
	}

	// The same revision again (Apply, then the poll that reads it) is fine.
	again := *r
	c.Apply(&again)
	if got, _ := keyOf(t, a, newSecret); got != &again {
		t.Errorf("same revision: got %p, want the copy applied last %p", got, &again)
	}
}

// TestKeyCacheSyncOlderRevision is a poll that read a key before this
// process rotated it and applied the rotation.
func TestKeyCacheSyncOlderRevision(t *testing.T) {
	src := newFakeSource()
	secret, k := newKey("k")
	k = src.put(k) // revision 1, the poll's copy
	c, err := auth.NewKeyCache(t.Context(), fakeSourceAt{k}, auth.KeyCacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	newSecret, r := rotated(k)
	r.Revision = 2
	c.Apply(r)
	// The source still answers with revision 1, as a read that raced the
	// rotation would.
	if err := c.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.Options{Required: true, Keys: c})
	if got, code := keyOf(t, a, secret); code != "invalid_api_key" {
		t.Errorf("old secret: got %+v %q, want invalid_api_key", got, code)
	}
	if got, code := keyOf(t, a, newSecret); got == nil {
		t.Errorf("new secret: got %s, want the key", code)
	}
}

// fakeSourceAt always returns the same keys, whatever revision is asked.
type fakeSourceAt []*store.Key

func (f fakeSourceAt) KeysChangedSince(_ context.Context, rev int64) ([]*store.Key, int64, error) {
	return f, rev, nil
}

func TestKeyCacheIgnoresMalformedHash(t *testing.T) {
	for _, size := range []int{0, 31, 33, 64} {
		secret := auth.NewSecret()
		d := auth.DigestOf(secret)
		hash := make([]byte, size)
		copy(hash, d[:])
		c := newCache(t, newFakeSource())
		c.Apply(&store.Key{ID: "key_x", Name: "x", Hash: hash, Revision: 1})
		a := auth.New(auth.Options{Required: true, Keys: c})
		if got, code := keyOf(t, a, secret); got != nil {
			t.Errorf("hash of %d bytes: got %+v, want no key (%s)", size, got, code)
		}
	}
}

// scriptedSource answers each read with what the test sends, so a test
// can drive KeyCache.Run one poll at a time.
type scriptedSource struct {
	calls   chan struct{}
	results chan reply
}

// reply is one read's answer.
type reply struct {
	keys []*store.Key
	err  error
}

func (s *scriptedSource) KeysChangedSince(ctx context.Context, rev int64) ([]*store.Key, int64, error) {
	select {
	case s.calls <- struct{}{}:
	case <-ctx.Done():
		return nil, rev, ctx.Err()
	}
	select {
	case r := <-s.results:
		top := rev
		for _, k := range r.keys {
			top = max(top, k.Revision)
		}
		return r.keys, top, r.err
	case <-ctx.Done():
		return nil, rev, ctx.Err()
	}
}

// answer waits for the next read and makes it return r.
func (s *scriptedSource) answer(t *testing.T, r reply) {
	t.Helper()
	s.await(t)
	s.results <- r
}

// await waits for the next read to begin.
func (s *scriptedSource) await(t *testing.T) {
	t.Helper()
	select {
	case <-s.calls:
	case <-time.After(10 * time.Second):
		t.Fatal("the cache did not poll")
	}
}

// logRecorder keeps the level and message of each log record.
type logRecorder struct {
	mu   sync.Mutex
	recs []string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	h.recs = append(h.recs, line)
	return nil
}

func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.recs...)
}

func TestKeyCacheRunLogsOncePerFailureStreak(t *testing.T) {
	src := &scriptedSource{calls: make(chan struct{}), results: make(chan reply)}
	logs := &logRecorder{}
	loaded := make(chan error, 1)
	var c *auth.KeyCache
	go func() {
		var err error
		c, err = auth.NewKeyCache(t.Context(), src, auth.KeyCacheOptions{Refresh: time.Millisecond, Logger: slog.New(logs)})
		loaded <- err
	}()
	src.answer(t, reply{})
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	for _, err := range []error{errStore, errStore, errStore, nil, nil, errStore} {
		src.answer(t, reply{err: err})
	}
	secret, k := newKey("k")
	k.Revision = 1
	src.answer(t, reply{keys: []*store.Key{k}})
	// The next poll has begun, so the last answer has been applied and
	// logged. A poll cut by the cancellation is not a failure to report.
	src.await(t)
	a := auth.New(auth.Options{Required: true, Keys: c})
	if got, code := keyOf(t, a, secret); got == nil {
		t.Errorf("a key a poll returned: got %s, want it served", code)
	}
	cancel()
	<-done

	warn := "WARN cannot refresh API keys; serving the ones held error=read keys: store down"
	info := "INFO API key refresh works again"
	if diff := cmp.Diff([]string{warn, info, warn, info}, logs.lines()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestKeyCacheRunStopsOnCancel(t *testing.T) {
	c := newCache(t, newFakeSource())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}
