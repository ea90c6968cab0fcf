package vectorindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomVectors returns n vectors of dim components, normally
// distributed, from a fixed seed.
func randomVectors(n, dim int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// chunkFor is the chunk the test helpers store with vector i.
func chunkFor(i int, tag string) Chunk {
	return Chunk{
		ID:       fmt.Sprintf("c%d", i),
		Text:     fmt.Sprintf("text of chunk %d", i),
		Source:   fmt.Sprintf("doc%d.md", i%7),
		Title:    "Doc " + tag,
		Metadata: map[string]string{"gen": tag, "n": fmt.Sprint(i)},
	}
}

// build builds an index of vecs with opts, chunk i tagged with tag.
func build(t testing.TB, opts Options, vecs [][]float32, tag string) *Index {
	t.Helper()
	b, err := NewBuilder(opts)
	if err != nil {
		t.Fatal(err)
	}
	b.Grow(len(vecs))
	for i, v := range vecs {
		if err := b.Add(v, chunkFor(i, tag)); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// recallAt returns the share of the exact top k that SearchEf with ef
// (Search for ef 0) finds, over the queries.
func recallAt(t testing.TB, ix *Index, queries [][]float32, k, ef int) float64 {
	t.Helper()
	hits, total := 0, 0
	for _, q := range queries {
		want, err := ix.SearchExact(q, k)
		if err != nil {
			t.Fatal(err)
		}
		search := func(q []float32, k int) ([]Result, error) { return ix.SearchEf(q, k, ef) }
		if ef == 0 {
			search = ix.Search
		}
		got, err := search(q, k)
		if err != nil {
			t.Fatal(err)
		}
		ids := make(map[string]bool, len(got))
		for _, r := range got {
			ids[r.Chunk.ID] = true
		}
		for _, r := range want {
			if ids[r.Chunk.ID] {
				hits++
			}
		}
		total += len(want)
	}
	return float64(hits) / float64(total)
}

// naiveScore is the reference score of a and b under m, in float64.
func naiveScore(m Metric, a, b []float32) float64 {
	var dotAB, na, nb, sq float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dotAB += x * y
		na += x * x
		nb += y * y
		sq += (x - y) * (x - y)
	}
	switch m {
	case Cosine:
		return dotAB / math.Sqrt(na*nb)
	case Dot:
		return dotAB
	default:
		return -sq
	}
}
