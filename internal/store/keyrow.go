package store

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/outcrop/outcrop/internal/usage"
)

// The api_keys columns: the ID, the mutable ones in the order keyArgs
// returns them, then the ones the store sets.
const (
	selectKeySQL = `SELECT id, name, owner, team, hash_hex, hint, models_json, rpm, tpm,
	concurrency, budget_nano, budget_period, budget_reset_ms, expires_ms, revoked_ms,
	metadata_json, guardrail_id, guardrail_version, created_ms, updated_ms, revision
	FROM api_keys`
	insertKeySQL = `INSERT INTO api_keys (id, name, owner, team, hash_hex, hint, models_json,
	rpm, tpm, concurrency, budget_nano, budget_period, budget_reset_ms, expires_ms,
	revoked_ms, metadata_json, guardrail_id, guardrail_version, created_ms, updated_ms,
	revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
	$16, $17, $18, $19, $20, $21)`
	updateKeySQL = `UPDATE api_keys SET name = $2, owner = $3, team = $4, hash_hex = $5,
	hint = $6, models_json = $7, rpm = $8, tpm = $9, concurrency = $10, budget_nano = $11,
	budget_period = $12, budget_reset_ms = $13, expires_ms = $14, revoked_ms = $15,
	metadata_json = $16, guardrail_id = $17, guardrail_version = $18, updated_ms = $19,
	revision = $20 WHERE id = $1 RETURNING created_ms`
)

// keyArgs checks k and returns its mutable fields as column values.
func keyArgs(k *Key) ([]any, error) {
	if err := validateKey(k); err != nil {
		return nil, err
	}
	models, err := json.Marshal(nonNil(k.Models))
	if err != nil {
		return nil, fmt.Errorf("store: key %s models: %w", k.ID, err)
	}
	meta := k.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	metadata, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("store: key %s metadata: %w", k.ID, err)
	}
	return []any{
		k.Name, k.Owner, k.Team, hexOf(k.Hash), k.Hint, string(models),
		k.RPM, k.TPM, k.Concurrency, int64(k.Budget), k.BudgetPeriod,
		toMS(k.BudgetResetAt), toMS(k.ExpiresAt), toMS(k.RevokedAt),
		string(metadata), k.GuardrailID, k.GuardrailVersion,
	}, nil
}

// validateKey returns ErrInvalid with every rule k breaks.
func validateKey(k *Key) error {
	var problems []string
	if k.ID == "" {
		problems = append(problems, "no ID")
	}
	if k.Name == "" {
		problems = append(problems, "no name")
	}
	if len(k.Hash) != HashSize {
		problems = append(problems, fmt.Sprintf("hash is %d bytes, want %d", len(k.Hash), HashSize))
	}
	if k.RPM < 0 || k.TPM < 0 || k.Concurrency < 0 || k.Budget < 0 {
		problems = append(problems, "negative limit or budget")
	}
	switch k.BudgetPeriod {
	case "":
		if k.Budget > 0 {
			problems = append(problems, "budget without a budget period")
		}
	case BudgetDay, BudgetMonth, BudgetTotal:
	default:
		problems = append(problems, fmt.Sprintf("budget period %q is not day, month or total", k.BudgetPeriod))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w %s: %s", ErrInvalid, k.ID, strings.Join(problems, "; "))
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanKey reads one row of selectKeySQL.
func scanKey(row scanner) (*Key, error) {
	var (
		k                             Key
		hashHex, models, metadata     string
		budget                        int64
		resetMS, expiresMS, revokedMS int64
		createdMS, updatedMS          int64
	)
	err := row.Scan(&k.ID, &k.Name, &k.Owner, &k.Team, &hashHex, &k.Hint, &models,
		&k.RPM, &k.TPM, &k.Concurrency, &budget, &k.BudgetPeriod, &resetMS, &expiresMS,
		&revokedMS, &metadata, &k.GuardrailID, &k.GuardrailVersion, &createdMS, &updatedMS,
		&k.Revision)
	if err != nil {
		return nil, err
	}
	if k.Hash, err = hex.DecodeString(hashHex); err != nil {
		return nil, fmt.Errorf("key %s hash: %w", k.ID, err)
	}
	if err := json.Unmarshal([]byte(models), &k.Models); err != nil {
		return nil, fmt.Errorf("key %s models: %w", k.ID, err)
	}
	if err := json.Unmarshal([]byte(metadata), &k.Metadata); err != nil {
		return nil, fmt.Errorf("key %s metadata: %w", k.ID, err)
	}
	// Empty collections come back nil, as they are usually written.
	if len(k.Models) == 0 {
		k.Models = nil
	}
	if len(k.Metadata) == 0 {
		k.Metadata = nil
	}
	k.Budget = usage.NanoUSD(budget)
	k.BudgetResetAt, k.ExpiresAt, k.RevokedAt = fromMS(resetMS), fromMS(expiresMS), fromMS(revokedMS)
	k.CreatedAt, k.UpdatedAt = fromMS(createdMS), fromMS(updatedMS)
	return &k, nil
}

// hexOf is how a hash is stored: hex text, the one byte-string type both
// dialects index alike.
func hexOf(b []byte) string { return hex.EncodeToString(b) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
