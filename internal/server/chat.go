package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// endpoint describes one OpenAI operation (chat, legacy completions,
// embeddings) for serveEndpoint, which runs the flow they share: read and
// decode the body, look the model up, call the route (or open a stream on
// it) and write the answer.
type endpoint[Q any, P any, C chunk] struct {
	decode func([]byte) (Q, error)
	// describe returns the requested model, whether the client asked for a
	// stream, and whether it asked for the stream's usage chunk.
	describe func(Q) (model string, stream, includeUsage bool)
	call     func(context.Context, *provider.Route, Q) (P, provider.Outcome, error)
	// open is nil for operations that never stream.
	open func(context.Context, *provider.Route, Q) (provider.Stream[C], provider.Outcome, error)
	// result returns the upstream's exact bytes (nil for a typed answer)
	// and the usage.
	result func(P) (raw []byte, usage *openai.Usage)
	// use picks the default model for an unknown name.
	use provider.Use
	// estimate is the request's token estimate, for limits and budgets.
	estimate func(Q) access.Estimate
	// operator attaches a virtual key's settings; nil when the operation
	// has none to take.
	operator func(Q, *openai.Operator)
	// augment puts a retrieval model's context into the request and
	// returns the sources to attach (nil for other models); sources and
	// sourcesStream attach them. Nil for operations without retrieval.
	augment       func(context.Context, Q) (Q, json.RawMessage, error)
	sources       func(P, json.RawMessage) (P, error)
	sourcesStream func(provider.Stream[C], json.RawMessage) provider.Stream[C]
}

func serveEndpoint[Q, P any, C chunk](s *Server, e endpoint[Q, P, C]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		req, err := e.decode(body)
		if err != nil {
			return err
		}
		model, stream, includeUsage := e.describe(req)
		sc := middleware.ScopeFrom(r.Context())
		sc.Model, sc.Stream = model, stream
		rt, err := s.router.LookupFor(e.use, model)
		if err != nil {
			return err
		}
		if err := admit(r.Context(), s, w, e, req, model, rt); err != nil {
			return err
		}
		var sources json.RawMessage
		if e.augment != nil {
			if req, sources, err = e.augment(r.Context(), req); err != nil {
				return err
			}
		}
		if stream && e.open != nil {
			st, out, err := e.open(r.Context(), rt, req)
			noteOutcome(w, sc, out)
			if err != nil {
				return err
			}
			if sources != nil {
				st = e.sourcesStream(st, sources)
			}
			return relay(w, r, st, includeUsage, s.heartbeat)
		}
		resp, out, err := e.call(r.Context(), rt, req)
		noteOutcome(w, sc, out)
		if err != nil {
			return err
		}
		if sources != nil {
			if resp, err = e.sources(resp, sources); err != nil {
				return err
			}
		}
		raw, usage := e.result(resp)
		sc.Usage = usage
		return writeResponse(w, raw, resp)
	}
}

// admit applies the gate to a decoded request and attaches the key's
// operator settings.
func admit[Q, P any, C chunk](ctx context.Context, s *Server, w http.ResponseWriter, e endpoint[Q, P, C], req Q, model string, rt *provider.Route) error {
	if s.gate == nil {
		return nil
	}
	var est access.Estimate
	if e.estimate != nil {
		est = e.estimate(req)
	}
	if err := s.gate.Admit(ctx, w.Header(), access.Admission{Model: model, Route: rt, Estimate: est}); err != nil {
		return err
	}
	if k := middleware.ScopeFrom(ctx).Principal; e.operator != nil && k != nil && k.Key != nil {
		if len(k.Key.Metadata) > 0 || k.Key.GuardrailID != "" {
			e.operator(req, &openai.Operator{
				Metadata: k.Key.Metadata, GuardrailID: k.Key.GuardrailID, GuardrailVersion: k.Key.GuardrailVersion,
			})
		}
	}
	return nil
}

