package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/usage"
)

// The behaviours both implementations share. Limits are chosen so that
// the real time a Redis run takes cannot change a figure (RPM 5 refills
// one request every 12 s, TPM 60 one token a second); durations are
// compared within the harness's slack.

const dollar = usage.NanoUSD(usage.NanoPerUSD)

var behaviours = []struct {
	name string
	run  func(t *testing.T, h harness)
}{
	{"burst to capacity then deny", testBurst},
	{"tokens estimate refunded", testTokensRefund},
	{"tokens underestimate is debt", testTokensDebt},
	{"estimate above capacity is too large", testTooLarge},
	{"concurrency slots taken and released", testConcurrency},
	{"budget reserve settle deny", testBudget},
	{"total budget denies without retry", testTotalBudget},
	{"budget seeded once", testSeedOnce},
	{"budget seed error", testSeedError},
	{"budget seed in flight is waited for", testSeedInFlight},
	{"denial charges nothing", testAllOrNothing},
	{"most constrained windows", testWindows},
	{"nothing to limit", testNothing},
	{"invalid requests", testInvalid},
	{"reservation as JSON", testReservationJSON},
	{"second settle is a no-op", testSettleTwice},
}

func TestMemoryBehaviour(t *testing.T) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) { b.run(t, memoryHarness()) })
	}
}

func TestMemorySettleLaterBehaviour(t *testing.T) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) { b.run(t, memoryLaterHarness()) })
	}
}

func TestRedisBehaviour(t *testing.T) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) { b.run(t, redisHarness()) })
	}
}

func TestRedisSettleLaterBehaviour(t *testing.T) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) { b.run(t, redisLaterHarness()) })
	}
}

func testBurst(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	req := Request{Limits: []Limit{{ID: "key:a", RPM: 5}}}
	for i := range int64(5) {
		d, _ := allow(t, l, req)
		if !d.Allowed {
			t.Fatalf("request %d: got denied (%s), want allowed", i+1, d.Reason)
		}
		checkWindow(t, "requests", d.Requests, Window{Limit: 5, Remaining: 4 - i, Reset: time.Duration(i+1) * 12 * time.Second}, h.slack)
	}
	d, _ := allow(t, l, req)
	checkDenied(t, d, ReasonRequests, "key:a", 12*time.Second, h.slack)
	checkWindow(t, "requests after denial", d.Requests, Window{Limit: 5, Remaining: 0, Reset: time.Minute}, h.slack)
}

func testTokensRefund(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	lim := []Limit{{ID: "key:a", TPM: 60}}
	d, res := allow(t, l, Request{Limits: lim, Tokens: 40})
	checkWindow(t, "tokens", d.Tokens, Window{Limit: 60, Remaining: 20, Reset: 40 * time.Second}, h.slack)
	settle(t, l, res, Actual{Tokens: 10})
	d, _ = allow(t, l, Request{Limits: lim, Tokens: 5})
	// 60 - 10 real - 5 estimated.
	checkWindow(t, "tokens after refund", d.Tokens, Window{Limit: 60, Remaining: 45, Reset: 15 * time.Second}, h.slack)
}

func testTokensDebt(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	lim := []Limit{{ID: "key:a", TPM: 60}}
	_, res := allow(t, l, Request{Limits: lim, Tokens: 40})
	settle(t, l, res, Actual{Tokens: 70}) // the level is now -10
	d, _ := allow(t, l, Request{Limits: lim, Tokens: 1})
	checkDenied(t, d, ReasonTokens, "key:a", 11*time.Second, h.slack)
	checkWindow(t, "tokens in debt", d.Tokens, Window{Limit: 60, Remaining: 0, Reset: 70 * time.Second}, h.slack)
}

func testTooLarge(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	lim := []Limit{{ID: "key:a", RPM: 5, TPM: 60}}
	d, _ := allow(t, l, Request{Limits: lim, Tokens: 61})
	checkDenied(t, d, ReasonTooLarge, "key:a", 0, 0)
	d, _ = allow(t, l, Request{Limits: lim, Tokens: 60})
	if !d.Allowed {
		t.Fatalf("got denied (%s) after a too-large request, want allowed: it must not have charged", d.Reason)
	}
	checkWindow(t, "requests", d.Requests, Window{Limit: 5, Remaining: 4, Reset: 12 * time.Second}, h.slack)
}

