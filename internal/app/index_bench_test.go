package app

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/retrieval/ingest"
)

// BenchmarkIngestDemo measures `outcrop index build`'s engine against the
// demo upstream's embedder, through the router as the CLI calls it: 200
// markdown files of about 2,500 words, chunked at the default 400 tokens.
// It reports chunks and megabytes per second (docs/benchmarks.md).
func BenchmarkIngestDemo(b *testing.B) {
	dir := b.TempDir()
	words := strings.Fields("granite basalt quartz feldspar moon orbit mars phobos deimos bread flour water salt yeast key rotate budget limit model gateway index vector chunk token stream")
	rng := rand.New(rand.NewPCG(1, 2))
	var total int64
	for i := range 200 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "# Document %d\n\n", i)
		for j := range 2500 {
			sb.WriteString(words[rng.IntN(len(words))])
			if j%12 == 11 {
				sb.WriteString(".\n")
			} else {
				sb.WriteByte(' ')
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("doc%03d.md", i)), []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(sb.Len())
	}
	cfg := demoConfig(time.Nanosecond)
	gw, _, err := buildRoutes(context.Background(), cfg, slog.New(slog.DiscardHandler), os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	emb := (&cachedEmbedder{}).forModel(gw.Router, "demo-embed")
	b.SetBytes(total)
	b.ResetTimer()
	var chunks int
	start := time.Now()
	for range b.N {
		res, err := ingest.Run(context.Background(), []string{dir}, ingest.Options{Embedder: emb, Model: "demo-embed"})
		if err != nil {
			b.Fatal(err)
		}
		chunks += len(res.Records)
	}
	b.ReportMetric(float64(chunks)/time.Since(start).Seconds(), "chunks/s")
}
