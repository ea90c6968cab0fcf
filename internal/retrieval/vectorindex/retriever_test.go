package vectorindex

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// fakeEmbedder embeds a text as the axis its first letter names: "a..."
// is (1,0,0), "b..." is (0,1,0), "c..." is (0,0,1); "ab..." adds the
// second letter at half weight; a leading "-" negates. Its dim can be
// set to mismatch.
type fakeEmbedder struct {
	dim   int
	calls int
}

func (f *fakeEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	f.calls++
	out := make([][]float32, len(texts))
	for i, s := range texts {
		v := make([]float32, f.dim)
		sign := float32(1)
		if rest, ok := strings.CutPrefix(s, "-"); ok {
			s, sign = rest, -1
		}
		for j, w := range []float32{sign, sign / 2} {
			if j < len(s) && s[j] >= 'a' && int(s[j]-'a') < f.dim {
				v[s[j]-'a'] += w
			}
		}
		out[i] = v
	}
	return out, nil
}

// axisHandle serves an index of three chunks, one per axis.
func axisHandle(t *testing.T) *Handle {
	t.Helper()
	b, err := NewBuilder(Options{Dim: 3, Model: "fake-embed"})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"x", "y", "z"} {
		v := make([]float32, 3)
		v[i] = 1
		c := Chunk{ID: id, Text: "text " + id, Source: id + ".md", Title: strings.ToUpper(id), Metadata: map[string]string{"axis": id}}
		if err := b.Add(v, c); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := ix.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	h, err := OpenHandle(path)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRetrieve(t *testing.T) {
	hit := func(id string, score float64) retrieval.Hit {
		return retrieval.Hit{ID: id, Text: "text " + id, Score: score, Source: id + ".md", Title: strings.ToUpper(id), Metadata: map[string]string{"axis": id}}
	}
	// "ab": cosine 1/sqrt(1.25) with x, 0.5/sqrt(1.25) with y, 0 with z.
	const ax, ay = 0.8944272, 0.4472136
	tests := []struct {
		name string
		q    retrieval.Query
		want []retrieval.Hit
	}{
		{name: "default top k", q: retrieval.Query{Text: "ab"}, want: []retrieval.Hit{hit("x", ax), hit("y", ay)}},
		{name: "top k 1", q: retrieval.Query{Text: "ab", TopK: 1}, want: []retrieval.Hit{hit("x", ax)}},
		{name: "top k above size", q: retrieval.Query{Text: "ab", TopK: 10}, want: []retrieval.Hit{hit("x", ax), hit("y", ay), hit("z", 0)}},
		{name: "min score", q: retrieval.Query{Text: "ab", TopK: 3, MinScore: 0.5}, want: []retrieval.Hit{hit("x", ax)}},
		{name: "min score above all", q: retrieval.Query{Text: "ab", MinScore: 0.99}, want: []retrieval.Hit{}},
		{name: "min score zero keeps all", q: retrieval.Query{Text: "-a", TopK: 3}, want: []retrieval.Hit{hit("y", 0), hit("z", 0), hit("x", -1)}},
		{name: "negative min score", q: retrieval.Query{Text: "-a", TopK: 3, MinScore: -0.5}, want: []retrieval.Hit{hit("y", 0), hit("z", 0)}},
	}
	r := NewRetriever(axisHandle(t), &fakeEmbedder{dim: 3}, 2)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Retrieve(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			approx := cmp.Comparer(func(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 })
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("hits differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetrieveHitsAreCopies(t *testing.T) {
	h := axisHandle(t)
	r := NewRetriever(h, &fakeEmbedder{dim: 3}, 1)
	got, err := r.Retrieve(t.Context(), retrieval.Query{Text: "a"})
	if err != nil {
		t.Fatal(err)
	}
	got[0].Metadata["axis"] = "changed"
	if v := h.Current().chunks[0].Metadata["axis"]; v != "x" {
		t.Errorf("index metadata: got %q, want %q unchanged", v, "x")
	}
}

func TestRetrieveBadQueries(t *testing.T) {
	tests := []struct {
		name    string
		dim     int
		q       retrieval.Query
		wantErr []string
		calls   int
	}{
		{name: "empty text", dim: 3, q: retrieval.Query{Text: "  "}, wantErr: []string{"empty"}},
		{name: "negative top k", dim: 3, q: retrieval.Query{Text: "a", TopK: -1}, wantErr: []string{"top_k"}},
		{name: "dimension mismatch", dim: 5, q: retrieval.Query{Text: "a"}, wantErr: []string{"5 dimensions", "has 3", `"fake-embed"`}, calls: 1},
		{name: "zero vector", dim: 3, q: retrieval.Query{Text: "z"}, wantErr: []string{"norm 0"}, calls: 1},
	}
	h := axisHandle(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emb := &fakeEmbedder{dim: tt.dim}
			got, err := NewRetriever(h, emb, 0).Retrieve(t.Context(), tt.q)
			if !errors.Is(err, retrieval.ErrBadQuery) {
				t.Fatalf("got %v, %v; want an error wrapping ErrBadQuery", got, err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %q, want it to say %q", err, want)
				}
			}
			if emb.calls != tt.calls {
				t.Errorf("got %d embedding calls, want %d", emb.calls, tt.calls)
			}
		})
	}
}

func TestRetrieveEmbedderFailure(t *testing.T) {
	boom := errors.New("throttled")
	for name, emb := range map[string]retrieval.EmbedFunc{
		"error":       func(context.Context, []string) ([][]float32, error) { return nil, boom },
		"no vectors":  func(context.Context, []string) ([][]float32, error) { return nil, nil },
		"two vectors": func(context.Context, []string) ([][]float32, error) { return [][]float32{{1, 0, 0}, {0, 1, 0}}, nil },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewRetriever(axisHandle(t), emb, 0).Retrieve(t.Context(), retrieval.Query{Text: "a"})
			if err == nil || errors.Is(err, retrieval.ErrBadQuery) {
				t.Errorf("got %v, want an error that is not ErrBadQuery", err)
			}
		})
	}
}
