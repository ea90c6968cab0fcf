// Package hist is a log-linear latency histogram in the manner of
// HdrHistogram: values below 128 are counted exactly, and every power of
// two above is cut into 128 equal buckets, so a reported quantile is
// within 1/256 (0.4%) of a value actually recorded. Recording is one
// atomic add, safe from many goroutines, and allocates nothing.
package hist

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits is log2 of the buckets per power of two: 7 gives 128 buckets,
// each at most 1/128 of its lower bound wide.
const subBits = 7

const (
	subCount = 1 << subBits
	// octaves covers values up to 2^63: one exact range below subCount,
	// then one row of subCount buckets per power of two from subBits up.
	octaves = 64 - subBits
	nBucket = subCount + octaves*subCount
)

// Histogram counts int64 values (nanoseconds, for latencies). The zero
// value is empty and ready; it must not be copied after first use.
type Histogram struct {
	counts [nBucket]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Int64
	max    atomic.Int64
	min    atomic.Int64 // stored as min+1 so that 0 means unset
}

// index is the bucket of v (v >= 0).
func index(v int64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1 // 2^e <= v < 2^(e+1), e >= subBits
	shift := e - subBits
	sub := int(uint64(v)>>shift) - subCount // in [0, subCount)
	return subCount + shift*subCount + sub
}

// bounds is the range [lo, hi) of values bucket i holds.
func bounds(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i) + 1
	}
	shift := (i - subCount) / subCount
	sub := (i - subCount) % subCount
	lo = int64(subCount+sub) << shift
	return lo, lo + int64(1)<<shift
}

// Record counts one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	v = max(v, 0)
	h.counts[index(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	h.widen(v)
}

// RecordDuration counts d in nanoseconds.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max is the largest value recorded, exactly; 0 when empty.
func (h *Histogram) Max() int64 { return h.max.Load() }

// Min is the smallest value recorded, exactly; 0 when empty.
func (h *Histogram) Min() int64 { return max(h.min.Load()-1, 0) }

// Mean is the average of the values recorded; 0 when empty.
func (h *Histogram) Mean() float64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return float64(h.sum.Load()) / float64(n)
}

// Quantile returns the value below which a fraction q (0..1) of the
// values lie: the middle of the bucket holding the value of rank
// ceil(q*n), clamped to the exact minimum and maximum. It is 0 when the
// histogram is empty.
func (h *Histogram) Quantile(q float64) int64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, hi := bounds(i)
			mid := lo + (hi-lo-1)/2
			return min(max(mid, h.Min()), h.Max())
		}
	}
	return h.Max()
}

// Merge adds the counts of o to h. o should not be recorded into
// meanwhile.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	if o.n.Load() == 0 {
		return
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	h.widen(o.Max())
	h.widen(o.Min())
}

// widen stretches the exact minimum and maximum to include v.
func (h *Histogram) widen(v int64) {
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
	for {
		m := h.min.Load()
		if (m != 0 && v+1 >= m) || h.min.CompareAndSwap(m, v+1) {
			break
		}
	}
}

// Summary is the usual latency quantiles of a histogram, in
// milliseconds.
type Summary struct {
	Count  uint64  `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// Summarize reports h's quantiles in milliseconds, h holding
// nanoseconds.
func (h *Histogram) Summarize() Summary {
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	return Summary{
		Count: h.Count(), MeanMs: h.Mean() / 1e6,
		P50Ms: ms(h.Quantile(0.50)), P90Ms: ms(h.Quantile(0.90)), P99Ms: ms(h.Quantile(0.99)),
		P999Ms: ms(h.Quantile(0.999)), MaxMs: ms(h.Max()),
	}
}
