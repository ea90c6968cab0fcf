package vectorindex

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// DefaultTopK is how many hits a Retriever returns for a query that asks
// for no number, when NewRetriever is given none.
const DefaultTopK = 4

// Retriever is a retrieval.Retriever over a Handle's current index: it
// embeds the query text and searches the index.
type Retriever struct {
	h    *Handle
	emb  retrieval.Embedder
	topK int
}

var _ retrieval.Retriever = (*Retriever)(nil)

// NewRetriever returns a retriever searching h's current index with
// query vectors from emb, which must be the model the index was built
// with. defaultTopK is the number of hits for a query with no TopK; 0
// means DefaultTopK.
func NewRetriever(h *Handle, emb retrieval.Embedder, defaultTopK int) *Retriever {
	if defaultTopK <= 0 {
		defaultTopK = DefaultTopK
	}
	return &Retriever{h: h, emb: emb, topK: defaultTopK}
}

// Retrieve implements retrieval.Retriever. An empty query text, a
// negative TopK or a query embedding that does not fit the index (an
// embedding model other than the index's) is an error wrapping
// retrieval.ErrBadQuery. The hits' Metadata are the caller's to change.
func (r *Retriever) Retrieve(ctx context.Context, q retrieval.Query) ([]retrieval.Hit, error) {
	if strings.TrimSpace(q.Text) == "" {
		return nil, fmt.Errorf("%w: empty query text", retrieval.ErrBadQuery)
	}
	if q.TopK < 0 {
		return nil, fmt.Errorf("%w: top_k is %d", retrieval.ErrBadQuery, q.TopK)
	}
	k := q.TopK
	if k == 0 {
		k = r.topK
	}
	vecs, err := r.emb.Embed(ctx, []string{q.Text})
	if err != nil {
		return nil, fmt.Errorf("vectorindex: embed query: %w", err)
	}
	if len(vecs) != 1 {
		return nil, fmt.Errorf("vectorindex: embed query: got %d vectors for 1 text", len(vecs))
	}
	// One index for the whole query, however many swaps happen meanwhile.
	ix := r.h.Current()
	if len(vecs[0]) != ix.Dim() {
		return nil, fmt.Errorf("%w: query embedding has %d dimensions, the index has %d (built with model %q): "+
			"embed queries with the index's model or rebuild the index", retrieval.ErrBadQuery, len(vecs[0]), ix.Dim(), ix.Model())
	}
	if ix.Len() == 0 {
		return nil, nil
	}
	res, err := ix.Search(vecs[0], k)
	if err != nil {
		if errors.Is(err, retrieval.ErrBadQuery) {
			return nil, fmt.Errorf("query embedding: %w", err)
		}
		return nil, err
	}
	return hits(res, q.MinScore), nil
}

// hits maps results to hits, dropping those scoring below minScore.
func hits(res []Result, minScore float64) []retrieval.Hit {
	out := make([]retrieval.Hit, 0, len(res))
	for _, r := range res {
		score := float64(r.Score)
		// MinScore 0 keeps all (retrieval.Query), even the negative
		// scores of L2 and of dissimilar cosines.
		if minScore != 0 && score < minScore {
			continue
		}
		c := r.Chunk
		out = append(out, retrieval.Hit{
			ID:       c.ID,
			Text:     c.Text,
			Score:    score,
			Source:   c.Source,
			Title:    c.Title,
			Metadata: maps.Clone(c.Metadata),
		})
	}
	return out
}