func testConcurrency(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	req := Request{Limits: []Limit{{ID: "key:a", Concurrency: 2}}}
	_, r1 := allow(t, l, req)
	_, r2 := allow(t, l, req)
	d, _ := allow(t, l, req)
	checkDenied(t, d, ReasonConcurrency, "key:a", ConcurrencyRetryAfter, 0)
	settle(t, l, r1, Actual{})
	settle(t, l, r1, Actual{}) // idempotent: frees one slot, not two
	if d, _ := allow(t, l, req); !d.Allowed {
		t.Fatalf("got denied (%s) after a release, want allowed", d.Reason)
	}
	d, _ = allow(t, l, req)
	checkDenied(t, d, ReasonConcurrency, "key:a", ConcurrencyRetryAfter, 0)
	settle(t, l, r2, Actual{})
}

func testBudget(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	b := Budget{ID: "key_a:day:2026-12-03", Limit: dollar, ResetAt: h.now().Add(time.Hour), TTL: 25 * time.Hour}
	req := Request{Budgets: []Budget{b}, Cost: 40 * dollar / 100}
	d, first := allow(t, l, req)
	if diff := cmp.Diff(BudgetWindow{Limit: dollar, Remaining: 60 * dollar / 100}, d.Budget); diff != "" {
		t.Errorf("budget after one reservation (-want +got):\n%s", diff)
	}
	allow(t, l, req)
	d, _ = allow(t, l, req)
	checkDenied(t, d, ReasonBudget, b.ID, time.Hour, h.slack)
	if diff := cmp.Diff(BudgetWindow{Limit: dollar, Remaining: 20 * dollar / 100}, d.Budget); diff != "" {
		t.Errorf("budget on denial (-want +got):\n%s", diff)
	}
	settle(t, l, first, Actual{Cost: 10 * dollar / 100}) // 0.1 + 0.4 reserved
	d, _ = allow(t, l, req)
	if !d.Allowed || d.Budget.Remaining != 10*dollar/100 {
		t.Errorf("got allowed %v remaining %v, want allowed with $0.10 left", d.Allowed, d.Budget.Remaining)
	}
}

func testTotalBudget(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	b := Budget{ID: "key_a:total", Limit: dollar}
	d, _ := allow(t, l, Request{Budgets: []Budget{b}, Cost: 2 * dollar})
	checkDenied(t, d, ReasonBudget, b.ID, 0, 0)
}

func testSeedOnce(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	calls := 0
	b := Budget{ID: "key_a:month", Limit: dollar, Seed: func(context.Context) (usage.NanoUSD, error) {
		calls++
		return 70 * dollar / 100, nil
	}}
	req := Request{Budgets: []Budget{b}, Cost: 20 * dollar / 100}
	d, _ := allow(t, l, req)
	if !d.Allowed || d.Budget.Remaining != 10*dollar/100 {
		t.Errorf("got allowed %v remaining %v, want allowed with $0.10 left after the $0.70 seeded", d.Allowed, d.Budget.Remaining)
	}
	d, _ = allow(t, l, req)
	checkDenied(t, d, ReasonBudget, b.ID, 0, 0)
	if calls != 1 {
		t.Errorf("got %d Seed calls, want 1", calls)
	}
}

func testSeedError(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	errLedger := errors.New("ledger down")
	b := Budget{ID: "key_a:month", Limit: dollar, Seed: func(context.Context) (usage.NanoUSD, error) {
		return 0, errLedger
	}}
	_, res, err := l.Allow(context.Background(), Request{Budgets: []Budget{b}, Cost: 1})
	if !errors.Is(err, errLedger) || res != nil {
		t.Errorf("got reservation %v, error %v; want no reservation and %v", res, err, errLedger)
	}
}

