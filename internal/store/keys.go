package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/outcrop/outcrop/internal/usage"
)

// Budget periods of Key.BudgetPeriod.
const (
	BudgetDay   = "day"
	BudgetMonth = "month"
	BudgetTotal = "total"
)

// HashSize is the length of Key.Hash: a SHA-256 digest.
const HashSize = 32

// Key is a virtual API key. The store keeps its hash, never its secret.
type Key struct {
	// ID is the public ID, e.g. "key_2f8K...", chosen by the caller;
	// required and unique.
	ID string
	// Name is unique among keys and required.
	Name  string
	Owner string
	Team  string
	// Hash is the SHA-256 of the secret, HashSize bytes, unique.
	Hash []byte
	// Hint is a short non-secret part of the secret shown in lists, e.g.
	// "sk-oc-…9f3a".
	Hint string
	// Models are the public model names the key may use; empty means all.
	Models []string
	// RPM is requests per minute; 0 means no limit.
	RPM int64
	// TPM is tokens per minute; 0 means no limit.
	TPM int64
	// Concurrency is requests in flight at once; 0 means no limit.
	Concurrency int64
	// Budget is the spend allowed per BudgetPeriod; 0 means none. A
	// budget needs a period.
	Budget usage.NanoUSD
	// BudgetPeriod is BudgetDay, BudgetMonth, BudgetTotal or "" (no
	// budget).
	BudgetPeriod string
	// BudgetResetAt: spend is counted from the later of the current
	// period's start and this time; zero means never reset.
	BudgetResetAt time.Time
	// ExpiresAt is when the key stops working; zero means never.
	ExpiresAt time.Time
	// RevokedAt is when the key was revoked; zero means it is active.
	RevokedAt time.Time
	// Metadata is forwarded to Bedrock as requestMetadata.
	Metadata map[string]string
	// GuardrailID and GuardrailVersion name a Bedrock guardrail applied
	// to the key's requests; "" means none.
	GuardrailID      string
	GuardrailVersion string
	// CreatedAt and UpdatedAt are set by the store, to the millisecond.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Revision is set by the store: the change counter's value at the
	// key's last change.
	Revision int64
}

// CreateKey stores a new key and sets its CreatedAt, UpdatedAt and
// Revision. It returns ErrConflict when the ID, name or hash is taken and
// ErrInvalid for a key breaking a rule of Key's documentation.
func (db *DB) CreateKey(ctx context.Context, k *Key) error {
	args, err := keyArgs(k)
	if err != nil {
		return err
	}
	now := db.stamp()
	var rev int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := nextRevision(ctx, tx)
		if err != nil {
			return err
		}
		rev = r
		row := append(append([]any{k.ID}, args...), toMS(now), toMS(now), rev)
		_, err = tx.ExecContext(ctx, insertKeySQL, row...)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create key %s: %w", k.ID, classify(err))
	}
	k.CreatedAt, k.UpdatedAt, k.Revision = now, now, rev
	return nil
}

// UpdateKey replaces every mutable field of the key with ID k.ID (the
// hash too, which is how a secret is rotated), bumps its Revision and
// sets k's CreatedAt, UpdatedAt and Revision to the stored ones. It
// returns ErrNotFound, ErrConflict or ErrInvalid.
func (db *DB) UpdateKey(ctx context.Context, k *Key) error {
	args, err := keyArgs(k)
	if err != nil {
		return err
	}
	now := db.stamp()
	var rev, createdMS int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := nextRevision(ctx, tx)
		if err != nil {
			return err
		}
		rev = r
		row := append(append([]any{k.ID}, args...), toMS(now), rev)
		return tx.QueryRowContext(ctx, updateKeySQL, row...).Scan(&createdMS)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: update key %s: %w", k.ID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: update key %s: %w", k.ID, classify(err))
	}
	k.CreatedAt, k.UpdatedAt, k.Revision = fromMS(createdMS), now, rev
	return nil
}

// nextRevision takes the next value of the key change counter. On
// PostgreSQL the row stays locked until tx ends, which orders key writes
// by revision across replicas.
func nextRevision(ctx context.Context, tx *sql.Tx) (int64, error) {
	var rev int64
	err := tx.QueryRowContext(ctx,
		`UPDATE counters SET value = value + 1 WHERE name = 'keys' RETURNING value`).Scan(&rev)
	if err != nil {
		return 0, fmt.Errorf("next revision: %w", err)
	}
	return rev, nil
}

// GetKey returns the key whose ID is idOrName or, when there is none, the
// key of that name; ErrNotFound when neither exists.
func (db *DB) GetKey(ctx context.Context, idOrName string) (*Key, error) {
	k, err := scanKey(db.r.QueryRowContext(ctx, selectKeySQL+` WHERE id = $1`, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		k, err = scanKey(db.r.QueryRowContext(ctx, selectKeySQL+` WHERE name = $1`, idOrName))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: key %q: %w", idOrName, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get key: %w", err)
	}
	return k, nil
}

// KeyByHash returns the key whose secret hashes to hash, revoked and
// expired ones included (the caller decides what they mean); ErrNotFound
// when there is none.
func (db *DB) KeyByHash(ctx context.Context, hash []byte) (*Key, error) {
	k, err := scanKey(db.r.QueryRowContext(ctx, selectKeySQL+` WHERE hash_hex = $1`, hexOf(hash)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: key by hash: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: key by hash: %w", err)
	}
	return k, nil
}

// ListKeys returns every key, revoked ones included, ordered by CreatedAt
// and then ID.
func (db *DB) ListKeys(ctx context.Context) ([]*Key, error) {
	keys, err := db.queryKeys(ctx, selectKeySQL+` ORDER BY created_ms, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return keys, nil
}

// KeysChangedSince returns every key whose Revision is above rev (revoked
// ones included), in revision order, and the highest revision in the
// store: rev itself when nothing changed. Replicas poll it (every ~250
// ms) with the revision it last returned; it is one range scan of the
// revision index.
func (db *DB) KeysChangedSince(ctx context.Context, rev int64) ([]*Key, int64, error) {
	keys, err := db.queryKeys(ctx, selectKeySQL+` WHERE revision > $1 ORDER BY revision`, rev)
	if err != nil {
		return nil, rev, fmt.Errorf("store: keys changed since %d: %w", rev, err)
	}
	// Every change of the counter is a key's revision, so the highest key
	// revision is the counter; reading it from the same rows keeps the two
	// answers of one snapshot.
	if len(keys) > 0 {
		rev = keys[len(keys)-1].Revision
	}
	return keys, rev, nil
}

func (db *DB) queryKeys(ctx context.Context, query string, args ...any) ([]*Key, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}
