package store

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/usage"
)

// cachedRows lists the row counts db keeps prepared, sorted.
func cachedRows(db *DB) []int {
	db.inserts.mu.Lock()
	defer db.inserts.mu.Unlock()
	var rows []int
	for _, e := range db.inserts.entries {
		rows = append(rows, e.rows)
	}
	slices.Sort(rows)
	return rows
}

// recsOf returns n records of key, at distinct times from at on.
func recsOf(key string, at, n int) []usage.Record {
	recs := make([]usage.Record, n)
	for i := range recs {
		recs[i] = rec(key, "sonnet", time.Duration(at+i)*time.Millisecond, 1, 2, 3)
	}
	return recs
}

// TestInsertUsagePrepared writes batches the cache takes and batches it
// does not, and finds every row.
func TestInsertUsagePrepared(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			written := 0
			insert := func(n int) {
				t.Helper()
				if err := db.InsertUsage(ctx, recsOf("key_a", written, n)); err != nil {
					t.Fatalf("InsertUsage(%d records): %v", n, err)
				}
				written += n
			}
			steps := []struct {
				rows int
				want []int // cached row counts after
			}{
				{500, nil},               // once: not cached
				{500, []int{500}},        // twice in a row: cached
				{500, []int{500}},        // from the cache
				{63, []int{500}},         // too small, even twice
				{63, []int{500}},         //
				{2500, []int{500, 1000}}, // 1000 always, 500 from the cache
				{1200, []int{500, 1000}}, // 200 once
				{1200, []int{200, 500, 1000}},
				{1000, []int{200, 500, 1000}},
			}
			for _, s := range steps {
				insert(s.rows)
				if got := cachedRows(db); !slices.Equal(got, s.want) {
					t.Fatalf("after a batch of %d: cached %v, want %v", s.rows, got, s.want)
				}
			}
			got, err := db.SpendSince(ctx, "key_a", time.Time{})
			if err != nil {
				t.Fatalf("SpendSince: %v", err)
			}
			n := int64(written)
			if want := (Spend{n, n, 2 * n, 0, 0, 3 * usage.NanoUSD(n)}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestInsertCacheEvicts keeps maxCachedInserts statements, and never
// closes one a call still holds.
func TestInsertCacheEvicts(t *testing.T) {
	db := openTest(t, "sqlite::memory:", Options{})
	ctx := context.Background()
	c := &db.inserts
	held := c.get(ctx, db, maxRowsPerInsert)
	if held == nil {
		t.Fatal("get(maxRowsPerInsert) = nil")
	}
	for i := range maxCachedInserts {
		n := 100 + i
		if e := c.get(ctx, db, n); e != nil {
			t.Fatalf("get(%d) the first time = %d, want nil", n, e.rows)
		}
		c.release(c.get(ctx, db, n))
	}
	if got, want := cachedRows(db), []int{100, 101, 102, 103}; !slices.Equal(got, want) {
		t.Fatalf("cached %v, want %v", got, want)
	}
	if !held.evicted {
		t.Fatal("the least recently used entry was not evicted")
	}
	// Still open: it runs until released.
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	args := make([]any, 0, maxRowsPerInsert*usageColumnCount)
	for _, r := range recsOf("key_a", 0, maxRowsPerInsert) {
		args = appendUsageRow(args, &r)
	}
	if _, err := tx.StmtContext(ctx, held.stmt).ExecContext(ctx, args...); err != nil {
		t.Fatalf("exec of the evicted, held statement: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	c.release(held)
	if _, err := held.stmt.ExecContext(ctx, args...); err == nil {
		t.Error("the evicted statement is still open after its release")
	}
}

// TestInsertUsageAfterClose fails as it did before the cache: the
// statements are closed with the DB.
func TestInsertUsageAfterClose(t *testing.T) {
	db, err := Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		if err := db.InsertUsage(ctx, recsOf("key_a", 0, 500)); err != nil {
			t.Fatalf("InsertUsage: %v", err)
		}
	}
	st := db.inserts.entries[0].stmt
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if len(db.inserts.entries) != 0 || !db.inserts.closed {
		t.Error("cache not emptied by Close")
	}
	if _, err := st.ExecContext(ctx); err == nil {
		t.Error("cached statement still open after Close")
	}
	err = db.InsertUsage(ctx, recsOf("key_a", 0, 500))
	if want := "store: insert 500 usage records: begin: sql: database is closed"; err == nil || err.Error() != want {
		t.Errorf("InsertUsage after Close: %v, want %s", err, want)
	}
}

// TestInsertUsagePreparedConcurrent writes batches of sizes that come in
// and out of the cache from several goroutines (run it with -race).
func TestInsertUsagePreparedConcurrent(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			const writers, batches = 4, 12
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range batches {
						// Each size twice in a row, more sizes than the
						// cache keeps.
						n := 64 + (w+i/2)%(maxCachedInserts+2)
						if err := db.InsertUsage(ctx, recsOf("key_a", (w*batches+i)*1000, n)); err != nil {
							t.Errorf("writer %d: InsertUsage(%d): %v", w, n, err)
							return
						}
					}
				})
			}
			wg.Wait()
			want := int64(0)
			for w := range writers {
				for i := range batches {
					want += int64(64 + (w+i/2)%(maxCachedInserts+2))
				}
			}
			got, err := db.SpendSince(ctx, "key_a", time.Time{})
			if err != nil {
				t.Fatalf("SpendSince: %v", err)
			}
			if got.Requests != want {
				t.Errorf("got %d rows, want %d", got.Requests, want)
			}
			if n := len(cachedRows(db)); n > maxCachedInserts {
				t.Errorf("%d statements cached, want at most %d", n, maxCachedInserts)
			}
		})
	}
}
