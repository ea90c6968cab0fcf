package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Seeding. A missing budget counter is created from Budget.Seed, which
// sums the ledger; a lock key makes one replica do it while the others
// wait for the counter, so the ledger is queried once however many
// replicas see the counter missing at once.
const (
	// seedLockTTL frees the lock of a replica that died while seeding.
	seedLockTTL = 10 * time.Second
	// seedPoll is how often a replica waiting for another's seed looks.
	seedPoll = 10 * time.Millisecond
)

// seed makes sure b's counter exists, seeding it here or waiting for the
// replica that holds the lock.
func (r *Redis) seed(ctx context.Context, b Budget) error {
	key := r.budgetKey(b.ID)
	lock := key + ":seed"
	for {
		locked, err := r.client.SetNX(ctx, lock, "1", seedLockTTL).Result()
		if err != nil {
			return fmt.Errorf("lock budget %q for seeding: %w", b.ID, err)
		}
		if locked {
			return r.seedLocked(ctx, b, key, lock)
		}
		if err := pause(ctx, seedPoll); err != nil {
			return fmt.Errorf("wait for the seed of budget %q: %w", b.ID, err)
		}
		n, err := r.client.Exists(ctx, key).Result()
		if err != nil {
			return fmt.Errorf("look for budget %q: %w", b.ID, err)
		}
		if n == 1 {
			return nil
		}
	}
}

func (r *Redis) seedLocked(ctx context.Context, b Budget, key, lock string) error {
	// The lock goes even when ctx is done, or others wait seedLockTTL.
	defer r.client.Del(context.WithoutCancel(ctx), lock)
	if n, err := r.client.Exists(ctx, key).Result(); err != nil || n == 1 {
		// Seeded by the holder before us, between our script and our lock.
		if err != nil {
			return fmt.Errorf("look for budget %q: %w", b.ID, err)
		}
		return nil
	}
	spent, err := callSeed(ctx, b)
	if err != nil {
		return err
	}
	// NX: should the lock have expired under a slow Seed, the first
	// counter written stays (go-redis: expiration 0 means none).
	if err := r.client.SetNX(ctx, key, int64(spent), b.TTL).Err(); err != nil {
		return fmt.Errorf("seed budget %q: %w", b.ID, err)
	}
	return nil
}

// pause waits d or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
