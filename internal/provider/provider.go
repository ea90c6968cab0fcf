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

// Passthrough is the optional capability to send a model-native request body
// unchanged (Bedrock InvokeModel) and read the answer's text.
type Passthrough interface {
	// Invoke sends the body and returns the whole answer.
	Invoke(ctx context.Context, req *NativeRequest) (*NativeAnswer, error)
	// InvokeStream returns once the upstream accepted the request and sent
	// its first event, like ChatCompletionStream; later failures come from
	// Recv.
	InvokeStream(ctx context.Context, req *NativeRequest) (NativeStream, error)
}

// NativeRequest is a model-native request: a body in the model family's
// own format (Anthropic Messages, Llama, Titan, Nova...), sent unchanged.
type NativeRequest struct {
	// Model is the upstream model ID (the router rewrites it per
	// deployment), e.g. "anthropic.claude-3-haiku-20240307-v1:0", an
	// inference profile ID or an ARN.
	Model string
	// Body is the payload JSON, sent byte for byte. It must be a JSON
	// object; anything else is refused with a 400 before any call.
	Body []byte
	// GuardrailID, when set, applies this guardrail (an ID or ARN) at
	// GuardrailVersion (a version number or "DRAFT", required with it)
	// instead of the one the deployment configures. It is the gateway's
	// setting (a virtual key's guardrail), not the end client's. Empty: the
	// deployment's guardrail, if any.
	GuardrailID      string
	GuardrailVersion string
	// GuardrailTrace is the guardrail trace, "enabled", "enabled_full" or
	// "disabled" (any case). Empty: the deployment's trace setting.
	GuardrailTrace string
}

// NativeAnswer is the answer to a NativeRequest.
type NativeAnswer struct {
	// Text is the answer's text, read from Raw by the model family's
	// format: its text blocks joined, without reasoning blocks (reasoning
	// a model writes inline, as gpt-oss's <reasoning> tags, is kept). It
	// is empty when the answer has no text (a tool call only), and when
	// Format is empty.
	Text string
	// Format names the body format Text was read from ("anthropic",
	// "llama", "mistral", "titan", "nova", "cohere", "openai" for
	// choices-shaped bodies). Empty means the format was not recognised:
	// Text is then empty and Raw is the only answer.
	Format string
	// Usage is the token accounting, from the body when the format carries
	// it, else from the upstream's token-count headers; nil when neither
	// says.
	Usage *openai.Usage
	// StopReason is the model's own stop reason as it spelled it
	// ("end_turn", "stop", "length", "FINISH", "COMPLETE"...), empty when
	// the body has none.
	StopReason string
	// Raw is the model's native answer body, unchanged.
	Raw []byte
	// RequestID is the upstream's request ID.
	RequestID string
}

// NativeStream is a stream of native answer chunks: chunks with text, then
// one Final chunk, then io.EOF. A stream that fails ends with the error
// from Recv instead of the Final chunk.
type NativeStream = Stream[*NativeChunk]

// NativeChunk is one piece of a streamed native answer.
type NativeChunk struct {
	// Text is the piece of answer text; never empty in a chunk that is not
	// Final, always empty in the Final one.
	Text string
	// Final marks the last chunk, which carries Usage and StopReason.
	Final bool
	// Usage is the answer's token accounting, set on the Final chunk when
	// the upstream reported it.
	Usage *openai.Usage
	// StopReason is the model's own stop reason (see NativeAnswer), set on
	// the Final chunk when the model sent one.
	StopReason string
}