// testSeedInFlight: an Allow arriving while a Seed of the same budget is
// in flight waits for it rather than seeding again. The Seed itself makes
// that Allow, with a short deadline, so the two overlap for certain.
func testSeedInFlight(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	var b Budget
	calls := 0
	var nested error
	b = Budget{ID: "key_a:month", Limit: dollar, Seed: func(ctx context.Context) (usage.NanoUSD, error) {
		calls++
		if calls == 1 {
			ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			_, _, nested = l.Allow(ctx, Request{Budgets: []Budget{b}, Cost: 1})
		}
		return 0, nil
	}}
	if d, _ := allow(t, l, Request{Budgets: []Budget{b}, Cost: 1}); !d.Allowed {
		t.Fatalf("got denied (%s), want allowed", d.Reason)
	}
	if calls != 1 || !errors.Is(nested, context.DeadlineExceeded) {
		t.Errorf("got %d Seed calls and nested error %v; want 1 call, the nested Allow waiting until %v",
			calls, nested, context.DeadlineExceeded)
	}
}

func testAllOrNothing(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	key := Limit{ID: "key:k", RPM: 5, TPM: 60, Concurrency: 1}
	model := Limit{ID: "model:m", RPM: 1}
	budget := Budget{ID: "key_k:day", Limit: dollar}
	allow(t, l, Request{Limits: []Limit{model}}) // the model's only request
	d, _ := allow(t, l, Request{Limits: []Limit{key, model}, Budgets: []Budget{budget}, Tokens: 30, Cost: dollar / 2})
	checkDenied(t, d, ReasonRequests, "model:m", time.Minute, h.slack)

	// Nothing of the denied request was charged: all of the key's
	// request, tokens, slot and budget are still there.
	d, res := allow(t, l, Request{Limits: []Limit{key}, Budgets: []Budget{budget}, Tokens: 30, Cost: dollar / 2})
	if !d.Allowed {
		t.Fatalf("got denied (%s by %s), want allowed", d.Reason, d.LimitID)
	}
	checkWindow(t, "requests", d.Requests, Window{Limit: 5, Remaining: 4, Reset: 12 * time.Second}, h.slack)
	checkWindow(t, "tokens", d.Tokens, Window{Limit: 60, Remaining: 30, Reset: 30 * time.Second}, h.slack)
	if d.Budget.Remaining != dollar/2 {
		t.Errorf("got budget remaining %v, want %v", d.Budget.Remaining, dollar/2)
	}

	// A budget denial, while the slot is taken too, is reported as the
	// budget's, and charges the buckets nothing either.
	d, _ = allow(t, l, Request{Limits: []Limit{key}, Budgets: []Budget{budget}, Tokens: 30, Cost: dollar})
	checkDenied(t, d, ReasonBudget, budget.ID, 0, 0)
	settle(t, l, res, Actual{Tokens: 30, Cost: dollar / 2})
	d, _ = allow(t, l, Request{Limits: []Limit{key}, Tokens: 30})
	checkWindow(t, "requests after budget denial", d.Requests, Window{Limit: 5, Remaining: 3, Reset: 24 * time.Second}, h.slack)
	checkWindow(t, "tokens after budget denial", d.Tokens, Window{Limit: 60, Remaining: 0, Reset: time.Minute}, h.slack)
}

func testWindows(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	req := Request{
		Limits: []Limit{
			{ID: "key:k", RPM: 10, TPM: 100},
			{ID: "model:m", RPM: 4, TPM: 1000},
		},
		Budgets: []Budget{{ID: "big", Limit: 10 * dollar}, {ID: "small", Limit: 2 * dollar}},
		Tokens:  50,
		Cost:    dollar,
	}
	d, _ := allow(t, l, req)
	// Requests: key 9/10 left, model 3/4: the model's is tighter.
	checkWindow(t, "requests", d.Requests, Window{Limit: 4, Remaining: 3, Reset: 15 * time.Second}, h.slack)
	// Tokens: key 50/100, model 950/1000: the key's.
	checkWindow(t, "tokens", d.Tokens, Window{Limit: 100, Remaining: 50, Reset: 30 * time.Second}, h.slack)
	if diff := cmp.Diff(BudgetWindow{Limit: 2 * dollar, Remaining: dollar}, d.Budget); diff != "" {
		t.Errorf("budget (-want +got):\n%s", diff)
	}
}

