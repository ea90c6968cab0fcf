package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// fastEmbedder returns the same 1024-dimension vector for every text (a
// typical embedding size, so the journal writes realistic records), at no
// cost: the benchmark measures this package, not a model.
func fastEmbedder() retrieval.Embedder {
	vec := make([]float32, 1024)
	for i := range vec {
		vec[i] = float32(i) / 1024
	}
	return retrieval.EmbedFunc(func(_ context.Context, texts []string) ([][]float32, error) {
		out := make([][]float32, len(texts))
		for i := range out {
			out[i] = vec
		}
		return out, nil
	})
}

// BenchmarkIngest measures a whole Run (walk, read, extract, chunk,
// embed, and for the journaled cases fsync) over 200 Markdown files of
// about 10 KB, with the default chunker, batch size and concurrency.
func BenchmarkIngest(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{}
	var size int64
	for i := range 200 {
		doc := fmt.Sprintf("# Document %d\n\nSome *emphasis*, a [link](https://example.com).\n\n", i) + prose(fmt.Sprint(i), 200)
		files[fmt.Sprintf("d%d/f%03d.md", i%10, i)] = doc
		size += int64(len(doc))
	}
	writeTree(b, dir, files)
	cases := []struct {
		name             string
		journal, resumed bool
	}{
		{"no journal", false, false},
		{"journal", true, false},
		{"resumed", true, true},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			o := Options{Embedder: fastEmbedder(), Model: "bench"}
			if bc.journal {
				o.Journal = filepath.Join(b.TempDir(), "bench.journal")
			}
			if bc.resumed {
				mustRun(b, []string{dir}, o)
			}
			b.SetBytes(size)
			chunks := 0
			for b.Loop() {
				if bc.journal && !bc.resumed {
					if err := Clean(o.Journal); err != nil {
						b.Fatal(err)
					}
				}
				chunks += mustRun(b, []string{dir}, o).Stats.Chunks
			}
			b.ReportMetric(float64(chunks)/b.Elapsed().Seconds(), "chunks/s")
		})
	}
}

// BenchmarkSplit measures the chunker alone on 1 MB of prose.
func BenchmarkSplit(b *testing.B) {
	text := prose("split", 20000)
	b.SetBytes(int64(len(text)))
	chunks := 0
	for b.Loop() {
		chunks += len(Chunker{}.Split("doc.md", "Doc", text))
	}
	b.ReportMetric(float64(chunks)/b.Elapsed().Seconds(), "chunks/s")
}
