// Package retrieval finds context for a prompt: the Retriever interface and
// its hits, the embedder a vector store queries with, and the exact-key
// context sources (Redis in front of DynamoDB). The stores live in
// sub-packages: vectorindex (the embedded index), kendra, bedrockkb and
// contextsrc.
package retrieval

import (
	"context"
	"errors"
)

// Hit is one retrieved passage.
type Hit struct {
	// ID identifies the passage within its store (a chunk ID, a Kendra
	// result ID).
	ID string `json:"id,omitempty"`
	// Text is the passage itself.
	Text string `json:"text"`
	// Score is the store's relevance score, higher is better. Its scale
	// is the store's: a cosine similarity for the local index, a 0..1
	// score for Knowledge Bases; Kendra's confidence buckets map to
	// 0.25, 0.5, 0.75 and 1.
	Score float64 `json:"score"`
	// Source is where the passage came from: a file path, a document URI,
	// an S3 location. Empty when the store does not say.
	Source string `json:"source,omitempty"`
	// Title is the document's title when the store has one.
	Title string `json:"title,omitempty"`
	// Metadata are the passage's attributes as strings.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Query is a retrieval request.
type Query struct {
	// Text is what to search for. Required.
	Text string
	// TopK is how many hits to return at most; 0 means the store's
	// default.
	TopK int
	// MinScore drops hits that score below it; 0 keeps all.
	MinScore float64
}

// Retriever finds passages relevant to a query.
type Retriever interface {
	// Retrieve returns at most q.TopK hits, best first. An empty result
	// is not an error.
	Retrieve(ctx context.Context, q Query) ([]Hit, error)
}

// Embedder turns texts into vectors, in order, one per text. The gateway's
// implementation calls the configured embedding model (with the cache);
// tests use the demo upstream's.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// EmbedFunc adapts a function to Embedder.
type EmbedFunc func(ctx context.Context, texts []string) ([][]float32, error)

// Embed implements Embedder.
func (f EmbedFunc) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return f(ctx, texts)
}

// ContextSource looks context up by an exact key (a user, a session, a
// document ID).
type ContextSource interface {
	// Context returns the context stored under key; found is false, with
	// a nil error, when there is none.
	Context(ctx context.Context, key string) (text string, found bool, err error)
}

// ErrBadQuery reports a query a store cannot run (an empty text, a vector
// of the wrong size). Callers map it to 400.
var ErrBadQuery = errors.New("retrieval: bad query")

// ErrNotReady reports a store that cannot answer yet (a local index that
// has not been built). Callers map it to 503.
var ErrNotReady = errors.New("retrieval: store not ready")
