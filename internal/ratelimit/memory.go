package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/outcrop/outcrop/internal/usage"
)

// sweepEvery is the fewest Allows between two sweeps of idle state; a
// sweep also waits for as many Allows as there are entries, so its cost
// per Allow stays constant however many keys there are.
const sweepEvery = 1024

// Memory is a Limiter for a single process: exact, since one mutex makes
// every check and its charge one step, but each replica of a deployment
// would count on its own (use Redis there). It runs no goroutine: idle
// buckets, released slots and expired budgets are swept from time to time
// by Allow, so memory follows the keys in use, not the keys ever seen.
type Memory struct {
	now      func() time.Time
	leaseTTL time.Duration

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	slots   map[string]leases
	budgets map[string]*counter
	seeding map[string]chan struct{} // closed when the Seed in flight ends
	seq     uint64                   // the last reservation ID
	ops     int                      // Allows since the last sweep
}

type bucketKey struct {
	kind kind
	id   string
}

// bucket is a token bucket; a missing bucket is a full one.
type bucket struct {
	level int64 // units
	stamp int64 // ms of the last refill
	limit int64 // the last limit seen, for sweeping
}

// leases are a concurrency limit's taken slots: reservation ID → expiry
// (ms), so a reservation never settled gives its slot back after LeaseTTL
// as a Redis lease does.
type leases map[string]int64

// counter is a budget's spent plus reserved amount.
type counter struct {
	spent   usage.NanoUSD
	expires int64 // ms; 0 never
}

// NewMemory returns an in-memory limiter.
func NewMemory(opts Options) *Memory {
	opts = opts.withDefaults()
	return &Memory{
		now:      opts.Now,
		leaseTTL: opts.LeaseTTL,
		buckets:  make(map[bucketKey]*bucket),
		slots:    make(map[string]leases),
		budgets:  make(map[string]*counter),
		seeding:  make(map[string]chan struct{}),
	}
}

// Allow implements Limiter. It returns an error only for an invalid
// request or a failed Budget.Seed.
func (m *Memory) Allow(ctx context.Context, req Request) (Decision, *Reservation, error) {
	p, err := newPlan(req)
	if err != nil {
		return Decision{}, nil, err
	}
	if p.empty() {
		return Decision{Allowed: true}, nil, nil
	}
	for {
		d, res, missing := m.try(p, req)
		if missing < 0 {
			return d, res, nil
		}
		if err := m.seed(ctx, p.budgets[missing]); err != nil {
			return Decision{}, nil, err
		}
	}
}

// try decides and charges under the lock, or returns the index of a
// budget that has no counter yet (and -1 otherwise).
func (m *Memory) try(p *plan, req Request) (Decision, *Reservation, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	ms := now.UnixMilli()
	m.maybeSweep(ms)
	st := state{spent: make([]usage.NanoUSD, len(p.budgets))}
	for i, b := range p.budgets {
		c := m.budgets[b.ID]
		if c == nil || c.expired(ms) {
			delete(m.budgets, b.ID)
			return Decision{}, nil, i
		}
		st.spent[i] = c.spent
	}
	st.levels = m.levels(p, ms)
	st.counts = m.counts(p, ms)
	d := decide(p, &st, now)
	if !d.Allowed {
		return d, nil, -1
	}
	m.seq++
	id := strconv.FormatUint(m.seq, 36)
	m.charge(p, id, ms)
	return d, p.reservation(id, req), -1
}

// levels refills the plan's buckets to now.
func (m *Memory) levels(p *plan, ms int64) []int64 {
	levels := make([]int64, len(p.buckets))
	for i, c := range p.buckets {
		b := m.buckets[bucketKey{c.kind, c.id}]
		if b == nil {
			levels[i] = c.limit * unitsPerToken
			continue
		}
		b.level, b.stamp = refill(b.level, b.stamp, ms, c.limit)
		b.limit = c.limit
		levels[i] = b.level
	}
	return levels
}

// counts counts the plan's taken slots, dropping expired leases only
// when a limit looks full, which keeps the common case O(1).
func (m *Memory) counts(p *plan, ms int64) []int64 {
	counts := make([]int64, len(p.conc))
	for i, c := range p.conc {
		ls := m.slots[c.id]
		if int64(len(ls)) >= c.limit {
			ls.expire(ms)
		}
		counts[i] = int64(len(ls))
	}
	return counts
}

// charge takes what an admitted request uses from every limit.
func (m *Memory) charge(p *plan, id string, ms int64) {
	for _, c := range p.buckets {
		k := bucketKey{c.kind, c.id}
		b := m.buckets[k]
		if b == nil {
			b = &bucket{level: c.limit * unitsPerToken, stamp: ms, limit: c.limit}
			m.buckets[k] = b
		}
		b.level -= c.amount
	}
	for _, c := range p.conc {
		ls := m.slots[c.id]
		if ls == nil {
			ls = make(leases)
			m.slots[c.id] = ls
		}
		ls[id] = ms + m.leaseTTL.Milliseconds()
	}
	for _, b := range p.budgets {
		c := m.budgets[b.ID]
		c.spent += p.cost
		c.renew(ms, b.TTL)
	}
}

// SettleLater implements LaterSettler: a settle in memory takes no
// round trip, so it is done, and done called, before it returns.
func (m *Memory) SettleLater(res *Reservation, actual Actual, done func(error)) {
	err := m.Settle(context.Background(), res, actual)
	if done != nil {
		done(err)
	}
}

// Settle implements Limiter. A second Settle of the same *Reservation is a
// no-op; settle the pointer Allow returned, not a copy of it.
func (m *Memory) Settle(_ context.Context, res *Reservation, actual Actual) error {
	if res == nil {
		return nil
	}
	if err := validActual(actual); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if res.settled {
		return nil
	}
	res.settled = true
	ms := m.now().UnixMilli()
	debt := (actual.Tokens - res.Tokens) * unitsPerToken
	for _, l := range res.Limits {
		if l.TPM > 0 && debt != 0 {
			m.settleTokens(l, debt, ms)
		}
		if l.Concurrency > 0 {
			delete(m.slots[l.ID], res.ID)
		}
	}
	for _, b := range res.Budgets {
		// A counter gone since (expired) is seeded again from the
		// ledger, which has the real cost by then.
		if c := m.budgets[b.ID]; c != nil && !c.expired(ms) {
			c.spent += actual.Cost - res.Cost
			c.renew(ms, b.TTL)
		}
	}
	return nil
}

// settleTokens adds debt (a refund when negative) to a TPM bucket; the
// level never exceeds the capacity but may go below 0.
func (m *Memory) settleTokens(l Limit, debt, ms int64) {
	k := bucketKey{kindTokens, l.ID}
	b := m.buckets[k]
	if b == nil {
		if debt < 0 {
			return // swept because full: a refund changes nothing
		}
		b = &bucket{level: l.TPM * unitsPerToken, stamp: ms}
		m.buckets[k] = b
	}
	b.level, b.stamp = refill(b.level, b.stamp, ms, l.TPM)
	b.limit = l.TPM
	b.level = min(b.level-debt, l.TPM*unitsPerToken)
}

func (c *counter) expired(ms int64) bool { return c.expires != 0 && ms >= c.expires }

func (c *counter) renew(ms int64, ttl time.Duration) {
	c.expires = 0
	if ttl > 0 {
		c.expires = ms + ttl.Milliseconds()
	}
}

func (ls leases) expire(ms int64) {
	for id, expires := range ls {
		if ms >= expires {
			delete(ls, id)
		}
	}
}
