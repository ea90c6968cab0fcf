package vectorindex

import (
	"errors"
	"fmt"
	"maps"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// ErrDuplicateID is returned by Builder.Add for a chunk whose non-empty ID
// an earlier chunk has. Two chunks with one ID are a bug in whatever
// split the documents; keeping either would silently drop the other.
var ErrDuplicateID = errors.New("vectorindex: duplicate chunk id")

// Builder collects vectors and their chunks and builds an Index. It is
// not safe for concurrent use.
type Builder struct {
	opts   Options
	vecs   []float32
	chunks []Chunk
	ids    map[string]int
	built  bool
}

// NewBuilder returns a builder for an index with the given options. It
// reports every invalid option at once.
func NewBuilder(opts Options) (*Builder, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("vectorindex: invalid options: %w", err)
	}
	return &Builder{opts: opts, ids: make(map[string]int)}, nil
}

// Grow makes room for n more vectors, sparing the copies of a growing
// slab when the count is known ahead.
func (b *Builder) Grow(n int) {
	if n > 0 && !b.built {
		b.vecs = growCap(b.vecs, n*b.opts.Dim)
		b.chunks = growCap(b.chunks, n)
	}
}

// growCap returns s with room for n more elements.
func growCap[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	return append(s[:len(s):len(s)], make([]T, n)...)[:len(s)]
}

// Len returns the number of vectors added so far.
func (b *Builder) Len() int { return len(b.chunks) }

// Add adds a vector and its chunk; the builder keeps copies of both. A
// vector of the wrong size, with a NaN or infinite component, or (for
// Cosine) of length zero, is an error wrapping retrieval.ErrBadQuery; a
// chunk ID already added is an error wrapping ErrDuplicateID.
func (b *Builder) Add(vec []float32, c Chunk) error {
	if b.built {
		return errBuilt
	}
	if len(b.chunks) >= MaxLen {
		return fmt.Errorf("vectorindex: index is full at %d vectors", MaxLen)
	}
	if err := checkVector(vec, b.opts.Dim); err != nil {
		return fmt.Errorf("%w: chunk %q: %w", retrieval.ErrBadQuery, c.ID, err)
	}
	if i, dup := b.ids[c.ID]; dup && c.ID != "" {
		return fmt.Errorf("%w: %q (chunks %d and %d)", ErrDuplicateID, c.ID, i, len(b.chunks))
	}
	start := len(b.vecs)
	b.vecs = append(b.vecs, vec...)
	if b.opts.Metric == Cosine {
		if err := normalize(b.vecs[start:]); err != nil {
			b.vecs = b.vecs[:start]
			return fmt.Errorf("%w: chunk %q: %w", retrieval.ErrBadQuery, c.ID, err)
		}
	}
	if c.ID != "" {
		b.ids[c.ID] = len(b.chunks)
	}
	c.Metadata = maps.Clone(c.Metadata)
	b.chunks = append(b.chunks, c)
	return nil
}

// Build returns the index of the vectors added, building its HNSW graph
// when there are at least Options.ExactBelow of them, on Options.Workers
// goroutines. The index takes over the builder's memory, so the builder
// is spent: later calls of Add and Build fail.
func (b *Builder) Build() (*Index, error) {
	if b.built {
		return nil, errBuilt
	}
	b.built = true
	ix := newIndex(b.opts, b.vecs, b.chunks, nil)
	b.vecs, b.chunks, b.ids = nil, nil, nil
	if b.opts.graphWanted(ix.Len()) {
		g, err := buildGraph(ix, b.opts.Workers)
		if err != nil {
			return nil, fmt.Errorf("vectorindex: %w", err)
		}
		ix.graph = g
	}
	ix.opts.Workers = 0
	return ix, nil
}
