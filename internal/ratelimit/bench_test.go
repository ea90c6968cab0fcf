package ratelimit

import (
	"context"
	"testing"
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
