package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/testservice"
	"github.com/outcrop/outcrop/internal/usage"
)

// replicas returns n limiters sharing one key prefix, each with a client
// of its own, as n replicas of the gateway would be.
func replicas(t *testing.T, n int, opts Options) []*Redis {
	t.Helper()
	u, prefix := testservice.Redis(t)
	opts.Prefix = prefix
	ls := make([]*Redis, n)
	for i := range ls {
		ls[i] = NewRedis(newTestClient(t, u), opts)
	}
	return ls
}

// roundRobin picks the replicas in turn.
func roundRobin(ls []*Redis) func() Limiter {
	i := 0
	return func() Limiter {
		i++
		return ls[i%len(ls)]
	}
}

func TestRedisExactAcrossReplicas(t *testing.T) {
	ls := replicas(t, 3, Options{})
	req := Request{Limits: []Limit{{ID: "key:a", RPM: 60}}}
	got := hammer(t, 50, 10, roundRobin(ls), req)
	// One request refills every second: allow two for the test's run.
	if got < 60 || got > 62 {
		t.Errorf("got %d admitted by 3 replicas, want 60 (+2 for refill)", got)
	}
}

func TestRedisBudgetAcrossReplicas(t *testing.T) {
	ls := replicas(t, 3, Options{})
	var seeds atomic.Int64
	b := Budget{ID: "key_a:day", Limit: dollar, TTL: time.Hour, Seed: func(context.Context) (usage.NanoUSD, error) {
		seeds.Add(1)
		return 0, nil
	}}
	const reserve = 10 * dollar / 100
	var spent atomic.Int64 // what the admitted requests really cost
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	pick := roundRobin(ls)
	for g := range 30 {
		l := pick()
		wg.Go(func() {
			<-start
			for range 10 {
				d, res, err := l.Allow(context.Background(), Request{Budgets: []Budget{b}, Cost: reserve})
				if err != nil {
					t.Errorf("Allow: %v", err)
					return
				}
				if !d.Allowed {
					continue
				}
				admitted.Add(1)
				cost := reserve * usage.NanoUSD(3+rand.IntN(8)) / 10 // 30–100% of the reservation
				if spent.Add(int64(cost)) > int64(dollar) {
					t.Errorf("goroutine %d: admitted spend reached %v, past the $1.00 budget", g, usage.NanoUSD(spent.Load()))
				}
				if err := l.Settle(context.Background(), res, Actual{Cost: cost}); err != nil {
					t.Errorf("Settle: %v", err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if n := admitted.Load(); n < 10 {
		t.Errorf("got %d admitted, want at least the 10 that fit at worst-case cost", n)
	}
	if n := seeds.Load(); n != 1 {
		t.Errorf("got %d Seed calls across 3 replicas, want 1", n)
	}
	// The counter is exactly the real spend: every reservation was
	// replaced by its cost.
	counter, err := ls[0].client.Get(context.Background(), ls[0].budgetKey(b.ID)).Int64()
	if err != nil {
		t.Fatal(err)
	}
	if counter != spent.Load() {
		t.Errorf("got counter %v, want the real spend %v", usage.NanoUSD(counter), usage.NanoUSD(spent.Load()))
	}
}

func TestRedisSeedOnceAcrossReplicas(t *testing.T) {
	ls := replicas(t, 3, Options{})
	var seeds atomic.Int64
	b := Budget{ID: "key_a:month", Limit: 100 * dollar, Seed: func(context.Context) (usage.NanoUSD, error) {
		seeds.Add(1)
		return 5 * dollar, nil
	}}
	req := Request{Budgets: []Budget{b}, Cost: dollar}
	if got := hammer(t, 30, 1, roundRobin(ls), req); got != 30 {
		t.Errorf("got %d admitted, want 30", got)
	}
	if n := seeds.Load(); n != 1 {
		t.Errorf("got %d Seed calls, want 1", n)
	}
	d, _ := allow(t, ls[0], Request{Budgets: []Budget{b}})
	if want := 100*dollar - 5*dollar - 30*dollar; d.Budget.Remaining != want {
		t.Errorf("got remaining %v, want %v", d.Budget.Remaining, want)
	}
}

// TestRedisLeaseExpiry: the slot of a replica that never settles (it
// crashed) comes back after LeaseTTL, even while another replica keeps
// the key busy (and its sorted set alive). Redis time is real, so the
// test polls until a deadline.
func TestRedisLeaseExpiry(t *testing.T) {
	ls := replicas(t, 2, Options{LeaseTTL: 200 * time.Millisecond})
	crashed, busy := ls[0], ls[1]
	req := Request{Limits: []Limit{{ID: "key:a", Concurrency: 2}}}
	taken := time.Now()
	allow(t, crashed, req) // never settled
	deadline := taken.Add(5 * time.Second)
	for {
		d, mine := allow(t, busy, req)
		if !d.Allowed {
			t.Fatalf("got denied (%s) with one slot free, want allowed", d.Reason)
		}
		d, second := allow(t, busy, req)
		settle(t, busy, mine, Actual{})
		if d.Allowed {
			settle(t, busy, second, Actual{})
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the crashed replica's slot never came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if since := time.Since(taken); since < 150*time.Millisecond {
		t.Errorf("the slot came back after %v, want about the 200 ms LeaseTTL", since)
	}
}

// TestRedisSettleOnce: a copy of a reservation settled through another
// replica is settled once.
func TestRedisSettleOnce(t *testing.T) {
	ls := replicas(t, 2, Options{})
	req := Request{Limits: []Limit{{ID: "key:a", TPM: 60, Concurrency: 2}}, Tokens: 50}
	_, res := allow(t, ls[0], req)
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var cp Reservation
	if err := json.Unmarshal(data, &cp); err != nil {
		t.Fatal(err)
	}
	settle(t, ls[0], res, Actual{Tokens: 10})
	settle(t, ls[0], res, Actual{Tokens: 10})
	settle(t, ls[1], &cp, Actual{Tokens: 10})
	d, _ := allow(t, ls[1], Request{Limits: req.Limits, Tokens: 1})
	// One refund of 40: 60 - 10 - 1.
	checkWindow(t, "tokens", d.Tokens, Window{Limit: 60, Remaining: 49, Reset: 11 * time.Second}, 2*time.Second)
}

// TestRedisKeysExpire: idle state vanishes by itself.
func TestRedisKeysExpire(t *testing.T) {
	l := newTestRedis(t, Options{LeaseTTL: time.Minute})
	_, res := allow(t, l, Request{
		Limits:  []Limit{{ID: "key:a", RPM: 5, TPM: 60, Concurrency: 1}},
		Budgets: []Budget{{ID: "day", Limit: dollar, TTL: time.Hour}, {ID: "total", Limit: dollar}},
		Tokens:  10, Cost: 1,
	})
	checkTTL(t, l, l.prefix+"conc:key:a", time.Second, time.Minute)
	settle(t, l, res, Actual{Tokens: 600}) // a debt of 590: full again in 10 minutes
	for _, tc := range []struct {
		key         string
		least, most time.Duration
	}{
		{l.bucketKey(kindRequests, "key:a"), time.Minute, 2 * time.Minute},
		{l.bucketKey(kindTokens, "key:a"), 10 * time.Minute, 12 * time.Minute},
		{l.budgetKey("day"), 59 * time.Minute, time.Hour},
		{l.prefix + "settled:" + res.ID, time.Second, SettleMarkerTTL},
	} {
		checkTTL(t, l, tc.key, tc.least, tc.most)
	}
	if ttl, err := l.client.PTTL(context.Background(), l.budgetKey("total")).Result(); err != nil || ttl != -1 {
		t.Errorf("total budget: got TTL %v (error %v), want none (-1)", ttl, err)
	}
}

func checkTTL(t *testing.T, l *Redis, key string, least, most time.Duration) {
	t.Helper()
	ttl, err := l.client.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < least || ttl > most {
		t.Errorf("%s: got TTL %v, want between %v and %v", key, ttl, least, most)
	}
}

// TestRedisDown: an unreachable Redis is an error, never an admission.
func TestRedisDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: testservice.FreePort(t), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	l := NewRedis(c, Options{})
	d, res, err := l.Allow(context.Background(), Request{Limits: []Limit{{ID: "key:a", RPM: 5}}})
	if err == nil || d.Allowed || res != nil {
		t.Errorf("got allowed %v, reservation %v, error %v; want an error", d.Allowed, res, err)
	}
	res = &Reservation{ID: "r", Limits: []Limit{{ID: "key:a", Concurrency: 1}}}
	if err := l.Settle(context.Background(), res, Actual{}); err == nil {
		t.Error("Settle: got no error, want one")
	}
	if res.settled {
		t.Error("a failed Settle marked the reservation settled, so a retry would do nothing")
	}
	errc := make(chan error, 1)
	l.SettleLater(res, Actual{}, func(err error) { errc <- err })
	if err := <-errc; err == nil {
		t.Error("SettleLater: got no error, want one")
	}
	if res.settled {
		t.Error("a failed SettleLater marked the reservation settled, so a retry would do nothing")
	}
	l.SettleLater(res, Actual{}, nil) // no done: the error has nowhere to go, and nothing panics
	if err := l.Flush(context.Background()); err != nil {
		t.Errorf("Flush: %v", err)
	}
}

// TestRedisRefill: a bucket in Redis refills with the server's time, as
// the one in memory does with its clock. TPM 6000 refills a token every
// 10 ms.
func TestRedisRefill(t *testing.T) {
	l := newTestRedis(t, Options{})
	limits := []Limit{{ID: "key:a", TPM: 6000}}
	before := time.Now()
	_, res := allow(t, l, Request{Limits: limits, Tokens: 6000}) // empties the bucket
	drained := time.Now()
	settle(t, l, res, Actual{Tokens: 6000})
	if d, _ := allow(t, l, Request{Limits: limits, Tokens: 100}); d.Allowed {
		t.Fatal("100 tokens admitted right after the bucket was emptied, want denied")
	}
	time.Sleep(300 * time.Millisecond)
	asked := time.Now()
	d, _ := allow(t, l, Request{Limits: limits, Tokens: 1})
	answered := time.Now()
	if !d.Allowed {
		t.Fatalf("got denied (%s) 300 ms after emptying, want allowed", d.Reason)
	}
	// The refill is the server's time between the two scripts, which
	// lies between these bounds (a token per 10 ms); Remaining is after
	// this request's token.
	least := int64(asked.Sub(drained)/(10*time.Millisecond)) - 2
	most := int64(answered.Sub(before)/(10*time.Millisecond)) + 1
	if got := d.Tokens.Remaining; got < least || got > most {
		t.Errorf("got %d tokens remaining, want between %d and %d", got, least, most)
	}
}

// TestLuaBucket runs the scripts' refill, load and store on Redis for
// cases at and around their edges and at random, and compares them with
// refill in bucket.go and with what was stored.
func TestLuaBucket(t *testing.T) {
	l := newTestRedis(t, Options{})
	key := l.prefix + "lua-bucket"
	probe := redis.NewScript(luaCommon + `
local level, stamp, now, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('DEL', KEYS[1])
local absent = {load(KEYS[1], now, limit)}
local rl, rs = refill(level, stamp, now, limit)
store(KEYS[1], level, stamp, limit)
local bl, bs = load(KEYS[1], now, limit)
local h = redis.call('HMGET', KEYS[1], 'l', 't')
return {int(rl), int(rs), int(bl), int(bs), int(absent[1]), int(absent[2]), h[1] .. ' ' .. h[2], redis.call('PTTL', KEYS[1])}
`)
	type tc struct{ level, stamp, now, limit int64 }
	const epoch = 1_765_000_000_000 // a recent time in milliseconds
	cases := []tc{
		{0, epoch, epoch, 1},
		{0, epoch, epoch + 1, 1},
		{-5, epoch, epoch - 10, 7},          // a clock gone back
		{60_000*5 + 3, epoch, epoch + 1, 5}, // above the capacity
		{60_000 * MaxLimit, epoch, epoch + 9, MaxLimit},
		{-60_000 * MaxLimit, epoch, epoch + 1, MaxLimit},
		{-60_000 * MaxLimit, epoch, epoch + 120_000, MaxLimit},
		{1, epoch, epoch + 59_999, 1},
		{1, epoch, epoch + 60_000, 1},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		limit := 1 + rng.Int64N(MaxLimit)
		if rng.IntN(2) == 0 {
			limit = 1 + rng.Int64N(10_000)
		}
		capacity := limit * unitsPerToken
		cases = append(cases, tc{
			level: rng.Int64N(3*capacity) - 2*capacity,
			stamp: epoch + rng.Int64N(1000),
			now:   epoch + rng.Int64N(200_000),
			limit: limit,
		})
	}
	for _, c := range cases {
		got, err := probe.Run(context.Background(), l.client, []string{key}, c.level, c.stamp, c.now, c.limit).Slice()
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		str := func(i int) string { s, _ := got[i].(string); return s }
		wl, ws := refill(c.level, c.stamp, c.now, c.limit)
		if want := fmt.Sprint(wl, ws); str(0)+" "+str(1) != want || str(2)+" "+str(3) != want {
			t.Errorf("%+v: Lua refill %s %s, stored and loaded %s %s; want %s", c, str(0), str(1), str(2), str(3), want)
		}
		if want := fmt.Sprint(c.limit*unitsPerToken, c.now); str(4)+" "+str(5) != want {
			t.Errorf("%+v: an absent bucket is %s %s, want full: %s", c, str(4), str(5), want)
		}
		if want := fmt.Sprint(c.level, c.stamp); str(6) != want {
			t.Errorf("%+v: stored %q, want %q", c, str(6), want)
		}
		ttl, _ := got[7].(int64)
		wantTTL := max(120_000, ceilDiv(max(c.limit*unitsPerToken-c.level, 0), c.limit)+60_000)
		if ttl > wantTTL || ttl < wantTTL-1000 {
			t.Errorf("%+v: TTL %d ms, want %d", c, ttl, wantTTL)
		}
	}
}
