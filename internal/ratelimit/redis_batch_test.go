package ratelimit

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/testservice"
)

// TestBatcherSharesRoundTrips runs many scripts at once through one
// batcher: each caller gets its own reply, every script runs once, fewer
// round trips than scripts are made, and a server that forgot the script
// (SCRIPT FLUSH) is handled inside a batch too.
func TestBatcherSharesRoundTrips(t *testing.T) {
	u, prefix := testservice.Redis(t)
	client := newTestClient(t, u)
	var trips countingHook
	client.AddHook(&trips)
	b := &batcher{client: client}
	incr := redis.NewScript(`return redis.call("INCR", KEYS[1])`)
	key := prefix + "batch"
	t.Cleanup(func() { client.Del(context.Background(), key) })
	ctx := context.Background()
	for round, flush := range []bool{false, true} {
		if flush {
			if err := client.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		trips.reset()
		const n = 64
		replies := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				v, err := b.run(ctx, incr, []string{key}).Int64()
				if err != nil {
					t.Errorf("run: %v", err)
				}
				replies[i] = v
			})
		}
		wg.Wait()
		seen := map[int64]bool{}
		for _, v := range replies {
			if v < int64(round*n+1) || v > int64((round+1)*n) || seen[v] {
				t.Fatalf("round %d: replies %v: want each of %d..%d once", round, replies, round*n+1, (round+1)*n)
			}
			seen[v] = true
		}
		if got, _ := client.Get(ctx, key).Int64(); got != int64((round+1)*n) {
			t.Errorf("round %d: counter %d, want %d", round, got, (round+1)*n)
		}
		if c := trips.count(); c >= n {
			t.Errorf("round %d: %d round trips for %d scripts: want them shared", round, c, n)
		}
		t.Logf("round %d (flushed %v): %d scripts in %d round trips", round, flush, n, trips.count())
	}
}

// countingHook counts the client's round trips: single commands and
// pipelines alike.
type countingHook struct {
	mu sync.Mutex
	n  int
}

func (h *countingHook) reset() { h.mu.Lock(); h.n = 0; h.mu.Unlock() }

func (h *countingHook) count() int { h.mu.Lock(); defer h.mu.Unlock(); return h.n }

func (h *countingHook) add() { h.mu.Lock(); h.n++; h.mu.Unlock() }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.add()
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.add()
		return next(ctx, cmds)
	}
}
