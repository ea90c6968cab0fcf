package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/outcrop/outcrop/internal/testservice"
)

func TestParseTarget(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, url   string
		wantDialect string
		wantMemory  bool
		wantFile    string // created by parseTarget; "" for none
	}{
		{"postgres", "postgres://u:pw@db:5432/outcrop", DialectPostgres, false, ""},
		{"postgresql", "PostgreSQL://db/outcrop", DialectPostgres, false, ""},
		{"sqlite memory", "sqlite::memory:", DialectSQLite, true, ""},
		{"file memory", "file::memory:", DialectSQLite, true, ""},
		{"sqlite path", "sqlite:" + dir + "/a/one.db", DialectSQLite, false, dir + "/a/one.db"},
		{"sqlite triple slash", "sqlite://" + dir + "/t/two.db", DialectSQLite, false, dir + "/t/two.db"},
		{"file path", "file:" + dir + "/b/three.db?_pragma=cache_size(-2000)", DialectSQLite, false, dir + "/b/three.db"},
		{"plain path", dir + "/c/d/four.db", DialectSQLite, false, dir + "/c/d/four.db"},
		{"odd characters", dir + "/e?#%/five.db", DialectSQLite, false, dir + "/e?#%/five.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTarget(tt.url)
			if err != nil {
				t.Fatalf("parseTarget: %v", err)
			}
			if got.dialect != tt.wantDialect || got.memory != tt.wantMemory {
				t.Errorf("got dialect %q memory %v, want %q %v", got.dialect, got.memory, tt.wantDialect, tt.wantMemory)
			}
			if strings.Contains(got.redacted, "pw") {
				t.Errorf("redacted name %q shows the password", got.redacted)
			}
			if tt.wantFile == "" {
				return
			}
			checkMode(t, tt.wantFile, 0o600)
			checkMode(t, filepath.Dir(tt.wantFile), 0o700|os.ModeDir)
		})
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: got mode %v, want %v", path, fi.Mode(), want)
	}
}

func TestParseTargetErrors(t *testing.T) {
	for _, url := range []string{"", "sqlite:", "postgres://db:notaport/x"} {
		if _, err := parseTarget(url); err == nil {
			t.Errorf("parseTarget(%q): got no error, want one", url)
		}
	}
}

// TestSQLitePragmas checks the DSN's pragmas reached the connections of
// both pools, and that the read pool cannot write.
func TestSQLitePragmas(t *testing.T) {
	db := openTest(t, "sqlite:"+filepath.Join(t.TempDir(), "outcrop.db"), Options{})
	ctx := context.Background()
	pools := []struct {
		name string
		db   *sql.DB
	}{{"writer", db.w}, {"reader", db.r}}
	checks := []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, p := range pools {
		for _, c := range checks {
			var got string
			if err := p.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatalf("%s PRAGMA %s: %v", p.name, c.pragma, err)
			}
			if got != c.want {
				t.Errorf("%s PRAGMA %s: got %q, want %q", p.name, c.pragma, got, c.want)
			}
		}
	}
	if _, err := db.r.ExecContext(ctx, `UPDATE counters SET value = 7`); err == nil {
		t.Error("the read pool wrote, want it read-only")
	}
}

// TestPlaceholdersByNumber pins what the shared SQL relies on: the SQLite
// driver binds $N to the N-th argument, reused and out of order.
func TestPlaceholdersByNumber(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := openTest(t, b.url(t), Options{})
			var got string
			err := db.r.QueryRowContext(context.Background(),
				`SELECT CAST($2 AS TEXT) || CAST($1 AS TEXT) || CAST($2 AS TEXT)`, "a", "b").Scan(&got)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if got != "bab" {
				t.Errorf("got %q, want %q", got, "bab")
			}
		})
	}
}

// TestOpenTwice runs the migrations on a database that has them.
func TestOpenTwice(t *testing.T) {
	ms, err := loadMigrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends() {
		if b.name == "sqlite-memory" {
			continue // a second Open is a second database
		}
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			first := openTest(t, url, Options{})
			if err := first.CreateKey(context.Background(), testKey("key_a")); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			second := openTest(t, url, Options{})
			if n := migrationsApplied(t, second); n != len(ms) {
				t.Errorf("got %d migrations recorded, want %d", n, len(ms))
			}
			if _, err := second.GetKey(context.Background(), "key_a"); err != nil {
				t.Errorf("GetKey after the second Open: %v", err)
			}
		})
	}
}

func migrationsApplied(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	return n
}

// TestConcurrentOpen is three replicas starting at once on one fresh
// database.
func TestConcurrentOpen(t *testing.T) {
	const replicas = 3
	for _, b := range backends() {
		if b.name == "sqlite-memory" {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			var wg sync.WaitGroup
			dbs := make([]*DB, replicas)
			errs := make([]error, replicas)
			for i := range replicas {
				wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), url) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("replica %d: Open: %v", i, err)
					continue
				}
				defer dbs[i].Close()
			}
			if t.Failed() {
				return
			}
			ms, err := loadMigrations(dbs[0].Dialect())
			if err != nil {
				t.Fatal(err)
			}
			if n := migrationsApplied(t, dbs[0]); n != len(ms) {
				t.Errorf("got %d migrations recorded, want %d", n, len(ms))
			}
		})
	}
}

func TestDialect(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			want := DialectSQLite
			if b.name == "postgres" {
				want = DialectPostgres
			}
			if got := openTest(t, b.url(t), Options{}).Dialect(); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	url := "postgres://postgres@" + testservice.FreePort(t) + "/none?sslmode=disable&connect_timeout=2"
	_, err := Open(context.Background(), url)
	if err == nil {
		t.Fatal("got no error, want one")
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want a connection error", err)
	}
}

func TestLoadMigrations(t *testing.T) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres} {
		ms, err := loadMigrations(dialect)
		if err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		if len(ms) == 0 || ms[0].version != 1 {
			t.Fatalf("%s: got %d migrations, want the first to be version 1", dialect, len(ms))
		}
		for _, m := range ms {
			if strings.Contains(m.sql, "@ROWID@") {
				t.Errorf("%s: migration %s keeps @ROWID@", dialect, m.name)
			}
		}
	}
}

// TestOpenSQLiteSpellings opens files named in each accepted way, odd
// characters and extra DSN parameters included, and finds the data again.
func TestOpenSQLiteSpellings(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, url, path string }{
		{"plain path", dir + "/plain.db", dir + "/plain.db"},
		{"odd characters", dir + "/e?#% x/odd.db", dir + "/e?#% x/odd.db"},
		{"file with parameters", "file:" + dir + "/p.db?_pragma=cache_size(-4000)", dir + "/p.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, tt.url, Options{})
			if err := db.CreateKey(context.Background(), testKey("key_a")); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			again := openTest(t, tt.path, Options{}) // a plain path is taken whole

			if _, err := again.GetKey(context.Background(), "key_a"); err != nil {
				t.Errorf("GetKey through %s: %v", tt.path, err)
			}
		})
	}
}
