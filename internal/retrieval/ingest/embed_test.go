package ingest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/retrieval"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, corpus())
	t.Chdir(dir)
	f := &fakeEmbedder{}
	res := mustRun(t, []string{"."}, testOptions(f))

	// Records come by file in walk order, then by chunk index, whatever
	// order the concurrent calls completed in.
	order := []string{"a.txt", "b.md", "c/d.html", "c/e.md", "c/f/g.txt", "c/f/h.markdown"}
	pos := 0
	for i, r := range res.Records {
		for pos < len(order) && r.Source != order[pos] {
			pos++
		}
		if pos == len(order) {
			t.Fatalf("record %d (%s) out of order", i, r.Source)
		}
		if i > 0 && res.Records[i-1].Source == r.Source && res.Records[i-1].Index != r.Index-1 {
			t.Errorf("record %d: chunk %d follows chunk %d", i, r.Index, res.Records[i-1].Index)
		}
		if diff := cmp.Diff(vectorOf(r.Text), r.Vector); diff != "" {
			t.Errorf("record %d: vector is not its text's", i)
		}
	}
	titles := map[string]string{"a.txt": "a.txt", "b.md": "Bravo", "c/d.html": "Delta", "c/e.md": "e.md"}
	for _, r := range res.Records {
		if want, ok := titles[r.Source]; ok && r.Title != want {
			t.Errorf("%s: title %q, want %q", r.Source, r.Title, want)
		}
	}

	s := res.Stats
	if s.Files != 6 || s.Skipped != 1 || s.Chunks != len(res.Records) || s.Embedded != s.Chunks || s.Resumed != 0 {
		t.Errorf("stats %+v: want 6 files, 1 skipped (the PDF), every chunk embedded", s)
	}
	if s.Chunks <= 12 {
		t.Errorf("%d chunks: the corpus should take several per file", s.Chunks)
	}
	if want := (s.Chunks + 2) / 3; s.Calls != want {
		t.Errorf("%d calls, want %d (batches of 3 spanning files)", s.Calls, want)
	}
	if s.Tokens == 0 || s.Bytes == 0 || s.Elapsed <= 0 {
		t.Errorf("stats %+v: tokens, bytes and elapsed should be set", s)
	}
	if _, texts := f.stats(); len(texts) != s.Chunks {
		t.Errorf("the embedder saw %d texts, want %d", len(texts), s.Chunks)
	}
}

func TestRunRetries(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"doc.md": prose("retry", 3)})
	t.Chdir(dir)
	permanent := errors.New("model not found")
	tests := []struct {
		name      string
		fail      func(call int) error
		retries   int
		wantErr   error
		wantCalls int
	}{
		{"transient", func(call int) error {
			if call <= 2 {
				return errors.New("throttled")
			}
			return nil
		}, 0, nil, 3},
		{"spent", func(int) error { return permanent }, 3, permanent, 4},
		{"no retries", func(int) error { return permanent }, -1, permanent, 1},
		{"not retryable by the error", func(int) error { return classified{retry: false} }, 0, classified{}, 1},
		{"retryable by the error", func(call int) error {
			if call == 1 {
				return classified{retry: true}
			}
			return nil
		}, 0, nil, 2},
		{"embedder's own deadline", func(call int) error {
			if call == 1 {
				return context.DeadlineExceeded
			}
			return nil
		}, 0, nil, 2},
		{"canceled", func(int) error { return context.Canceled }, 0, context.Canceled, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEmbedder{fail: func(_ context.Context, call int, _ []string) error { return tt.fail(call) }}
			o := testOptions(f)
			o.BatchSize = 100 // one call per attempt
			o.Retries = tt.retries
			res, err := Run(context.Background(), []string{"."}, o)
			if calls, _ := f.stats(); calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if res.Stats.Retries != tt.wantCalls-1 || res.Stats.Calls != tt.wantCalls {
					t.Errorf("stats: %d calls, %d retries; want %d, %d", res.Stats.Calls, res.Stats.Retries, tt.wantCalls, tt.wantCalls-1)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "doc.md") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// classified is an error that says whether it is worth retrying.
type classified struct{ retry bool }

func (c classified) Error() string   { return "classified" }
func (c classified) Retryable() bool { return c.retry }

func (c classified) Is(target error) bool { _, ok := target.(classified); return ok }

// classifier is an embedder that classifies its own errors.
type classifier struct{ *fakeEmbedder }

var _ RetryClassifier = classifier{}

func (classifier) Retryable(err error) bool { return !strings.Contains(err.Error(), "quota") }

func TestRunRetryClassifier(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"doc.txt": "short"})
	f := &fakeEmbedder{fail: func(context.Context, int, []string) error { return errors.New("quota exhausted") }}
	_, err := Run(context.Background(), []string{dir}, testOptions(classifier{f}))
	if err == nil || !strings.Contains(err.Error(), "quota exhausted") {
		t.Fatalf("got error %v, want the quota error", err)
	}
	if calls, _ := f.stats(); calls != 1 {
		t.Errorf("%d calls, want 1: the classifier said not to retry", calls)
	}
}

