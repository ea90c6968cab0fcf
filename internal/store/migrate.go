package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// migrationFiles are the schema's versions, named NNNN_what.sql; a file
// is never edited once released, a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one version of the schema.
type migration struct {
	version int64
	name    string
	sql     string
}

// rowIDType is what @ROWID@ in a migration becomes: the one column type
// the two dialects cannot share.
func rowIDType(dialect string) string {
	if dialect == DialectPostgres {
		return "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	return "INTEGER PRIMARY KEY"
}

// migrationLockKey is the pg_advisory_xact_lock key the migrations of all
// replicas take, so that replicas starting together apply each version
// once. ("outcrop" in ASCII, as a number.)
const migrationLockKey = 0x6f7574_63726f70

// loadMigrations reads the embedded migrations in version order, with
// the dialect's substitutions made.
func loadMigrations(dialect string) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: list migrations: %w", err)
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s is not named NNNN_what.sql", base)
		}
		text, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", base, err)
		}
		sqlText := strings.ReplaceAll(string(text), "@ROWID@", rowIDType(dialect))
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: sqlText})
	}
	slices.SortFunc(ms, func(a, b migration) int { return int(a.version - b.version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("store: two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

// migrate brings the schema up to date, one transaction per version.
// Each transaction first takes the migration lock and then checks whether
// its version is still missing, so several processes may migrate one
// database at once. Versions this binary does not know (a newer replica
// ran them) are left alone.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations(db.dialect)
	if err != nil {
		return err
	}
	err = db.inMigrationTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_ms BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := db.inMigrationTx(ctx, func(tx *sql.Tx) error { return db.apply(ctx, tx, m) }); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// apply runs m in tx unless it was applied already.
func (db *DB) apply(ctx context.Context, tx *sql.Tx, m migration) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)`,
		m.version, m.name, db.now().UnixMilli())
	return err
}

// inMigrationTx runs f in a write transaction holding the migration lock:
// an advisory lock on PostgreSQL, and on SQLite the write lock that BEGIN
// IMMEDIATE takes.
func (db *DB) inMigrationTx(ctx context.Context, f func(*sql.Tx) error) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if db.dialect == DialectPostgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey)); err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		return f(tx)
	})
}

// inTx runs f in a transaction of the write pool, committing when f
// returns nil and rolling back otherwise.
func (db *DB) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
