package store

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// target is a parsed database URL: which driver to open, and how.
type target struct {
	dialect string
	driver  string
	// writeDSN and readDSN are the data source names of the write and
	// read pools; readDSN is empty for PostgreSQL and memory.
	writeDSN, readDSN string
	memory            bool
	// redacted names the database in errors, without a password.
	redacted string
}

// sqlitePragmas are set on every SQLite connection through the DSN, so a
// connection the pool opens later gets them too. busy_timeout comes first
// (the driver runs it first anyway): it is what makes another process's
// write lock a wait instead of SQLITE_BUSY. WAL lets readers run beside
// the writer; synchronous=NORMAL is durable in WAL mode except for the
// last transactions before a power loss, which the ledger can afford.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"

// sqliteWrite makes every transaction of the write pool BEGIN IMMEDIATE:
// it takes the write lock at the start, where busy_timeout can wait for
// it, rather than at the first write, where SQLite fails at once.
const sqliteWrite = "&_txlock=immediate"

// sqliteRead keeps the read pool from writing by mistake.
const sqliteRead = "&_pragma=query_only(1)"

// parseTarget tells the dialect of url and builds its DSNs; for an SQLite
// file it creates the parent directory and the file with private modes.
func parseTarget(rawURL string) (target, error) {
	lower := strings.ToLower(rawURL)
	switch {
	case rawURL == "":
		return target{}, errors.New("store: empty database URL")
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return postgresTarget(rawURL)
	}
	path, query := rawURL, ""
	if rest, ok := cutPrefixFold(rawURL, "sqlite:"); ok {
		path, query = splitQuery(rest)
	} else if rest, ok := cutPrefixFold(rawURL, "file:"); ok {
		path, query = splitQuery(rest)
	}
	if path == ":memory:" {
		return memoryTarget(), nil
	}
	return sqliteTarget(path, query)
}

// memoryTarget is an in-memory SQLite database.
func memoryTarget() target {
	return target{
		dialect:  DialectSQLite,
		driver:   "sqlite",
		writeDSN: ":memory:?" + sqlitePragmas + sqliteWrite,
		memory:   true,
		redacted: "sqlite::memory:",
	}
}

func postgresTarget(rawURL string) (target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, password included; say less.
		return target{}, errors.New("store: malformed PostgreSQL URL")
	}
	return target{
		dialect: DialectPostgres, driver: "pgx", writeDSN: rawURL,
		redacted: u.Redacted(),
	}, nil
}

// sqliteTarget prepares the SQLite file at path; query holds extra DSN
// parameters given by the user, added after Outcrop's own.
func sqliteTarget(path, query string) (target, error) {
	path = strings.TrimPrefix(path, "//") // sqlite:///abs and file:///abs
	if path == "" {
		return target{}, errors.New("store: SQLite URL without a path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return target{}, fmt.Errorf("store: SQLite path %s: %w", path, err)
	}
	if err := createPrivate(abs); err != nil {
		return target{}, err
	}
	// A file: URI, so that a path with '?', '#' or '%' in it stays a path.
	base := (&url.URL{Scheme: "file", Path: abs}).String() + "?" + sqlitePragmas
	if query != "" {
		query = "&" + query
	}
	return target{
		dialect:  DialectSQLite,
		driver:   "sqlite",
		writeDSN: base + sqliteWrite + query,
		readDSN:  base + sqliteRead + query,
		redacted: abs,
	}, nil
}

// createPrivate makes the directory of path (0700) and the empty file
// (0600) when they do not exist, before SQLite would create them with the
// process's umask; keys' hashes and the ledger are nobody else's business.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("store: create database directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: create database file: %w", err)
	}
	return f.Close()
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func splitQuery(s string) (path, query string) {
	path, query, _ = strings.Cut(s, "?")
	return path, query
}
