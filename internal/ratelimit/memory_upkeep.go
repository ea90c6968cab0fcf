package ratelimit

import (
	"context"
	"fmt"
)

// seed creates b's counter from b.Seed, calling Seed outside the lock
// (it queries the ledger) and once at a time: callers arriving while a
// Seed is in flight wait for it, then look again.
func (m *Memory) seed(ctx context.Context, b Budget) error {
	m.mu.Lock()
	if c := m.budgets[b.ID]; c != nil {
		m.mu.Unlock()
		return nil
	}
	if wait, ok := m.seeding[b.ID]; ok {
		m.mu.Unlock()
		select {
		case <-wait:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("wait for the seed of budget %q: %w", b.ID, ctx.Err())
		}
	}
	done := make(chan struct{})
	m.seeding[b.ID] = done
	m.mu.Unlock()

	spent, err := callSeed(ctx, b)

	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seeding, b.ID)
	close(done)
	if err != nil {
		return err
	}
	if m.budgets[b.ID] == nil {
		c := &counter{spent: spent}
		c.renew(m.now().UnixMilli(), b.TTL)
		m.budgets[b.ID] = c
	}
	return nil
}

// maybeSweep drops what an absent entry stands for just as well: full
// buckets, limits with no slot taken, expired budgets. It runs once per
// max(sweepEvery, entries) calls, so its cost per call stays constant.
func (m *Memory) maybeSweep(ms int64) {
	m.ops++
	if m.ops < max(sweepEvery, len(m.buckets)+len(m.slots)+len(m.budgets)) {
		return
	}
	m.ops = 0
	for k, b := range m.buckets {
		if level, _ := refill(b.level, b.stamp, ms, b.limit); level >= b.limit*unitsPerToken {
			delete(m.buckets, k)
		}
	}
	for id, ls := range m.slots {
		if ls.expire(ms); len(ls) == 0 {
			delete(m.slots, id)
		}
	}
	for id, c := range m.budgets {
		if c.expired(ms) {
			delete(m.budgets, id)
		}
	}
}