// chatCompletions serves POST /v1/chat/completions.
func (s *Server) chatCompletions() handlerFunc {
	return serveEndpoint(s, endpoint[*openai.ChatCompletionRequest, *openai.ChatCompletionResponse, *openai.ChatCompletionChunk]{
		decode: openai.DecodeChatCompletionRequest,
		describe: func(q *openai.ChatCompletionRequest) (string, bool, bool) {
			return q.Model, q.Stream, q.IncludeUsage()
		},
		call: provider.ChatCompletion,
		open: provider.ChatCompletionStream,
		result: func(p *openai.ChatCompletionResponse) ([]byte, *openai.Usage) {
			return p.Raw, p.Usage
		},
		estimate: access.EstimateChat,
		operator: func(q *openai.ChatCompletionRequest, op *openai.Operator) { q.Operator = op },
		augment:  s.augmentChat,
		sources:  withSources,
		sourcesStream: func(st provider.ChatStream, src json.RawMessage) provider.ChatStream {
			return &sourcesStream{ChatStream: st, sources: src}
		},
	})
}

// completions serves the legacy POST /v1/completions.
func (s *Server) completions() handlerFunc {
	return serveEndpoint(s, endpoint[*openai.CompletionRequest, *openai.CompletionResponse, *openai.CompletionResponse]{
		decode: openai.DecodeCompletionRequest,
		describe: func(q *openai.CompletionRequest) (string, bool, bool) {
			return q.Model, q.Stream, q.IncludeUsage()
		},
		call: provider.Completion,
		open: provider.CompletionStreamOn,
		result: func(p *openai.CompletionResponse) ([]byte, *openai.Usage) {
			return p.Raw, p.Usage
		},
		estimate: access.EstimateCompletion,
		operator: func(q *openai.CompletionRequest, op *openai.Operator) { q.Operator = op },
	})
}

// embeddings serves POST /v1/embeddings.
func (s *Server) embeddings() handlerFunc {
	return serveEndpoint(s, endpoint[*openai.EmbeddingRequest, *openai.EmbeddingResponse, *openai.ChatCompletionChunk]{
		decode: openai.DecodeEmbeddingRequest,
		describe: func(q *openai.EmbeddingRequest) (string, bool, bool) {
			return q.Model, false, false
		},
		call: provider.Embeddings,
		result: func(p *openai.EmbeddingResponse) ([]byte, *openai.Usage) {
			return p.Raw, p.Usage
		},
		use:      provider.UseEmbedding,
		estimate: access.EstimateEmbedding,
	})
}

// noteOutcome records which deployment served the request, and which
// failed before it, for the access log, and returns the upstream's request
// ID in a header when the provider reported one.
func noteOutcome(w http.ResponseWriter, sc *middleware.Scope, out provider.Outcome) {
	if out.Deployment != nil {
		sc.Deployment = out.Deployment.Name
	}
	if sc.UpstreamRequestID != "" {
		w.Header().Set(HeaderUpstreamRequestID, sc.UpstreamRequestID)
	}
	for _, f := range out.Failures {
		sc.Fallbacks = append(sc.Fallbacks, f.Deployment+": "+f.Err.Error())
	}
}

// jsonContentType is the Content-Type of every relayed answer, one slice
// shared by all: header values are never changed in place (an Add
// appends to a copy, the slice's capacity being 1).
var jsonContentType = []string{"application/json"}

// writeResponse writes raw, an upstream's exact bytes, when set, and v
// marshalled otherwise.
func writeResponse(w http.ResponseWriter, raw []byte, v any) error {
	if raw != nil {
		h := w.Header()
		h["Content-Type"] = jsonContentType
		// A known length keeps the answer one write: the access log
		// flushes before settling, and a flush without a length would
		// turn the answer chunked, with its end in a second write.
		h.Set("Content-Length", strconv.Itoa(len(raw)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(raw)
		return nil
	}
	return writeJSON(w, v)
}
