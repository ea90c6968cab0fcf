package awsretrieval

import (
	"fmt"
	"strings"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// Limit checks q and returns how many hits to ask the service for:
// q.TopK, at most limit, or def when q names none. An empty text or a
// negative TopK is retrieval.ErrBadQuery.
func (s Service) Limit(q retrieval.Query, def, limit int) (int, error) {
	if strings.TrimSpace(q.Text) == "" {
		return 0, fmt.Errorf("%w: %s: empty query text", retrieval.ErrBadQuery, s.Name)
	}
	if q.TopK < 0 {
		return 0, fmt.Errorf("%w: %s: negative top_k %d", retrieval.ErrBadQuery, s.Name, q.TopK)
	}
	if q.TopK > 0 {
		return min(q.TopK, limit), nil
	}
	return def, nil
}
