package ingest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// fakeEmbedder returns a vector derived from each text's hash, and records
// what it was asked. fail, when set, runs before each call (numbered from
// 1) and may fail it.
type fakeEmbedder struct {
	fail func(ctx context.Context, call int, texts []string) error

	mu    sync.Mutex
	calls int
	texts []string // the texts of the calls that succeeded, in order
}

var _ retrieval.Embedder = (*fakeEmbedder)(nil)

func (f *fakeEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(ctx, n, texts); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	f.texts = append(f.texts, texts...)
	f.mu.Unlock()
	vecs := make([][]float32, len(texts))
	for i, t := range texts {
		vecs[i] = vectorOf(t)
	}
	return vecs, nil
}

func (f *fakeEmbedder) stats() (calls int, texts []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, append([]string(nil), f.texts...)
}

func vectorOf(text string) []float32 {
	h := sha256.Sum256([]byte(text))
	v := make([]float32, 8)
	for i := range v {
		v[i] = float32(h[i]) / 255
	}
	return v
}

// writeTree creates files (path -> content, slash-separated) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// prose returns n sentences about topic, about 9 tokens each.
func prose(topic string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "The %s note, sentence %d, is about indexing. ", topic, i)
		if i%4 == 3 {
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// corpus is a small tree of documents, several chunks each with
// testChunker.
func corpus() map[string]string {
	return map[string]string{
		"a.txt":           prose("alpha", 8),
		"b.md":            "# Bravo\n\n" + prose("bravo", 6),
		"c/d.html":        "<title>Delta</title><p>" + prose("delta", 7) + "</p>",
		"c/e.md":          prose("echo", 5),
		"c/f/g.txt":       prose("golf", 9),
		"c/f/h.markdown":  prose("hotel", 4),
		"c/skip.pdf":      "%PDF-1.4",
		"c/.hidden/x.txt": "hidden",
	}
}

var testChunker = Chunker{Size: 24, Overlap: 6}

// testOptions are Options for a fast test run.
func testOptions(e retrieval.Embedder) Options {
	return Options{Embedder: e, Model: "fake-8", Chunker: testChunker, BatchSize: 3, Concurrency: 2, Backoff: 1, MaxBackoff: 1}
}

// mustRun runs Run and fails the test on an error.
func mustRun(t testing.TB, paths []string, o Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), paths, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// textsOf returns the texts of the records of the given sources.
func textsOf(recs []Record, sources ...string) []string {
	var out []string
	for _, r := range recs {
		for _, s := range sources {
			if r.Source == s {
				out = append(out, r.Text)
			}
		}
	}
	return out
}