func TestRunConcurrencyBound(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, corpus())
	const limit = 3
	var inFlight, peak atomic.Int32
	full := make(chan struct{})
	var once atomic.Bool
	f := &fakeEmbedder{fail: func(ctx context.Context, _ int, _ []string) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		// The first calls wait until the bound is reached, which proves
		// that the calls do run concurrently; with no bound, more would
		// pile up while they wait.
		if n == limit && once.CompareAndSwap(false, true) {
			close(full)
		}
		select {
		case <-full:
		case <-time.After(5 * time.Second):
			return errors.New("the concurrency bound was never reached")
		case <-ctx.Done():
			return ctx.Err()
		}
		time.Sleep(time.Millisecond)
		return nil
	}}
	o := testOptions(f)
	o.BatchSize = 1
	o.Concurrency = limit
	res := mustRun(t, []string{dir}, o)
	if res.Stats.Calls < 4*limit {
		t.Fatalf("%d calls: too few to test the bound", res.Stats.Calls)
	}
	if got := peak.Load(); got != limit {
		t.Errorf("at most %d calls in flight, want %d", got, limit)
	}
}

func TestRunBadEmbedder(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": prose("a", 6), "b.txt": prose("b", 6)})
	tests := []struct {
		name  string
		embed func(texts []string) [][]float32
		want  string
	}{
		{"too few vectors", func(texts []string) [][]float32 { return make([][]float32, len(texts)-1) }, "vectors for"},
		{"empty vector", func(texts []string) [][]float32 { return make([][]float32, len(texts)) }, "0 dimensions"},
		{"dimensions change", func(texts []string) [][]float32 {
			vecs := make([][]float32, len(texts))
			for i := range vecs {
				vecs[i] = make([]float32, 4+len(texts[i])%2)
			}
			return vecs
		}, "dimensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := retrieval.EmbedFunc(func(_ context.Context, texts []string) ([][]float32, error) { return tt.embed(texts), nil })
			o := testOptions(e)
			o.Concurrency = 1
			_, err := Run(context.Background(), []string{dir}, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one with %q", err, tt.want)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{Chunker: Chunker{Size: 10, Overlap: 10}, BatchSize: -1, Concurrency: -2, Backoff: -1}.Validate()
	if err == nil {
		t.Fatal("got nil error")
	}
	for _, want := range []string{"no embedder", "overlap", "batch size", "concurrency", "backoff"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
	if err := (Options{Embedder: &fakeEmbedder{}}).Validate(); err != nil {
		t.Errorf("zero options with an embedder: %v", err)
	}
	if _, err := Run(context.Background(), nil, Options{Embedder: &fakeEmbedder{}}); err == nil {
		t.Error("Run without paths: got nil error")
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		for range 50 {
			got := backoff(100, 1000, attempt)
			if got < want/2 || got > want {
				t.Fatalf("backoff(attempt %d) = %d, want %d..%d", attempt, got, want/2, want)
			}
		}
	}
	if got := backoff(time.Second, time.Minute, 200); got < 30*time.Second || got > time.Minute {
		t.Errorf("backoff after 200 attempts = %s, want the cap", got)
	}
}
