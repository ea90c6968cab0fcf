package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/testservice"
	"github.com/outcrop/outcrop/internal/usage"
)

// BenchmarkInsertUsage writes batches of 500 records, the ledger's
// default batch, and reports rows per second.
func BenchmarkInsertUsage(b *testing.B) {
	const batch = 500
	urls := []struct{ name, url string }{
		{"sqlite", "sqlite:" + filepath.Join(b.TempDir(), "bench.db")},
		{"postgres", ""},
	}
	for _, u := range urls {
		b.Run(u.name, func(b *testing.B) {
			url := u.url
			if url == "" {
				url = testservice.Postgres(b)
			}
			db, err := Open(context.Background(), url)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			recs := make([]usage.Record, batch)
			for i := range recs {
				recs[i] = rec("key_bench", "sonnet", time.Duration(i)*time.Millisecond, 1200, 300, 4500)
			}
			for b.Loop() {
				if err := db.InsertUsage(context.Background(), recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
