package ratelimit

import (
	"time"

	"github.com/outcrop/outcrop/internal/usage"
)

// denial is one limit that refuses a request.
type denial struct {
	rank   int // 0 none; higher wins: see Decision.LimitID
	reason string
	id     string
	retry  time.Duration
}

const (
	rankWait = 1 + iota
	rankBudget
	rankTooLarge
)

// beats reports whether d is the denial to report rather than o.
func (d denial) beats(o denial) bool {
	if d.rank != o.rank {
		return d.rank > o.rank
	}
	return d.retry > o.retry
}

// decide is the one decision both implementations make from the same
// state, so their answers cannot drift apart. The Redis script makes the
// admit/deny part of it (the comparisons of bucketDenial, concurrency and
// budgetDenial) atomically; Go then derives the details from the state the
// script returns.
func decide(p *plan, st *state, now time.Time) Decision {
	var worst denial
	for i, b := range p.buckets {
		if d := bucketDenial(b, st.levels[i]); d.beats(worst) {
			worst = d
		}
	}
	for i, c := range p.conc {
		d := denial{rank: rankWait, reason: ReasonConcurrency, id: c.id, retry: ConcurrencyRetryAfter}
		if st.counts[i] >= c.limit && d.beats(worst) {
			worst = d
		}
	}
	for i, b := range p.budgets {
		if d := budgetDenial(b, st.spent[i]+p.cost, now); d.beats(worst) {
			worst = d
		}
	}
	d := Decision{Allowed: worst.rank == 0, Reason: worst.reason, LimitID: worst.id, RetryAfter: worst.retry}
	d.Requests, d.Tokens = p.windows(st.levels, d.Allowed)
	d.Budget = p.budgetWindow(st.spent, d.Allowed)
	return d
}

func bucketDenial(b bucketCheck, level int64) denial {
	switch {
	case b.amount > b.limit*unitsPerToken:
		return denial{rank: rankTooLarge, reason: ReasonTooLarge, id: b.id}
	case level < b.amount:
		reason := ReasonRequests
		if b.kind == kindTokens {
			reason = ReasonTokens
		}
		wait := time.Duration(ceilDiv(b.amount-level, b.limit)) * time.Millisecond
		return denial{rank: rankWait, reason: reason, id: b.id, retry: wait}
	}
	return denial{}
}

func budgetDenial(b Budget, after usage.NanoUSD, now time.Time) denial {
	if after <= b.Limit {
		return denial{}
	}
	var wait time.Duration
	if !b.ResetAt.IsZero() {
		wait = max(b.ResetAt.Sub(now), 0)
	}
	return denial{rank: rankBudget, reason: ReasonBudget, id: b.ID, retry: wait}
}

// windows returns the most constrained RPM and TPM windows, after the
// request's charge when it was admitted.
func (p *plan) windows(levels []int64, charged bool) (requests, tokens Window) {
	for i, b := range p.buckets {
		level := levels[i]
		if charged {
			level -= b.amount
		}
		w := window(level, b.limit)
		if b.kind == kindRequests && w.tighter(requests) {
			requests = w
		}
		if b.kind == kindTokens && w.tighter(tokens) {
			tokens = w
		}
	}
	return requests, tokens
}

func (p *plan) budgetWindow(spent []usage.NanoUSD, charged bool) BudgetWindow {
	var tightest BudgetWindow
	for i, b := range p.budgets {
		s := spent[i]
		if charged {
			s += p.cost
		}
		w := BudgetWindow{Limit: b.Limit, Remaining: max(b.Limit-s, 0)}
		if i == 0 || w.tighter(tightest) {
			tightest = w
		}
	}
	return tightest
}

// tighter reports whether w has less of its limit left than than. A
// zero limit counts as fully used.
func (w BudgetWindow) tighter(than BudgetWindow) bool {
	return fraction(w) < fraction(than)
}

func fraction(w BudgetWindow) float64 {
	if w.Limit <= 0 {
		return 0
	}
	return float64(w.Remaining) / float64(w.Limit)
}
