package access

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/ratelimit"
	"github.com/outcrop/outcrop/internal/store"
	"github.com/outcrop/outcrop/internal/usage"
)

// Keys manages virtual keys for the admin API and the CLI. Every change is
// applied to the local key cache at once (other replicas see it at their
// next refresh).
type Keys struct {
	DB *store.DB
	// Cache is this process's key cache; nil in the CLI.
	Cache *auth.KeyCache
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (k *Keys) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// KeySpec is what a client sets on a key. Nil fields are left as they are
// (on update) or take their default (on create).
type KeySpec struct {
	Name         *string            `json:"name"`
	Owner        *string            `json:"owner"`
	Team         *string            `json:"team"`
	Models       *[]string          `json:"models"`
	RPM          *int64             `json:"rpm"`
	TPM          *int64             `json:"tpm"`
	Concurrency  *int64             `json:"concurrency"`
	BudgetUSD    *float64           `json:"budget_usd"`
	BudgetPeriod *string            `json:"budget_period"`
	ExpiresAt    *time.Time         `json:"expires_at"`
	ExpiresIn    *string            `json:"expires_in"`
	Metadata     *map[string]string `json:"metadata"`
	GuardrailID  *string            `json:"guardrail_id"`
	// GuardrailVersion goes with GuardrailID.
	GuardrailVersion *string `json:"guardrail_version"`
}

// maxMetadata is Bedrock's limit on requestMetadata pairs.
const maxMetadata = 16

// apply sets the spec's fields on key and checks the result, returning
// every problem as one 400.
func (s KeySpec) apply(key *store.Key, now time.Time) error {
	set(&key.Name, s.Name)
	set(&key.Owner, s.Owner)
	set(&key.Team, s.Team)
	set(&key.Models, s.Models)
	set(&key.RPM, s.RPM)
	set(&key.TPM, s.TPM)
	set(&key.Concurrency, s.Concurrency)
	set(&key.BudgetPeriod, s.BudgetPeriod)
	set(&key.Metadata, s.Metadata)
	set(&key.GuardrailID, s.GuardrailID)
	set(&key.GuardrailVersion, s.GuardrailVersion)
	var problems []string
	if s.BudgetUSD != nil {
		if *s.BudgetUSD < 0 || math.IsNaN(*s.BudgetUSD) || math.IsInf(*s.BudgetUSD, 0) {
			problems = append(problems, "budget_usd must be 0 or more")
		} else {
			key.Budget = usage.FromUSD(*s.BudgetUSD)
		}
	}
	if s.ExpiresAt != nil {
		key.ExpiresAt = *s.ExpiresAt
	}
	if s.ExpiresIn != nil {
		d, err := time.ParseDuration(*s.ExpiresIn)
		switch {
		case *s.ExpiresIn == "never":
			key.ExpiresAt = time.Time{}
		case err != nil || d <= 0:
			problems = append(problems, `expires_in must be a positive duration like "720h", or "never"`)
		default:
			key.ExpiresAt = now.Add(d)
		}
	}
	if key.Budget > 0 && key.BudgetPeriod == "" {
		key.BudgetPeriod = PeriodMonth
	}
	problems = append(problems, check(key)...)
	if len(problems) > 0 {
		return &openai.Error{
			Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Code: "invalid_key_spec",
			Message: strings.Join(problems, "; ") + ".",
		}
	}
	return nil
}

func set[T any](field *T, v *T) {
	if v != nil {
		*field = *v
	}
}

func check(key *store.Key) []string {
	var p []string
	if strings.TrimSpace(key.Name) == "" || len(key.Name) > 128 || strings.ContainsAny(key.Name, " \t\r\n") {
		p = append(p, "name is required: up to 128 bytes, no spaces")
	}
	for field, n := range map[string]int64{"rpm": key.RPM, "tpm": key.TPM, "concurrency": key.Concurrency} {
		if n < 0 || n > ratelimit.MaxLimit {
			p = append(p, fmt.Sprintf("%s must be 0 (no limit) up to %d", field, int64(ratelimit.MaxLimit)))
		}
	}
	if key.Budget > ratelimit.MaxNanoUSD {
		p = append(p, fmt.Sprintf("budget_usd must be at most %.0f", ratelimit.MaxNanoUSD.USD()))
	}
	if !ValidPeriod(key.BudgetPeriod) {
		p = append(p, `budget_period must be "day", "month" or "total"`)
	}
	if len(key.Metadata) > maxMetadata {
		p = append(p, fmt.Sprintf("metadata may have at most %d pairs (Bedrock's limit)", maxMetadata))
	}
	if (key.GuardrailID == "") != (key.GuardrailVersion == "") {
		p = append(p, "guardrail_id and guardrail_version go together")
	}
	slices.Sort(p)
	return p
}

// Create makes a key and returns it with its secret, which is shown only
// this once.
func (k *Keys) Create(ctx context.Context, spec KeySpec) (*store.Key, string, error) {
	now := k.now()
	key := &store.Key{ID: auth.NewKeyID()}
	if err := spec.apply(key, now); err != nil {
		return nil, "", err
	}
	secret := auth.NewSecret()
	d := auth.DigestOf(secret)
	key.Hash, key.Hint = d[:], auth.Hint(secret)
	if err := k.DB.CreateKey(ctx, key); err != nil {
		return nil, "", storeError(err, key.Name)
	}
	k.apply(key)
	return key, secret, nil
}

// Get returns a key by ID or name.
func (k *Keys) Get(ctx context.Context, idOrName string) (*store.Key, error) {
	key, err := k.DB.GetKey(ctx, idOrName)
	if err != nil {
		return nil, storeError(err, idOrName)
	}
	return key, nil
}

// List returns every key.
func (k *Keys) List(ctx context.Context) ([]*store.Key, error) {
	keys, err := k.DB.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// Update changes the fields spec sets.
func (k *Keys) Update(ctx context.Context, idOrName string, spec KeySpec) (*store.Key, error) {
	return k.change(ctx, idOrName, func(key *store.Key) error { return spec.apply(key, k.now()) })
}

// Revoke revokes a key; it is refused everywhere from then on. Revoking
// twice keeps the first time.
func (k *Keys) Revoke(ctx context.Context, idOrName string) (*store.Key, error) {
	return k.change(ctx, idOrName, func(key *store.Key) error {
		if key.RevokedAt.IsZero() {
			key.RevokedAt = k.now()
		}
		return nil
	})
}

// ResetBudget starts the key's spend count afresh from now.
func (k *Keys) ResetBudget(ctx context.Context, idOrName string) (*store.Key, error) {
	return k.change(ctx, idOrName, func(key *store.Key) error {
		key.BudgetResetAt = k.now()
		return nil
	})
}

// Rotate gives a key a new secret; the old one stops working at once.
func (k *Keys) Rotate(ctx context.Context, idOrName string) (*store.Key, string, error) {
	secret := auth.NewSecret()
	key, err := k.change(ctx, idOrName, func(key *store.Key) error {
		if !key.RevokedAt.IsZero() {
			return &openai.Error{
				Status: http.StatusConflict, Type: openai.TypeInvalidRequest, Code: "key_revoked",
				Message: "A revoked key cannot be rotated; create a new one.",
			}
		}
		d := auth.DigestOf(secret)
		key.Hash, key.Hint = d[:], auth.Hint(secret)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return key, secret, nil
}

func (k *Keys) change(ctx context.Context, idOrName string, fn func(*store.Key) error) (*store.Key, error) {
	key, err := k.Get(ctx, idOrName)
	if err != nil {
		return nil, err
	}
	if err := fn(key); err != nil {
		return nil, err
	}
	if err := k.DB.UpdateKey(ctx, key); err != nil {
		return nil, storeError(err, key.Name)
	}
	k.apply(key)
	return key, nil
}

func (k *Keys) apply(key *store.Key) {
	if k.Cache != nil {
		k.Cache.Apply(key)
	}
}

// storeError maps the store's sentinels to API errors.
func storeError(err error, name string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &openai.Error{
			Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Code: "key_not_found",
			Message: fmt.Sprintf("No API key has the ID or name %q.", name),
		}
	case errors.Is(err, store.ErrConflict):
		return &openai.Error{
			Status: http.StatusConflict, Type: openai.TypeInvalidRequest, Code: "key_exists",
			Message: fmt.Sprintf("An API key named %q exists already.", name),
		}
	}
	return fmt.Errorf("key store: %w", err)
}

// SpendReport is a key's spend in its current budget period.
type SpendReport struct {
	KeyID        string                `json:"key_id"`
	Period       string                `json:"period"`
	Since        time.Time             `json:"since"`
	ResetsAt     *time.Time            `json:"resets_at"`
	BudgetUSD    float64               `json:"budget_usd"`
	SpentUSD     float64               `json:"spent_usd"`
	RemainingUSD *float64              `json:"remaining_usd"`
	Requests     int64                 `json:"requests"`
	Tokens       TokenCounts           `json:"tokens"`
	ByModel      map[string]ModelSpend `json:"by_model"`
}

// TokenCounts are summed token counts.
type TokenCounts struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read"`
	CacheWrite int64 `json:"cache_write"`
}

// ModelSpend is one model's share of a SpendReport.
type ModelSpend struct {
	Requests int64       `json:"requests"`
	SpentUSD float64     `json:"spent_usd"`
	Tokens   TokenCounts `json:"tokens"`
}

// Spend reports a key's spend from the ledger, over its current budget
// period (all time for a key that never had a period). Requests that
// named no model (GET /v1/models) are under "(no model)". Records still buffered in
// a ledger writer are not counted until written (at most
// storage.ledger_interval later).
func (k *Keys) Spend(ctx context.Context, idOrName string) (*SpendReport, error) {
	key, err := k.Get(ctx, idOrName)
	if err != nil {
		return nil, err
	}
	_, end, since := period(key, k.now())
	byModel, err := k.DB.UsageByModel(ctx, key.ID, since)
	if err != nil {
		return nil, fmt.Errorf("read spend: %w", err)
	}
	r := &SpendReport{KeyID: key.ID, Period: key.BudgetPeriod, Since: since, BudgetUSD: key.Budget.USD(), ByModel: map[string]ModelSpend{}}
	if r.Period == "" {
		r.Period = PeriodTotal
	}
	if !end.IsZero() {
		r.ResetsAt = &end
	}
	var total usage.NanoUSD
	for _, m := range slices.Sorted(maps.Keys(byModel)) {
		s := byModel[m]
		name := m
		if name == "" {
			name = "(no model)"
		}
		tc := TokenCounts{Input: s.InputTokens, Output: s.OutputTokens, CacheRead: s.CacheReadTokens, CacheWrite: s.CacheWriteTokens}
		r.ByModel[name] = ModelSpend{Requests: s.Requests, SpentUSD: s.Cost.USD(), Tokens: tc}
		r.Requests += s.Requests
		r.Tokens.Input += tc.Input
		r.Tokens.Output += tc.Output
		r.Tokens.CacheRead += tc.CacheRead
		r.Tokens.CacheWrite += tc.CacheWrite
		total += s.Cost
	}
	r.SpentUSD = total.USD()
	if key.Budget > 0 {
		rem := max(key.Budget-total, 0).USD()
		r.RemainingUSD = &rem
	}
	return r, nil
}
