package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/usage"
)

var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// rec is a usage record of key at t0+at.
func rec(key, model string, at time.Duration, in, out int64, cost usage.NanoUSD) usage.Record {
	return usage.Record{
		Time: t0.Add(at), RequestID: fmt.Sprintf("req-%s-%d", key, at), KeyID: key,
		Model: model, Deployment: "bedrock/" + model, Route: "POST /v1/chat/completions",
		Status: 200, Stream: true, InputTokens: in, OutputTokens: out,
		CacheReadTokens: in / 2, CacheWriteTokens: in / 4, Cost: cost, Latency: 1500 * time.Microsecond,
	}
}

func TestSpend(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			recs := []usage.Record{
				rec("key_a", "sonnet", 0, 100, 10, 1000),
				rec("key_a", "sonnet", time.Hour-time.Millisecond, 200, 20, 2000),
				rec("key_a", "sonnet", time.Hour, 400, 40, 4000), // exactly at since: counted
				rec("key_a", "nova", 2*time.Hour, 800, 80, 8000),
				rec("key_b", "sonnet", 2*time.Hour, 1600, 160, 16000),
				rec("", "nova", 3*time.Hour, 3200, 320, 32000),
			}
			if err := db.InsertUsage(ctx, recs); err != nil {
				t.Fatalf("InsertUsage: %v", err)
			}
			tests := []struct {
				name  string
				key   string
				since time.Time
				want  Spend
			}{
				{"all of a key", "key_a", time.Time{}, Spend{4, 1500, 150, 750, 375, 15000}},
				{"since is inclusive", "key_a", t0.Add(time.Hour), Spend{2, 1200, 120, 600, 300, 12000}},
				{"a millisecond later", "key_a", t0.Add(time.Hour + time.Millisecond), Spend{1, 800, 80, 400, 200, 8000}},
				{"other key", "key_b", t0, Spend{1, 1600, 160, 800, 400, 16000}},
				{"no key", "", t0, Spend{1, 3200, 320, 1600, 800, 32000}},
				{"unknown key", "key_z", t0, Spend{}},
				{"after everything", "key_a", t0.Add(24 * time.Hour), Spend{}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := db.SpendSince(ctx, tt.key, tt.since)
					if err != nil {
						t.Fatalf("SpendSince: %v", err)
					}
					if diff := cmp.Diff(tt.want, got); diff != "" {
						t.Errorf("SpendSince (-want +got):\n%s", diff)
					}
				})
			}
			byModel, err := db.UsageByModel(ctx, "key_a", t0.Add(time.Hour))
			if err != nil {
				t.Fatalf("UsageByModel: %v", err)
			}
			want := map[string]Spend{
				"sonnet": {1, 400, 40, 200, 100, 4000},
				"nova":   {1, 800, 80, 400, 200, 8000},
			}
			if diff := cmp.Diff(want, byModel); diff != "" {
				t.Errorf("UsageByModel (-want +got):\n%s", diff)
			}
			none, err := db.UsageByModel(ctx, "key_z", time.Time{})
			if err != nil || len(none) != 0 {
				t.Errorf("UsageByModel(unknown key): got %v, %v, want empty, nil", none, err)
			}
		})
	}
}

// TestInsertUsageStoresEveryColumn reads a record back column by column.
func TestInsertUsageStoresEveryColumn(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			r := rec("key_a", "sonnet", 90*time.Second, 10, 5, 777)
			if err := db.InsertUsage(ctx, []usage.Record{r}); err != nil {
				t.Fatalf("InsertUsage: %v", err)
			}
			var got usage.Record
			var timeMS, stream, latencyUS, cost, status int64
			err := db.r.QueryRowContext(ctx, `SELECT `+usageColumns+` FROM usage`).Scan(
				&timeMS, &got.RequestID, &got.KeyID, &got.Model, &got.Deployment, &got.Route,
				&status, &stream, &got.InputTokens, &got.OutputTokens, &got.CacheReadTokens,
				&got.CacheWriteTokens, &cost, &latencyUS)
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			got.Time, got.Status, got.Stream = fromMS(timeMS), int(status), stream == 1
			got.Cost, got.Latency = usage.NanoUSD(cost), time.Duration(latencyUS)*time.Microsecond
			if diff := cmp.Diff(r, got); diff != "" {
				t.Errorf("stored record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInsertUsageLargeBatch spans several INSERT statements.
func TestInsertUsageLargeBatch(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			n := 2*maxRowsPerInsert + 17
			recs := make([]usage.Record, n)
			for i := range recs {
				recs[i] = rec("key_a", "sonnet", time.Duration(i)*time.Millisecond, 1, 2, 3)
			}
			if err := db.InsertUsage(ctx, recs); err != nil {
				t.Fatalf("InsertUsage: %v", err)
			}
			if err := db.InsertUsage(ctx, nil); err != nil {
				t.Fatalf("InsertUsage(nil): %v", err)
			}
			got, err := db.SpendSince(ctx, "key_a", time.Time{})
			if err != nil {
				t.Fatalf("SpendSince: %v", err)
			}
			if want := (Spend{int64(n), int64(n), 2 * int64(n), 0, 0, 3 * usage.NanoUSD(n)}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestInsertUsageConcurrent writes from 8 goroutines into one SQLite
// file, while keys are written and the ledger is read: no SQLITE_BUSY,
// every row there.
func TestInsertUsageConcurrent(t *testing.T) {
	const writers, batches, batchSize = 8, 20, 50
	url := "sqlite:" + filepath.Join(t.TempDir(), "outcrop.db")
	// Half the writers use a second handle on the file, as a second
	// process would, so SQLite's busy timeout is exercised as well as the
	// one-connection write pool.
	handles := []*DB{openTest(t, url, Options{}), openTest(t, url, Options{})}
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range writers {
		db := handles[w%2]
		wg.Go(func() {
			for b := range batches {
				recs := make([]usage.Record, batchSize)
				for i := range recs {
					recs[i] = rec("key_a", "sonnet", time.Duration(w*batches*batchSize+b*batchSize+i), 1, 1, 1)
				}
				if err := db.InsertUsage(ctx, recs); err != nil {
					t.Errorf("writer %d: InsertUsage: %v", w, err)
					return
				}
				if _, err := db.SpendSince(ctx, "key_a", time.Time{}); err != nil {
					t.Errorf("writer %d: SpendSince: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := handles[0].SpendSince(ctx, "key_a", time.Time{})
	if err != nil {
		t.Fatalf("SpendSince: %v", err)
	}
	if want := int64(writers * batches * batchSize); got.Requests != want {
		t.Errorf("got %d rows, want %d", got.Requests, want)
	}
}
