package vectorindex

import (
	"errors"
	"math"
	"testing"

	"github.com/outcrop/outcrop/internal/retrieval"
)

func TestParseMetric(t *testing.T) {
	tests := []struct {
		in      string
		want    Metric
		wantErr bool
	}{
		{in: "cosine", want: Cosine},
		{in: "DOT", want: Dot},
		{in: " l2 ", want: L2},
		{in: "", wantErr: true},
		{in: "euclid", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMetric(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMetric(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseMetric(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestKernels checks the unrolled kernels against float64 references for
// lengths around the unrolling (the tail loop included).
func TestKernels(t *testing.T) {
	for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 33, 768} {
		v := randomVectors(2, n, uint64(n))
		a, b := v[0], v[1]
		if got, want := float64(dot(a, b)), naiveScore(Dot, a, b); math.Abs(got-want) > 1e-4*float64(n) {
			t.Errorf("dot over %d: got %v, want %v", n, got, want)
		}
		if got, want := float64(negSquaredL2(a, b)), naiveScore(L2, a, b); math.Abs(got-want) > 1e-4*float64(n) {
			t.Errorf("negSquaredL2 over %d: got %v, want %v", n, got, want)
		}
	}
}

func TestSearchRejectsBadQueries(t *testing.T) {
	ix := build(t, Options{Dim: 4}, randomVectors(10, 4, 1), "a")
	tests := []struct {
		name string
		vec  []float32
		k    int
	}{
		{name: "short", vec: []float32{1, 2, 3}, k: 1},
		{name: "long", vec: []float32{1, 2, 3, 4, 5}, k: 1},
		{name: "nan", vec: []float32{1, float32(math.NaN()), 0, 0}, k: 1},
		{name: "inf", vec: []float32{1, float32(math.Inf(1)), 0, 0}, k: 1},
		{name: "zero vector under cosine", vec: []float32{0, 0, 0, 0}, k: 1},
		{name: "k zero", vec: []float32{1, 0, 0, 0}, k: 0},
		{name: "k negative", vec: []float32{1, 0, 0, 0}, k: -3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, search := range map[string]func([]float32, int) ([]Result, error){
				"Search": ix.Search, "SearchExact": ix.SearchExact,
			} {
				res, err := search(tt.vec, tt.k)
				if !errors.Is(err, retrieval.ErrBadQuery) {
					t.Errorf("%s: got %v, %v; want an error wrapping ErrBadQuery", name, res, err)
				}
			}
		})
	}
}
