package access

import (
	"time"

	"github.com/outcrop/outcrop/internal/store"
)

// KeyView is a key as the admin API and `outcrop keys --json` show it:
// everything but its digest.
type KeyView struct {
	Object        string            `json:"object"`
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Owner         string            `json:"owner,omitempty"`
	Team          string            `json:"team,omitempty"`
	Hint          string            `json:"hint"`
	Status        string            `json:"status"`
	Models        []string          `json:"models"`
	RPM           int64             `json:"rpm"`
	TPM           int64             `json:"tpm"`
	Concurrency   int64             `json:"concurrency"`
	BudgetUSD     float64           `json:"budget_usd"`
	BudgetPeriod  string            `json:"budget_period,omitempty"`
	BudgetResetAt *time.Time        `json:"budget_reset_at,omitempty"`
	ExpiresAt     *time.Time        `json:"expires_at"`
	RevokedAt     *time.Time        `json:"revoked_at"`
	Metadata      map[string]string `json:"metadata"`
	GuardrailID   string            `json:"guardrail_id,omitempty"`
	// GuardrailVersion goes with GuardrailID.
	GuardrailVersion string    `json:"guardrail_version,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// Key is the secret: present only in the answer that created or
	// rotated it.
	Key string `json:"key,omitempty"`
}

// Status is "active", "revoked" or "expired".
func Status(k *store.Key, now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return "expired"
	}
	return "active"
}

// View returns the shown form of k; secret is "" except on creation and
// rotation.
func View(k *store.Key, secret string, now time.Time) KeyView {
	v := KeyView{
		Object: "api_key", ID: k.ID, Name: k.Name, Owner: k.Owner, Team: k.Team, Hint: k.Hint,
		Status: Status(k, now), Models: k.Models, RPM: k.RPM, TPM: k.TPM, Concurrency: k.Concurrency,
		BudgetUSD: k.Budget.USD(), BudgetPeriod: k.BudgetPeriod,
		BudgetResetAt: timePtr(k.BudgetResetAt), ExpiresAt: timePtr(k.ExpiresAt), RevokedAt: timePtr(k.RevokedAt),
		Metadata: k.Metadata, GuardrailID: k.GuardrailID, GuardrailVersion: k.GuardrailVersion,
		CreatedAt: k.CreatedAt.UTC(), UpdatedAt: k.UpdatedAt.UTC(), Key: secret,
	}
	if v.Models == nil {
		v.Models = []string{}
	}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	return v
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
