package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/testservice"
)

// TestBatcherSharesRoundTrips runs many scripts at once through one
// batcher: each caller gets its own reply, every script runs once, fewer
// round trips than scripts are made, and a server that forgot the script
// (SCRIPT FLUSH) is handled inside a batch too.
func TestBatcherSharesRoundTrips(t *testing.T) {
	client, b, key := newIncrBatcher(t)
	var trips countingHook
	client.AddHook(callHook{trips.add})
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

// incr is the script the batcher tests run: INCR of its key.
var incr = redis.NewScript(`return redis.call("INCR", KEYS[1])`)

// newIncrBatcher returns a client of the test's own, a batcher on it and
// a key under the test's prefix, deleted at the end.
func newIncrBatcher(t *testing.T) (*redis.Client, *batcher, string) {
	t.Helper()
	u, prefix := testservice.Redis(t)
	client := newTestClient(t, u)
	key := prefix + "incr"
	t.Cleanup(func() { client.Del(context.Background(), key) })
	return client, &batcher{client: client}, key
}

// countingHook counts the client's round trips: single commands and
// pipelines alike. Add it as callHook{h.add}.
type countingHook struct {
	mu sync.Mutex
	n  int
}

func (h *countingHook) reset() { h.mu.Lock(); h.n = 0; h.mu.Unlock() }

func (h *countingHook) count() int { h.mu.Lock(); defer h.mu.Unlock(); return h.n }

func (h *countingHook) add() { h.mu.Lock(); h.n++; h.mu.Unlock() }

// callHook calls before ahead of each round trip of the client: single
// commands and pipelines alike.
type callHook struct{ before func() }

func (h callHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h callHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.before()
		return next(ctx, cmd)
	}
}

func (h callHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.before()
		return next(ctx, cmds)
	}
}

// TestBatcherPosted mixes posted and waited-for scripts from many
// goroutines: each runs once, each posted one's then is called once with
// its own reply, wait returns only when all are in, and a goroutine's
// post runs before the script it queues next.
func TestBatcherPosted(t *testing.T) {
	_, b, key := newIncrBatcher(t)
	const goroutines, each = 16, 50
	var mu sync.Mutex
	var replies []int64
	add := func(v int64) {
		mu.Lock()
		replies = append(replies, v)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				var posted int64
				b.post(incr, []string{key}, nil, func(cmd *redis.Cmd) {
					v, err := cmd.Int64()
					if err != nil {
						t.Errorf("posted: %v", err)
					}
					posted = v // read only after run below, which follows it
					add(v)
				})
				v, err := b.run(context.Background(), incr, []string{key}).Int64()
				if err != nil {
					t.Errorf("run: %v", err)
				}
				add(v)
				mu.Lock()
				p := posted
				mu.Unlock()
				if p == 0 || p >= v {
					t.Errorf("posted script replied %d, the one run after it %d: want the posted one first", p, v)
				}
			}
		})
	}
	wg.Wait()
	if err := b.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	const n = 2 * goroutines * each
	if len(replies) != n {
		t.Fatalf("got %d replies, want %d", len(replies), n)
	}
	seen := map[int64]bool{}
	for _, v := range replies {
		if v < 1 || v > n || seen[v] {
			t.Fatalf("reply %d: want each of 1..%d once", v, n)
		}
		seen[v] = true
	}
}

// TestBatcherWait: a script posted while a round trip is in flight
// returns at once, and wait returns only after its then has run.
func TestBatcherWait(t *testing.T) {
	client, b, key := newIncrBatcher(t)
	if err := incr.Load(context.Background(), client).Err(); err != nil {
		t.Fatal(err)
	}
	gate := &holdHook{entered: make(chan struct{}, 1), release: make(chan struct{})}
	client.AddHook(callHook{gate.hold})
	release := sync.OnceFunc(func() { close(gate.release) })
	t.Cleanup(release) // a failed test does not leave the round trip held
	first := make(chan struct{})
	go func() {
		defer close(first)
		b.run(context.Background(), incr, []string{key})
	}()
	<-gate.entered // the first script is in flight, and held
	var thenRan sync.WaitGroup
	thenRan.Add(1)
	var got int64
	b.post(incr, []string{key}, nil, func(cmd *redis.Cmd) {
		got, _ = cmd.Int64()
		thenRan.Done()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.wait(ctx); err == nil {
		t.Fatal("wait returned while the posted script was queued behind a held round trip")
	}
	release()
	if err := b.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	thenRan.Wait() // would block forever had then not run
	if got != 2 {
		t.Errorf("the posted script replied %d, want 2", got)
	}
	<-first
}

// holdHook signals each round trip as it starts and holds it until
// release is closed. Add it as callHook{h.hold}.
type holdHook struct {
	entered chan struct{}
	release chan struct{}
}

func (h *holdHook) hold() {
	select {
	case h.entered <- struct{}{}:
	default:
	}
	<-h.release
}
