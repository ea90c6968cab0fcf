package vectorindex

import (
	"errors"
	"fmt"
	"math"
)

// Defaults of Options.
const (
	DefaultMetric         = Cosine
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEfSearch       = 192
	DefaultExactBelow     = 20000
)

// Limits of Options, which also bound what a file may claim.
const (
	// MaxDim is the largest vector size: embedding models stop well
	// below it (3,072 for the largest common ones).
	MaxDim = 1 << 16
	// MaxM bounds Options.M; hnswlib suggests 2 to 100.
	MaxM = 256
	// MaxEf bounds EfConstruction and EfSearch.
	MaxEf = 1 << 16
	// MaxLen is the most vectors an index holds: node IDs are uint32.
	MaxLen = math.MaxInt32
	// maxModel bounds the model name's length in a file.
	maxModel = 1 << 10
)

// Options configure an index when it is built. They are recorded in the
// index file, so a loaded index searches as it was built to. The zero
// value of every field but Dim means its default.
type Options struct {
	// Dim is the vector size, the embedding model's dimensions. Required,
	// 1 to MaxDim. Example 768.
	Dim int
	// Metric is how vectors are compared. Default Cosine.
	Metric Metric
	// Model is the embedding model the vectors came from, recorded so a
	// store can refuse to query an index with another model. Optional.
	// Example "amazon.titan-embed-text-v2:0".
	Model string
	// M is the HNSW graph's out-degree above layer 0 (layer 0 has 2*M):
	// more links raise recall and memory (8*M bytes per vector) and slow
	// the build. Default 16, 2 to MaxM.
	M int
	// EfConstruction is the candidate list size while building the graph:
	// larger builds slower and makes a better graph. Default 200, at
	// least M.
	EfConstruction int
	// EfSearch is the candidate list size of a graph search; a search
	// for k results uses max(EfSearch, k). Larger is slower and finds
	// more of the true nearest neighbours. Default 192: recall@10 of
	// about 0.97 on 100,000 768-dimension vectors of embedding-like data
	// (BenchmarkSearchHNSW/embedding), 0.94 at 128. Uniformly random
	// vectors in high dimensions have no neighbourhood structure for a
	// graph to follow and get far less at any EfSearch that is still
	// faster than exact search.
	EfSearch int
	// ExactBelow is the number of vectors below which no graph is built
	// and every search is exact (brute force), which is both exact and
	// fast enough for small indexes: 20,000 vectors of 768 dimensions
	// scan in about 10 ms on one core. Default 20,000; negative means
	// never build a graph; 1 means always build one.
	ExactBelow int
	// Seed seeds the random levels of the graph's nodes. With Workers 1,
	// the same vectors in the same order and the same Seed build the same
	// graph and the same file. Default 0.
	Seed int64
	// Workers is how many goroutines insert into the graph at once.
	// Parallel insertion makes the graph depend on scheduling (its
	// quality does not). Not recorded in the file. Default GOMAXPROCS.
	Workers int
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Metric == "" {
		o.Metric = DefaultMetric
	}
	if o.M == 0 {
		o.M = DefaultM
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = max(DefaultEfConstruction, o.M)
	}
	if o.EfSearch == 0 {
		o.EfSearch = DefaultEfSearch
	}
	if o.ExactBelow == 0 {
		o.ExactBelow = DefaultExactBelow
	}
	return o
}

// validate reports every problem of o, defaults applied, at once.
func (o Options) validate() error {
	var errs []error
	if o.Dim < 1 || o.Dim > MaxDim {
		errs = append(errs, fmt.Errorf("dim %d is not in 1..%d", o.Dim, MaxDim))
	}
	if o.Metric.code() == 0 {
		errs = append(errs, fmt.Errorf("unknown metric %q (want cosine, dot or l2)", o.Metric))
	}
	if len(o.Model) > maxModel {
		errs = append(errs, fmt.Errorf("model name is %d bytes, at most %d", len(o.Model), maxModel))
	}
	if o.M < 2 || o.M > MaxM {
		errs = append(errs, fmt.Errorf("m %d is not in 2..%d", o.M, MaxM))
	}
	if o.EfConstruction < o.M || o.EfConstruction > MaxEf {
		errs = append(errs, fmt.Errorf("ef_construction %d is not in m (%d)..%d", o.EfConstruction, o.M, MaxEf))
	}
	if o.EfSearch < 1 || o.EfSearch > MaxEf {
		errs = append(errs, fmt.Errorf("ef_search %d is not in 1..%d", o.EfSearch, MaxEf))
	}
	if o.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers %d is negative", o.Workers))
	}
	return errors.Join(errs...)
}

// graphWanted reports whether n vectors get an HNSW graph.
func (o Options) graphWanted(n int) bool {
	return o.ExactBelow > 0 && n >= o.ExactBelow && n > 0
}
