package vectorindex

import (
	"cmp"
	"math"
	"slices"
	"testing"
)

// reference returns the IDs and scores of the k best of vecs for q under
// m, by float64 scores and a sort.
func reference(m Metric, vecs [][]float32, q []float32, k int) ([]string, []float64) {
	type scored struct {
		i     int
		score float64
	}
	all := make([]scored, len(vecs))
	for i, v := range vecs {
		all[i] = scored{i, naiveScore(m, q, v)}
	}
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	ids, scores := []string{}, []float64{}
	for _, s := range all[:min(k, len(all))] {
		ids = append(ids, chunkFor(s.i, "").ID)
		scores = append(scores, s.score)
	}
	return ids, scores
}

func TestSearchExactMatchesReference(t *testing.T) {
	const n, dim = 300, 13
	vecs := randomVectors(n, dim, 7)
	queries := randomVectors(20, dim, 8)
	for _, m := range []Metric{Cosine, Dot, L2} {
		t.Run(string(m), func(t *testing.T) {
			ix := build(t, Options{Dim: dim, Metric: m}, vecs, "a")
			if ix.HasGraph() {
				t.Fatalf("got a graph for %d vectors, want exact search below %d", n, DefaultExactBelow)
			}
			for qi, q := range queries {
				for _, k := range []int{1, 10, n + 5} {
					wantIDs, wantScores := reference(m, vecs, q, k)
					for name, search := range map[string]func([]float32, int) ([]Result, error){
						"Search": ix.Search, "SearchExact": ix.SearchExact,
					} {
						res, err := search(q, k)
						if err != nil {
							t.Fatal(err)
						}
						checkResults(t, name, qi, res, wantIDs, wantScores)
					}
				}
			}
		})
	}
}

// checkResults compares results with reference IDs and scores. Near-ties
// may swap order under float32 rounding, so an ID mismatch is tolerated
// where the reference scores are within rounding of each other.
func checkResults(t *testing.T, name string, qi int, res []Result, wantIDs []string, wantScores []float64) {
	t.Helper()
	if len(res) != len(wantIDs) {
		t.Fatalf("%s query %d: got %d results, want %d", name, qi, len(res), len(wantIDs))
	}
	for i, r := range res {
		tol := 1e-4 * max(1, math.Abs(wantScores[i]))
		if math.Abs(float64(r.Score)-wantScores[i]) > tol {
			t.Errorf("%s query %d rank %d: got score %v, want %v", name, qi, i, r.Score, wantScores[i])
		}
		if r.Chunk.ID != wantIDs[i] && !nearTie(wantScores, i, tol) {
			t.Errorf("%s query %d rank %d: got %s, want %s", name, qi, i, r.Chunk.ID, wantIDs[i])
		}
		if i > 0 && res[i-1].Score < r.Score {
			t.Errorf("%s query %d: rank %d scores %v above rank %d's %v", name, qi, i, r.Score, i-1, res[i-1].Score)
		}
	}
}

// nearTie reports whether rank i's reference score is within tol of a
// neighbour's.
func nearTie(scores []float64, i int, tol float64) bool {
	return (i > 0 && scores[i-1]-scores[i] <= tol) || (i+1 < len(scores) && scores[i]-scores[i+1] <= tol)
}

func TestSearchEmptyIndex(t *testing.T) {
	ix := build(t, Options{Dim: 3}, nil, "a")
	res, err := ix.Search([]float32{1, 0, 0}, 5)
	if err != nil || len(res) != 0 {
		t.Errorf("got %v, %v; want no results and no error", res, err)
	}
}

func TestCosineNormalisesAtInsertAndQuery(t *testing.T) {
	ix := build(t, Options{Dim: 2}, [][]float32{{3, 0}, {0, 0.1}, {-5, 0}}, "a")
	res, err := ix.Search([]float32{10, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 0, -1}
	for i, r := range res {
		if math.Abs(float64(r.Score-want[i])) > 1e-6 {
			t.Errorf("rank %d: got score %v, want %v", i, r.Score, want[i])
		}
	}
}
