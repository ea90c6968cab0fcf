package access

import (
	"fmt"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/store"
)

// TestIDs: the names of the limiter's buckets and budget counters are
// state in Redis, so that they must not change from one version to the
// next; these are the formats they have always had.
func TestIDs(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	since := start.Add(90*time.Minute + 123*time.Millisecond)
	long := "k_" + string(make([]byte, 200)) // past the stack buffer
	for _, id := range []string{"k_abc", "", long} {
		k := &store.Key{ID: id, BudgetPeriod: "month"}
		if got, want := budgetID(k, start, since), fmt.Sprintf("budget:%s:%s:%d:%d", k.ID, k.BudgetPeriod, start.Unix(), since.UnixMilli()); got != want {
			t.Errorf("budgetID: got %q, want %q", got, want)
		}
		for _, lim := range [][2]int64{{0, 0}, {60, 100000}, {1 << 50, 1<<62 + 7}} {
			if got, want := limitID("key:", id, lim[0], lim[1]), fmt.Sprintf("key:%s:%d:%d", id, lim[0], lim[1]); got != want {
				t.Errorf("limitID: got %q, want %q", got, want)
			}
		}
	}
	if got, want := limitID("model:", "claude", 600, 400000), "model:claude:600:400000"; got != want {
		t.Errorf("limitID: got %q, want %q", got, want)
	}
}
