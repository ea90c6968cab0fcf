package vectorindex

import (
	"errors"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/retrieval"
)

func TestNewBuilderReportsEveryProblem(t *testing.T) {
	_, err := NewBuilder(Options{Dim: 0, Metric: "hamming", M: 1, EfSearch: -1, Workers: -2})
	if err == nil {
		t.Fatal("got no error, want one")
	}
	for _, want := range []string{"dim 0", `unknown metric "hamming"`, "m 1", "ef_search -1", "workers -2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to mention %q", err, want)
		}
	}
}

func TestNewBuilderDefaults(t *testing.T) {
	b, err := NewBuilder(Options{Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	got := b.opts
	want := Options{Dim: 8, Metric: Cosine, M: 16, EfConstruction: 200, EfSearch: DefaultEfSearch, ExactBelow: 20000}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestAddRejects(t *testing.T) {
	tests := []struct {
		name    string
		metric  Metric
		vec     []float32
		id      string
		wantErr error
	}{
		{name: "wrong dimension", vec: []float32{1, 2}, id: "x", wantErr: retrieval.ErrBadQuery},
		{name: "zero vector under cosine", vec: []float32{0, 0, 0}, id: "x", wantErr: retrieval.ErrBadQuery},
		{name: "duplicate id", vec: []float32{1, 2, 3}, id: "a", wantErr: ErrDuplicateID},
		{name: "zero vector under dot", metric: Dot, vec: []float32{0, 0, 0}, id: "x"},
		{name: "empty ids may repeat", vec: []float32{1, 2, 3}, id: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBuilder(Options{Dim: 3, Metric: tt.metric})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"a", ""} {
				if err := b.Add([]float32{1, 1, 1}, Chunk{ID: id}); err != nil {
					t.Fatal(err)
				}
			}
			err = b.Add(tt.vec, Chunk{ID: tt.id})
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			wantLen := 3
			if tt.wantErr != nil {
				wantLen = 2
			}
			if ix, err := b.Build(); err != nil || ix.Len() != wantLen || len(ix.vecs) != wantLen*3 {
				t.Errorf("got an index of %d vectors (%d floats), %v; want %d", ix.Len(), len(ix.vecs), err, wantLen)
			}
		})
	}
}

func TestBuilderIsSpentAfterBuild(t *testing.T) {
	b, err := NewBuilder(Options{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Build(); err != nil {
		t.Fatal(err)
	}
	if err := b.Add([]float32{1, 0}, Chunk{}); !errors.Is(err, errBuilt) {
		t.Errorf("Add after Build: got %v, want %v", err, errBuilt)
	}
	if _, err := b.Build(); !errors.Is(err, errBuilt) {
		t.Errorf("Build twice: got %v, want %v", err, errBuilt)
	}
}

func TestAddCopiesItsInputs(t *testing.T) {
	b, err := NewBuilder(Options{Dim: 2, Metric: Dot})
	if err != nil {
		t.Fatal(err)
	}
	vec, meta := []float32{1, 2}, map[string]string{"k": "v"}
	if err := b.Add(vec, Chunk{ID: "a", Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	vec[0], meta["k"] = 9, "changed"
	ix, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := ix.vec(0)[0]; got != 1 {
		t.Errorf("stored vector[0]: got %v, want 1", got)
	}
	if got := ix.chunks[0].Metadata["k"]; got != "v" {
		t.Errorf("stored metadata: got %q, want %q", got, "v")
	}
}
