package ratelimit

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/testservice"
)

// benchRequest is one key with every kind of limit and a budget, sized so
// that no request of a benchmark is ever denied.
func benchRequest() Request {
	return Request{
		Limits:  []Limit{{ID: "key:bench", RPM: MaxLimit, TPM: MaxLimit, Concurrency: 1 << 20}},
		Budgets: []Budget{{ID: "key_bench:day", Limit: MaxNanoUSD}},
		Tokens:  1000,
		Cost:    1000,
	}
}

func allowSettle(b *testing.B, l Limiter, req Request) {
	b.Helper()
	ctx := context.Background()
	d, res, err := l.Allow(ctx, req)
	if err != nil || !d.Allowed {
		b.Fatalf("Allow: got allowed %v (%s), error %v; want allowed", d.Allowed, d.Reason, err)
	}
	if err := l.Settle(ctx, res, Actual{Tokens: 800, Cost: 800}); err != nil {
		b.Fatalf("Settle: %v", err)
	}
}

func BenchmarkMemoryAllowSettle(b *testing.B) {
	l := NewMemory(Options{})
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		allowSettle(b, l, req)
	}
}

func BenchmarkMemoryAllowSettleParallel(b *testing.B) {
	l := NewMemory(Options{})
	req := benchRequest()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			allowSettle(b, l, req)
		}
	})
}

func BenchmarkRedisAllowSettle(b *testing.B) {
	l := newTestRedis(b, Options{})
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		allowSettle(b, l, req)
	}
}

func BenchmarkRedisAllowSettleParallel(b *testing.B) {
	l := newTestRedis(b, Options{})
	req := benchRequest()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			allowSettle(b, l, req)
		}
	})
}

// BenchmarkRedisAllowSettleC16 runs Allow and Settle (or SettleLater,
// as the gateway does) from 16 goroutines, as the gateway does at
// concurrency 16, and reports the round trips and the process's CPU per
// Allow and settle: the figures the group commit is for (ns/op includes
// the wait for Redis).
func BenchmarkRedisAllowSettleC16(b *testing.B) {
	for _, later := range []bool{false, true} {
		name := "Settle"
		if later {
			name = "SettleLater"
		}
		b.Run(name, func(b *testing.B) {
			u, prefix := testservice.Redis(b)
			client := newTestClient(b, u)
			var trips countingHook
			client.AddHook(callHook{trips.add})
			r := NewRedis(client, Options{Prefix: prefix})
			var l Limiter = r
			if later {
				l = laterLimiter{r}
			}
			req := benchRequest()
			allowSettle(b, l, req) // load the scripts
			trips.reset()
			b.ReportAllocs()
			b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			start := processCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if later {
						allowSettleLater(b, r, req)
					} else {
						allowSettle(b, l, req)
					}
				}
			})
			if err := r.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(trips.count())/float64(b.N), "trips/op")
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}

// allowSettleLater is allowSettle with a SettleLater that is not waited
// for, as the gateway's.
func allowSettleLater(b *testing.B, l *Redis, req Request) {
	b.Helper()
	d, res, err := l.Allow(context.Background(), req)
	if err != nil || !d.Allowed {
		b.Fatalf("Allow: got allowed %v (%s), error %v; want allowed", d.Allowed, d.Reason, err)
	}
	l.SettleLater(res, Actual{Tokens: 800, Cost: 800}, func(err error) {
		if err != nil {
			b.Errorf("SettleLater: %v", err)
		}
	})
}

// processCPU returns the process's user and system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
