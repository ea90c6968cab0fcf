// Package vectorindex is Outcrop's embedded vector index, the "local" (or
// "faiss") retrieval store: built offline from embedded chunks, shipped as
// one file beside the service, loaded at startup, searched in memory and
// swapped for a new file while queries run.
//
// Small indexes are searched exactly (brute force). From
// Options.ExactBelow vectors on, an HNSW graph (Malkov and Yashunin,
// "Efficient and robust approximate nearest neighbor search using
// Hierarchical Navigable Small World graphs", arXiv:1603.09320) answers
// queries in a few hundred distance computations instead of one per
// vector. Vectors live in one contiguous float32 slab; the file format is
// described in file.go.
package vectorindex

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// Chunk is what the index stores with each vector: the passage a search
// returns.
type Chunk struct {
	// ID identifies the chunk; non-empty IDs are unique in an index.
	ID string
	// Text is the passage.
	Text string
	// Source is where it came from: a file path, a URL.
	Source string
	// Title is its document's title.
	Title string
	// Metadata are its attributes.
	Metadata map[string]string
}

// Result is one search hit.
type Result struct {
	// Chunk is the stored chunk, shared with the index and every other
	// search: read it, do not modify it.
	Chunk *Chunk
	// Score is the chunk's score under the index's metric, higher is
	// better (see Metric).
	Score float32
}

// Index is a loaded, immutable vector index. It is safe for concurrent
// use by many goroutines.
type Index struct {
	opts   Options
	vecs   []float32 // Len()*Dim() components, vector i at [i*dim, (i+1)*dim)
	chunks []Chunk
	graph  *graph // nil when every search is exact
	score  func(a, b []float32) float32
	pool   sync.Pool // *scratch
}

// newIndex assembles an index from validated parts.
func newIndex(opts Options, vecs []float32, chunks []Chunk, g *graph) *Index {
	return &Index{opts: opts, vecs: vecs, chunks: chunks, graph: g, score: opts.Metric.scoreFunc()}
}

// Len returns the number of vectors.
func (ix *Index) Len() int { return len(ix.chunks) }

// Dim returns the vector size.
func (ix *Index) Dim() int { return ix.opts.Dim }

// Metric returns how vectors are compared.
func (ix *Index) Metric() Metric { return ix.opts.Metric }

// Model returns the embedding model the vectors came from, as recorded
// when the index was built.
func (ix *Index) Model() string { return ix.opts.Model }

// Options returns the options the index was built with, defaults
// applied. Workers is always 0: it is not recorded.
func (ix *Index) Options() Options { return ix.opts }

// HasGraph reports whether searches use the HNSW graph; false means
// every search is exact.
func (ix *Index) HasGraph() bool { return ix.graph != nil }

// Search returns the k chunks closest to vec, best first: through the
// HNSW graph with a candidate list of max(EfSearch, k) when the index has
// one, else exactly. It returns fewer when the index has fewer. A vector
// of the wrong size, with a NaN or infinite component, or (for Cosine) of
// length zero, or a k below 1, is an error wrapping retrieval.ErrBadQuery.
func (ix *Index) Search(vec []float32, k int) ([]Result, error) {
	return ix.SearchEf(vec, k, ix.opts.EfSearch)
}

// SearchEf is Search with another candidate list size than the index's
// EfSearch: larger finds more of the true neighbours, more slowly. It is
// for tuning; the search uses max(ef, k). An exact index ignores ef.
func (ix *Index) SearchEf(vec []float32, k, ef int) ([]Result, error) {
	if ix.graph == nil {
		return ix.SearchExact(vec, k)
	}
	s, q, err := ix.begin(vec, k)
	if err != nil {
		return nil, err
	}
	defer ix.pool.Put(s)
	k = min(k, ix.Len())
	ef = min(max(ef, k), ix.Len())
	return ix.results(ix.searchGraph(q, ef, s), k), nil
}

// SearchExact returns the k chunks closest to vec, best first, by
// scoring every vector. Its errors are Search's.
func (ix *Index) SearchExact(vec []float32, k int) ([]Result, error) {
	s, q, err := ix.begin(vec, k)
	if err != nil {
		return nil, err
	}
	defer ix.pool.Put(s)
	return ix.results(ix.searchExact(q, min(k, ix.Len()), s), k), nil
}

// begin checks a query and returns pooled scratch holding it ready to
// score: a copy, normalised for Cosine.
func (ix *Index) begin(vec []float32, k int) (*scratch, []float32, error) {
	if k < 1 {
		return nil, nil, fmt.Errorf("%w: k is %d, want at least 1", retrieval.ErrBadQuery, k)
	}
	if err := checkVector(vec, ix.opts.Dim); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", retrieval.ErrBadQuery, err)
	}
	s, _ := ix.pool.Get().(*scratch)
	if s == nil {
		s = new(scratch)
	}
	s.query = append(s.query[:0], vec...)
	if ix.opts.Metric == Cosine {
		if err := normalize(s.query); err != nil {
			ix.pool.Put(s)
			return nil, nil, fmt.Errorf("%w: %w", retrieval.ErrBadQuery, err)
		}
	}
	return s, s.query, nil
}

// results turns the best-first candidates into at most k results.
func (ix *Index) results(best []cand, k int) []Result {
	best = best[:min(k, len(best))]
	out := make([]Result, len(best))
	for i, c := range best {
		out[i] = Result{Chunk: &ix.chunks[c.id], Score: c.score}
	}
	return out
}

// vec returns vector id.
func (ix *Index) vec(id uint32) []float32 {
	d := ix.opts.Dim
	i := int(id) * d
	return ix.vecs[i : i+d : i+d]
}

// errBuilt is returned by a Builder that has already built its index.
var errBuilt = errors.New("vectorindex: builder already built its index")

// layoutBytes is the memory the index's slabs and chunk headers take
// (passage text and metadata not counted): what a vector costs.
func (ix *Index) layoutBytes() int {
	n := 4*len(ix.vecs) + len(ix.chunks)*int(unsafe.Sizeof(Chunk{}))
	if g := ix.graph; g != nil {
		n += len(g.levels) + 4*(len(g.links0)+len(g.upper)+len(g.upperOff))
	}
	return n
}
