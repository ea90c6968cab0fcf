// Package store is Outcrop's database: virtual API keys and the usage
// ledger, in an embedded SQLite file (the default, one process) or in
// PostgreSQL (several replicas sharing one database).
//
// Both dialects run the same SQL: times are integer Unix milliseconds
// (UTC), slices and maps are JSON text, byte strings are hex text, and
// placeholders are written $1, $2, ... which the SQLite driver binds by
// their number too (TestPlaceholdersByNumber pins that).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// Dialects, as Dialect reports them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Errors of the key methods, to be matched with errors.Is.
var (
	// ErrNotFound is returned for a key that does not exist.
	ErrNotFound = errors.New("store: key not found")
	// ErrConflict is returned when a key's ID, name or hash is already
	// taken by another key.
	ErrConflict = errors.New("store: key ID, name or hash already exists")
	// ErrInvalid is returned for a key that breaks a rule of Key's
	// documentation (no name, a hash that is not 32 bytes...).
	ErrInvalid = errors.New("store: invalid key")
)

// Options tune Open; the zero value is the default.
type Options struct {
	// Now is the clock that stamps CreatedAt and UpdatedAt. nil means
	// time.Now.
	Now func() time.Time
}

// DB is an open database. It is safe for concurrent use.
type DB struct {
	dialect string
	// w runs every write. On SQLite it holds one connection, so that the
	// writers of this process queue in Go instead of racing for SQLite's
	// single write lock (and failing with SQLITE_BUSY when a deferred
	// transaction cannot upgrade its lock).
	w *sql.DB
	// r runs reads: a pool of read-only connections on an SQLite file,
	// which WAL lets read while w writes; the same pool as w otherwise.
	r   *sql.DB
	now func() time.Time
	// inserts are the usage INSERTs prepared on w.
	inserts insertCache
}

// Open opens (creating when needed) the database named by url and runs the
// migrations:
//
//   - "postgres://..." or "postgresql://..." is PostgreSQL;
//   - "sqlite:PATH", "file:PATH" or a plain filesystem path is an SQLite
//     file (its parent directory is created with mode 0700, the file with
//     mode 0600). After "sqlite:" or "file:" a '?' starts extra driver
//     parameters (e.g. "?_pragma=cache_size(-8000)"); a plain path is
//     taken whole;
//   - "sqlite::memory:" is an in-memory SQLite database on one shared
//     connection, for tests.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, opts Options) (*DB, error) {
	t, err := parseTarget(url)
	if err != nil {
		return nil, err
	}
	db := &DB{dialect: t.dialect, now: opts.Now}
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.openPools(t); err != nil {
		return nil, err
	}
	if err := db.connect(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", t.redacted, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openPools opens the write and read pools of t.
func (db *DB) openPools(t target) error {
	w, err := sql.Open(t.driver, t.writeDSN)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", t.redacted, err)
	}
	db.w, db.r = w, w
	switch {
	case t.dialect == DialectPostgres:
		w.SetMaxIdleConns(8)
	case t.memory:
		// Every connection to ":memory:" is a database of its own, so the
		// one connection must never be closed while the DB is open.
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
	default:
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		r, err := sql.Open(t.driver, t.readDSN)
		if err != nil {
			w.Close()
			return fmt.Errorf("store: open %s: %w", t.redacted, err)
		}
		r.SetMaxOpenConns(sqliteReaders)
		r.SetMaxIdleConns(sqliteReaders)
		db.r = r
	}
	return nil
}

// connect opens the first connection. Two processes creating one SQLite
// file at once race to convert it to WAL, and the loser gets SQLITE_BUSY
// at once, without the busy timeout (TestConcurrentOpen/sqlite); it tries
// again for as long as the busy timeout would have waited.
func (db *DB) connect(ctx context.Context) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	wait := 5 * time.Millisecond
	for {
		err := db.w.PingContext(ctx)
		if err == nil || db.dialect != DialectSQLite || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// sqliteBusyTimeout is the busy_timeout of sqlitePragmas.
const sqliteBusyTimeout = 5 * time.Second

// sqliteReaders is the size of an SQLite file's read pool.
const sqliteReaders = 8

// Close closes the database.
func (db *DB) Close() error {
	err := errors.Join(db.inserts.close(), db.w.Close())
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Dialect returns DialectSQLite or DialectPostgres.
func (db *DB) Dialect() string { return db.dialect }

// stamp returns the clock's time in the precision the store keeps.
func (db *DB) stamp() time.Time { return fromMS(db.now().UnixMilli()) }

// toMS converts a time to the stored Unix milliseconds; the zero time is
// stored as 0.
func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of toMS; times come back in UTC.
func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
