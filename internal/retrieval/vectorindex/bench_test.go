package vectorindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The benchmarks' corpus: 100,000 vectors of 768 dimensions (a common
// embedding size), cosine, and 200 queries. Building its graph takes
// minutes on two cores, so each corpus is built once per process, on
// first use, and only by a benchmark: `go test` without -bench never
// builds it. Run them as
//
//	go test -run '^$' -bench 'Search' -benchtime 200x ./internal/retrieval/vectorindex/
//	go test -run '^$' -bench 'Open' -benchtime 5x ./internal/retrieval/vectorindex/
const (
	benchN       = 100_000
	benchDim     = 768
	benchQueries = 200
	benchK       = 10
)

// benchCorpora are the data the benchmarks run on. "random" is the
// worst case: unit vectors uniform on the sphere, where every point is
// nearly as far from a query as its nearest neighbour and no graph can
// route well. "embedding" is closer to what an embedding model produces:
// points near a 32-dimensional subspace (a random linear image of a
// Gaussian) plus isotropic noise carrying a fifth of the variance, then
// normalised.
var benchCorpora = map[string]func(rng *rand.Rand, v []float32){
	"random":    randomUnit,
	"embedding": lowRankUnit(32, 0.2),
}

// randomUnit fills v with a vector uniform on the unit sphere.
func randomUnit(rng *rand.Rand, v []float32) {
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
}

// lowRankUnit returns a generator of vectors near a random rank-r
// subspace, with noise share of their variance isotropic.
func lowRankUnit(r int, noise float64) func(rng *rand.Rand, v []float32) {
	basis := randomVectors(r, benchDim, 42) // fixed: corpus and queries share it
	sig, eps := math.Sqrt((1-noise)/float64(r)), math.Sqrt(noise/benchDim)
	return func(rng *rand.Rand, v []float32) {
		for i := range v {
			v[i] = float32(eps * rng.NormFloat64())
		}
		for _, b := range basis {
			z := float32(sig * rng.NormFloat64())
			for i := range v {
				v[i] += z * b[i] / float32(math.Sqrt(benchDim))
			}
		}
	}
}

// benchFixture is one built corpus with what the benchmarks compare to.
type benchFixture struct {
	ix        *Index
	queries   [][]float32
	truth     []map[string]bool // the exact top benchK of each query
	build     time.Duration
	heapBytes uint64 // heap growth from building the index
	path      string // the index written to a file
	recalls   map[int]float64
}

var (
	benchMu       sync.Mutex
	benchFixtures = map[string]*benchFixture{}
)

// fixture returns the corpus's fixture, building it on first use.
func fixture(b *testing.B, corpus string) *benchFixture {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if f := benchFixtures[corpus]; f != nil {
		return f
	}
	gen := benchCorpora[corpus]
	f := &benchFixture{recalls: map[int]float64{}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	bld, err := NewBuilder(Options{Dim: benchDim, ExactBelow: 1, Model: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	bld.Grow(benchN)
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, benchDim)
	for i := range benchN {
		gen(rng, v)
		if err := bld.Add(v, Chunk{ID: fmt.Sprintf("c%d", i), Source: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	if f.ix, err = bld.Build(); err != nil {
		b.Fatal(err)
	}
	f.build = time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	f.heapBytes = after.HeapAlloc - before.HeapAlloc
	for range benchQueries {
		q := make([]float32, benchDim)
		gen(rng, q)
		f.queries = append(f.queries, q)
		res, err := f.ix.SearchExact(q, benchK)
		if err != nil {
			b.Fatal(err)
		}
		ids := map[string]bool{}
		for _, r := range res {
			ids[r.Chunk.ID] = true
		}
		f.truth = append(f.truth, ids)
	}
	dir, err := os.MkdirTemp("", "vectorindex-bench-")
	if err != nil {
		b.Fatal(err)
	}
	f.path = filepath.Join(dir, corpus+".idx")
	if err := f.ix.WriteFile(f.path); err != nil {
		b.Fatal(err)
	}
	benchFixtures[corpus] = f
	return f
}

// recall returns recall@benchK of SearchEf with ef over the queries.
func (f *benchFixture) recall(b *testing.B, ef int) float64 {
	b.Helper()
	if r, ok := f.recalls[ef]; ok {
		return r
	}
	hits := 0
	for i, q := range f.queries {
		res, err := f.ix.SearchEf(q, benchK, ef)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if f.truth[i][r.Chunk.ID] {
				hits++
			}
		}
	}
	f.recalls[ef] = float64(hits) / float64(benchK*len(f.queries))
	return f.recalls[ef]
}

// BenchmarkSearchHNSW reports queries per second and recall@10 against
// exact search for several candidate list sizes, and for the default one
// the build time, the in-memory bytes per vector and the heap a million
// vectors would take.
func BenchmarkSearchHNSW(b *testing.B) {
	for _, corpus := range []string{"random", "embedding"} {
		efs := []int{64, 128, DefaultEfSearch, 256, 512, 1024}
		if corpus == "random" {
			efs = append(efs, 2048, 4096)
		}
		for _, ef := range efs {
			b.Run(fmt.Sprintf("%s/ef=%d", corpus, ef), func(b *testing.B) {
				f := fixture(b, corpus)
				recall := f.recall(b, ef)
				b.ReportAllocs()
				b.ResetTimer()
				i := 0
				for b.Loop() {
					if _, err := f.ix.SearchEf(f.queries[i%len(f.queries)], benchK, ef); err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
				b.ReportMetric(recall, "recall@10")
				if ef == DefaultEfSearch {
					reportSize(b, f)
				}
			})
		}
	}
}

// reportSize reports the fixture's build time and memory.
func reportSize(b *testing.B, f *benchFixture) {
	b.Helper()
	b.ReportMetric(f.build.Seconds(), "build-s")
	b.ReportMetric(float64(f.ix.layoutBytes())/float64(f.ix.Len()), "layout-B/vector")
	b.ReportMetric(float64(f.heapBytes)/float64(f.ix.Len())*1e6/(1<<20), "heap-MiB/1M-vectors")
}

// BenchmarkSearchExact reports the queries per second of brute force
// over the same corpus.
func BenchmarkSearchExact(b *testing.B) {
	for _, corpus := range []string{"random", "embedding"} {
		b.Run(corpus, func(b *testing.B) {
			f := fixture(b, corpus)
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := f.ix.SearchExact(f.queries[i%len(f.queries)], benchK); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		})
	}
}

// BenchmarkOpen reports how long loading the index file takes, and its
// size.
func BenchmarkOpen(b *testing.B) {
	f := fixture(b, "embedding")
	fi, err := os.Stat(f.path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for b.Loop() {
		if _, err := Open(f.path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
}
