package ratelimit

import (
	"context"
	"errors"
	"fmt"

	"github.com/outcrop/outcrop/internal/usage"
)

// ErrInvalid marks a Request or Actual the limiter refuses: a negative or
// out-of-range figure, or a missing ID.
var ErrInvalid = errors.New("invalid rate limit request")

// Ranges. Redis scripts compute in Lua numbers, which are doubles: exact
// for integers up to 2^53 only. Bucket levels are limit × unitsPerToken
// and budget counters are sums of nano-dollars, so both are capped well
// below that.
const (
	// MaxLimit is the largest RPM, TPM, Concurrency or token figure
	// (about 18 billion): its capacity in units is at most 2^50, which
	// leaves room below 2^53 for debts and sums.
	MaxLimit = 1 << 50 / unitsPerToken
	// MaxNanoUSD is the largest budget limit or cost (2^52 nano-dollars,
	// about 4.5 million dollars), so that a counter plus a reservation
	// stays within 2^53.
	MaxNanoUSD usage.NanoUSD = 1 << 52
)

// kind is a bucket's dimension.
type kind uint8

const (
	kindRequests kind = iota
	kindTokens
)

// bucketCheck is one RPM or TPM bucket of a request.
type bucketCheck struct {
	id     string
	kind   kind
	limit  int64 // per minute
	amount int64 // units this request takes
}

// concCheck is one concurrency limit of a request.
type concCheck struct {
	id    string
	limit int64
}

// plan is a validated Request broken into the checks it makes, in the
// order both implementations evaluate them.
type plan struct {
	buckets []bucketCheck
	conc    []concCheck
	budgets []Budget
	tokens  int64
	cost    usage.NanoUSD
}

// state is what the limits hold at decision time, before this request's
// charge: one entry per check of the plan, in its order.
type state struct {
	levels []int64         // bucket levels in units, refilled to now
	counts []int64         // slots taken
	spent  []usage.NanoUSD // budget counters
}

func newPlan(req Request) (*plan, error) {
	if req.Tokens < 0 || req.Tokens > MaxLimit {
		return nil, fmt.Errorf("tokens %d out of range [0, %d]: %w", req.Tokens, int64(MaxLimit), ErrInvalid)
	}
	if req.Cost < 0 || req.Cost > MaxNanoUSD {
		return nil, fmt.Errorf("cost %d out of range [0, %d]: %w", req.Cost, MaxNanoUSD, ErrInvalid)
	}
	p := &plan{
		buckets: make([]bucketCheck, 0, 2*len(req.Limits)),
		conc:    make([]concCheck, 0, len(req.Limits)),
		tokens:  req.Tokens,
		cost:    req.Cost,
	}
	for _, l := range req.Limits {
		if err := validLimit(l); err != nil {
			return nil, err
		}
		if l.RPM > 0 {
			p.buckets = append(p.buckets, bucketCheck{id: l.ID, kind: kindRequests, limit: l.RPM, amount: unitsPerToken})
		}
		if l.TPM > 0 {
			p.buckets = append(p.buckets, bucketCheck{id: l.ID, kind: kindTokens, limit: l.TPM, amount: req.Tokens * unitsPerToken})
		}
		if l.Concurrency > 0 {
			p.conc = append(p.conc, concCheck{id: l.ID, limit: l.Concurrency})
		}
	}
	for _, b := range req.Budgets {
		if b.ID == "" {
			return nil, fmt.Errorf("budget without an ID: %w", ErrInvalid)
		}
		if b.Limit < 0 || b.Limit > MaxNanoUSD {
			return nil, fmt.Errorf("budget %q: limit %d out of range [0, %d]: %w", b.ID, b.Limit, MaxNanoUSD, ErrInvalid)
		}
		if b.TTL < 0 {
			return nil, fmt.Errorf("budget %q: negative TTL %s: %w", b.ID, b.TTL, ErrInvalid)
		}
	}
	p.budgets = req.Budgets
	return p, nil
}

func validLimit(l Limit) error {
	for _, f := range []struct {
		name string
		v    int64
	}{{"rpm", l.RPM}, {"tpm", l.TPM}, {"concurrency", l.Concurrency}} {
		if f.v < 0 || f.v > MaxLimit {
			return fmt.Errorf("limit %q: %s %d out of range [0, %d]: %w", l.ID, f.name, f.v, int64(MaxLimit), ErrInvalid)
		}
	}
	if l.ID == "" && (l.RPM > 0 || l.TPM > 0 || l.Concurrency > 0) {
		return fmt.Errorf("limit without an ID: %w", ErrInvalid)
	}
	return nil
}

func validActual(a Actual) error {
	if a.Tokens < 0 || a.Tokens > MaxLimit {
		return fmt.Errorf("actual tokens %d out of range [0, %d]: %w", a.Tokens, int64(MaxLimit), ErrInvalid)
	}
	if a.Cost < 0 || a.Cost > MaxNanoUSD {
		return fmt.Errorf("actual cost %d out of range [0, %d]: %w", a.Cost, MaxNanoUSD, ErrInvalid)
	}
	return nil
}

// empty reports whether the request limits nothing at all.
func (p *plan) empty() bool {
	return len(p.buckets) == 0 && len(p.conc) == 0 && len(p.budgets) == 0
}

// reservation is what Settle needs of an admitted request, or nil when
// only RPM buckets were charged (they are never given back).
func (p *plan) reservation(id string, req Request) *Reservation {
	res := &Reservation{ID: id, Tokens: p.tokens, Cost: p.cost}
	if len(p.conc) > 0 || len(p.buckets) > 0 {
		res.Limits = make([]Limit, 0, len(req.Limits))
	}
	for _, l := range req.Limits {
		if l.TPM > 0 || l.Concurrency > 0 {
			res.Limits = append(res.Limits, Limit{ID: l.ID, TPM: l.TPM, Concurrency: l.Concurrency})
		}
	}
	if len(req.Budgets) > 0 {
		res.Budgets = make([]ReservedBudget, 0, len(req.Budgets))
	}
	for _, b := range req.Budgets {
		res.Budgets = append(res.Budgets, ReservedBudget{ID: b.ID, TTL: b.TTL})
	}
	if len(res.Limits) == 0 && len(res.Budgets) == 0 {
		return nil
	}
	return res
}

// callSeed runs b.Seed, if any, and checks what it returns.
func callSeed(ctx context.Context, b Budget) (spent usage.NanoUSD, err error) {
	if b.Seed == nil {
		return 0, nil
	}
	spent, err = b.Seed(ctx)
	if err != nil {
		return 0, fmt.Errorf("seed budget %q: %w", b.ID, err)
	}
	if spent < 0 || spent > MaxNanoUSD {
		return 0, fmt.Errorf("seed budget %q: spend %d out of range [0, %d]: %w", b.ID, spent, MaxNanoUSD, ErrInvalid)
	}
	return spent, nil
}
