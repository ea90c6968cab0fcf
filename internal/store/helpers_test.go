package store

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/testservice"
)

// backend is a database a test body runs against.
type backend struct {
	name string
	url  func(t *testing.T) string
}

// backends are every kind of database Open supports.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) string {
			t.Helper()
			return "sqlite:" + filepath.Join(t.TempDir(), "db", "outcrop.db")
		}},
		{"sqlite-memory", func(*testing.T) string { return "sqlite::memory:" }},
		{"postgres", func(t *testing.T) string {
			t.Helper()
			return testservice.Postgres(t)
		}},
	}
}

// open opens a fresh database of the backend whose clock is the
// returned clock.
func (b backend) open(t *testing.T) (*DB, *clock) {
	t.Helper()
	c := newClock()
	return openTest(t, b.url(t), Options{Now: c.Now}), c
}

// openTest opens url and closes it at the end of the test.
func openTest(t *testing.T, url string, opts Options) *DB {
	t.Helper()
	db, err := OpenWith(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("OpenWith(%s): %v", testservice.String(url), err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// clock is a settable clock; it stands still until Set.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hashOf is a key hash for a test secret.
func hashOf(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// testKey is a valid key with every field set.
func testKey(id string) *Key {
	return &Key{
		ID:               id,
		Name:             "name-" + id,
		Owner:            "alice@example.com",
		Team:             "search",
		Hash:             hashOf("secret-" + id),
		Hint:             "sk-oc-…" + id,
		Models:           []string{"claude-sonnet", "nova-lite"},
		RPM:              60,
		TPM:              100_000,
		Concurrency:      4,
		Budget:           25_000_000_000,
		BudgetPeriod:     BudgetMonth,
		BudgetResetAt:    time.Date(2025, 2, 14, 8, 30, 0, 0, time.UTC),
		ExpiresAt:        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Metadata:         map[string]string{"project": "atlas", "cost-centre": "42"},
		GuardrailID:      "gr-abc123",
		GuardrailVersion: "2",
	}
}
