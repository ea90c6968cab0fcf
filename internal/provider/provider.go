// Package provider defines what an upstream must do for Outcrop (the
// Provider interface and its optional capabilities), the typed error every
// upstream failure becomes, and the router that maps public model names to
// deployments with fallback.
package provider

import (
	"context"

	"github.com/outcrop/outcrop/internal/openai"
)

// Provider serves chat completions. The request's Model is the upstream's
// model ID (the router rewrites it per deployment); Raw, when set, is the
// client's original body, which a relaying provider forwards with only the
// model rewritten.
type Provider interface {
	ChatCompletion(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error)
	// ChatCompletionStream returns once the upstream accepted the request
	// (status 200 seen). Errors before that are returned here, not from
	// Recv. The stream always reports usage in a trailing usage-only chunk
	// when the upstream knows it, whatever the client asked; the server
	// decides what the client sees.
	ChatCompletionStream(ctx context.Context, req *openai.ChatCompletionRequest) (ChatStream, error)
}

// Stream is a pull-based stream of events. Recv returns io.EOF after the
// last event. Close releases the upstream connection and may be called at
// any time, more than once. No goroutine runs behind a Stream.
type Stream[T any] interface {
	Recv() (T, error)
	Close() error
}

// ChatStream is a stream of chat completion chunks.
type ChatStream = Stream[*openai.ChatCompletionChunk]

// CompletionStream is a stream of legacy completion chunks.
type CompletionStream = Stream[*openai.CompletionResponse]

// Completer is the optional capability to serve legacy text completions.
type Completer interface {
	Completion(ctx context.Context, req *openai.CompletionRequest) (*openai.CompletionResponse, error)
	CompletionStream(ctx context.Context, req *openai.CompletionRequest) (CompletionStream, error)
}

// Embedder is the optional capability to serve embeddings.
type Embedder interface {
	Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error)
}

// ModelLister is the optional capability to list the upstream's models.
type ModelLister interface {
	Models(ctx context.Context) ([]openai.Model, error)
}

// Pinger is the optional capability to check that the upstream is
// reachable, used by the readiness probe.
type Pinger interface {
	Ping(ctx context.Context) error
}
