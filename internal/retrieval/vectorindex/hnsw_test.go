package vectorindex

import (
	"bytes"
	"testing"
)

// TestHNSWRecall checks recall@10 of the graph against exact search at
// the default EfSearch on random vectors, the hard case: real
// embeddings cluster and do better.
func TestHNSWRecall(t *testing.T) {
	tests := []struct {
		name   string
		metric Metric
		n, dim int
		want   float64
	}{
		{name: "cosine", metric: Cosine, n: 5000, dim: 64, want: 0.95},
		{name: "l2", metric: L2, n: 3000, dim: 64, want: 0.95},
		{name: "dot", metric: Dot, n: 3000, dim: 64, want: 0.90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Under -race the builder's locking is what is tested; the
			// full-size recall runs without it.
			n := tt.n
			if testing.Short() || raceDetector {
				n /= 10
			}
			ix := build(t, Options{Dim: tt.dim, Metric: tt.metric, ExactBelow: 1}, randomVectors(n, tt.dim, 1), "a")
			if !ix.HasGraph() {
				t.Fatal("got no graph, want one with ExactBelow 1")
			}
			if err := ix.graph.validate(); err != nil {
				t.Fatalf("built graph is invalid: %v", err)
			}
			got := recallAt(t, ix, randomVectors(100, tt.dim, 2), 10, 0)
			t.Logf("recall@10 over %d vectors: %.4f", n, got)
			if got < tt.want {
				t.Errorf("recall@10: got %.4f, want at least %.2f", got, tt.want)
			}
		})
	}
}

// TestHNSWSearchFindsItself checks that every stored vector is its own
// nearest neighbour through the graph: a node the graph cannot reach
// would fail.
func TestHNSWSearchFindsItself(t *testing.T) {
	vecs := randomVectors(1000, 16, 3)
	ix := build(t, Options{Dim: 16, Metric: L2, ExactBelow: 1}, vecs, "a")
	for i, v := range vecs {
		res, err := ix.Search(v, 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := chunkFor(i, "").ID; res[0].Chunk.ID != want || res[0].Score != 0 {
			t.Fatalf("nearest to vector %d: got %s (score %v), want %s (score 0)", i, res[0].Chunk.ID, res[0].Score, want)
		}
	}
}

func TestHNSWSmallerThanK(t *testing.T) {
	ix := build(t, Options{Dim: 4, ExactBelow: 1}, randomVectors(7, 4, 3), "a")
	res, err := ix.Search([]float32{1, 2, 3, 4}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 7 {
		t.Errorf("got %d results, want all 7", len(res))
	}
}

// TestOneWorkerBuildsReproducibly checks that Workers 1 and a seed give
// the same file twice, and another seed another graph.
func TestOneWorkerBuildsReproducibly(t *testing.T) {
	vecs := randomVectors(500, 8, 4)
	file := func(seed int64) []byte {
		t.Helper()
		ix := build(t, Options{Dim: 8, ExactBelow: 1, Workers: 1, Seed: seed}, vecs, "a")
		var buf bytes.Buffer
		if _, err := ix.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b, c := file(1), file(1), file(2)
	if !bytes.Equal(a, b) {
		t.Error("two builds with seed 1 differ, want identical files")
	}
	if bytes.Equal(a, c) {
		t.Error("builds with seeds 1 and 2 are identical, want different graphs")
	}
}

func TestLevelsAreGeometric(t *testing.T) {
	const n, m = 100000, 16
	levels := drawLevels(n, m, 1)
	above := 0
	for _, l := range levels {
		if l > 0 {
			above++
		}
	}
	// P(level >= 1) = 1/M.
	if want := n / m; above < want*9/10 || above > want*11/10 {
		t.Errorf("got %d of %d nodes above level 0, want about %d", above, n, want)
	}
}
