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
// default batch, and reports rows per second. sqlite-memory leaves the
// disk out, which shows the CPU cost; the -partial cases write batches of
// a different size each time (1 to 499 rows), like the ledger's flushes
// on its interval.
func BenchmarkInsertUsage(b *testing.B) {
	const batch = 500
	urls := []struct{ name, url string }{
		{"sqlite", "sqlite:" + filepath.Join(b.TempDir(), "bench.db")},
		{"sqlite-memory", "sqlite::memory:"},
		{"postgres", ""},
	}
	for _, partial := range []bool{false, true} {
		for _, u := range urls {
			name := u.name
			if partial {
				name += "-partial"
			}
			b.Run(name, func(b *testing.B) {
				url := u.url
				if url == "" {
					url = testservice.Postgres(b)
				} else if partial && url != "sqlite::memory:" {
					url = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
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
				rows, n := 0, batch
				for i := 0; b.Loop(); i++ {
					if partial {
						n = 1 + i*37%(batch-1)
					}
					if err := db.InsertUsage(context.Background(), recs[:n]); err != nil {
						b.Fatal(err)
					}
					rows += n
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
