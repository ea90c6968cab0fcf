package hist

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func TestIndexBounds(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 123456789, math.MaxInt64} {
		lo, hi := bounds(index(v))
		if v < lo || (hi > lo && v >= hi) {
			t.Errorf("value %d: bucket %d holds [%d, %d)", v, index(v), lo, hi)
		}
	}
}

func TestQuantileWithinOnePercent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]int64, 200_000)
	for i := range vals {
		// Log-normal-ish latencies from 10 µs to a few seconds.
		vals[i] = int64(math.Exp(r.NormFloat64()*1.5+13) + 1e4)
		h.Record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.01 {
			t.Errorf("q%.3f: got %d, want %d (off by %.2f%%)", q, got, want, rel*100)
		}
	}
	if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
		t.Errorf("min, max: got %d, %d, want %d, %d", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
	}
}

func TestEmptyAndMerge(t *testing.T) {
	var a, b Histogram
	if a.Quantile(0.5) != 0 || a.Max() != 0 || a.Mean() != 0 {
		t.Fatalf("empty histogram: got p50 %d, max %d, mean %f, want 0", a.Quantile(0.5), a.Max(), a.Mean())
	}
	a.Record(10)
	b.Record(1000)
	b.Record(5)
	a.Merge(&b)
	if a.Count() != 3 || a.Min() != 5 || a.Max() != 1000 {
		t.Errorf("merged: got count %d, min %d, max %d, want 3, 5, 1000", a.Count(), a.Min(), a.Max())
	}
}

func TestConcurrentRecord(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(int64(g*1000 + i))
			}
		})
	}
	wg.Wait()
	if h.Count() != 8000 || h.Max() != 7999 || h.Min() != 0 {
		t.Errorf("got count %d, min %d, max %d, want 8000, 0, 7999", h.Count(), h.Min(), h.Max())
	}
}