func testNothing(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"empty", Request{Tokens: 10, Cost: 10}},
		{"zero limits", Request{Limits: []Limit{{ID: "key:a"}}}},
		{"requests only", Request{Limits: []Limit{{ID: "key:a", RPM: 5}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, res, err := l.Allow(context.Background(), tc.req)
			if err != nil || !d.Allowed || res != nil {
				t.Errorf("got allowed %v, reservation %v, error %v; want allowed with nothing to settle", d.Allowed, res, err)
			}
		})
	}
	if err := l.Settle(context.Background(), nil, Actual{Tokens: 5}); err != nil {
		t.Errorf("Settle(nil): got %v, want nil", err)
	}
}

func testInvalid(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"negative tokens", Request{Tokens: -1}},
		{"negative cost", Request{Cost: -1}},
		{"cost too large", Request{Cost: MaxNanoUSD + 1}},
		{"negative rpm", Request{Limits: []Limit{{ID: "a", RPM: -1}}}},
		{"tpm too large", Request{Limits: []Limit{{ID: "a", TPM: MaxLimit + 1}}}},
		{"limit without ID", Request{Limits: []Limit{{RPM: 1}}}},
		{"budget without ID", Request{Budgets: []Budget{{Limit: 1}}}},
		{"negative budget", Request{Budgets: []Budget{{ID: "b", Limit: -1}}}},
		{"negative budget TTL", Request{Budgets: []Budget{{ID: "b", Limit: 1, TTL: -time.Second}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := l.Allow(context.Background(), tc.req); !errors.Is(err, ErrInvalid) {
				t.Errorf("got error %v, want %v", err, ErrInvalid)
			}
		})
	}
	_, res := allow(t, l, Request{Limits: []Limit{{ID: "a", Concurrency: 1}}})
	if err := l.Settle(context.Background(), res, Actual{Tokens: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Settle with negative tokens: got error %v, want %v", err, ErrInvalid)
	}
}

func testReservationJSON(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	req := Request{
		Limits:  []Limit{{ID: "key:a", RPM: 5, TPM: 60, Concurrency: 1}},
		Budgets: []Budget{{ID: "key_a:day", Limit: dollar, TTL: time.Hour}},
		Tokens:  50,
		Cost:    dollar,
	}
	_, res := allow(t, l, req)
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Reservation
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, &back, cmp.AllowUnexported(Reservation{})); diff != "" {
		t.Fatalf("reservation after a JSON round trip (-want +got):\n%s", diff)
	}
	settle(t, l, &back, Actual{Tokens: 20, Cost: dollar / 4})
	d, _ := allow(t, l, Request{Limits: req.Limits, Budgets: req.Budgets, Tokens: 30, Cost: dollar / 4})
	if !d.Allowed {
		t.Fatalf("got denied (%s by %s), want the copy's Settle to have freed the slot", d.Reason, d.LimitID)
	}
	checkWindow(t, "tokens", d.Tokens, Window{Limit: 60, Remaining: 10, Reset: 50 * time.Second}, h.slack)
	if d.Budget.Remaining != dollar/2 {
		t.Errorf("got budget remaining %v, want %v", d.Budget.Remaining, dollar/2)
	}
}

func testSettleTwice(t *testing.T, h harness) {
	t.Helper()
	l := h.newLimiter(t, Options{})
	req := Request{
		Limits:  []Limit{{ID: "key:a", TPM: 60}},
		Budgets: []Budget{{ID: "key_a:day", Limit: dollar}},
		Tokens:  50,
		Cost:    dollar / 2,
	}
	_, res := allow(t, l, req)
	settle(t, l, res, Actual{Tokens: 10, Cost: dollar / 10})
	settle(t, l, res, Actual{Tokens: 10, Cost: dollar / 10})
	d, _ := allow(t, l, Request{Limits: req.Limits, Budgets: req.Budgets, Tokens: 1})
	// One refund: 60 - 10 - 1 tokens, $1 - $0.10.
	checkWindow(t, "tokens", d.Tokens, Window{Limit: 60, Remaining: 49, Reset: 11 * time.Second}, h.slack)
	if want := 90 * dollar / 100; d.Budget.Remaining != want {
		t.Errorf("got budget remaining %v, want %v", d.Budget.Remaining, want)
	}
}
