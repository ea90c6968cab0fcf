package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/outcrop/outcrop/internal/openai"
)

// Deployment is one place a public model is served: a provider and the
// model ID it knows the model by.
type Deployment struct {
	// Name identifies the deployment in logs and metrics.
	Name string
	// Model is the upstream's model ID (for Azure's classic API, the
	// deployment name).
	Model string
	// Provider serves the requests.
	Provider Provider
}

// Route is a public model name and the deployments that serve it, in order
// of preference: the first is used, the next ones on retryable failures.
type Route struct {
	Name        string
	OwnedBy     string
	Created     int64
	Deployments []*Deployment
}

// Router maps public model names and aliases to routes. It is immutable
// after NewRouter and safe for concurrent use.
type Router struct {
	routes  map[string]*Route
	aliases map[string]string
	names   []string
	// defaults answer LookupFor for unknown names, by use.
	defaults [useCount]*Route
}

// Use is what a request is for, so that a model name the router does not
// know can fall back to the default model for that use (see Defaults).
type Use int

// The uses.
const (
	// UseChat is chat and legacy completions.
	UseChat Use = iota
	// UseEmbedding is embeddings.
	UseEmbedding
	useCount
)

// Defaults name the models that answer requests for model names the
// router does not know, per use: bedrock-access-gateway's DEFAULT_MODEL
// and DEFAULT_EMBEDDING_MODEL. An empty name means no fallback: such
// requests get 404 model_not_found.
type Defaults struct {
	Chat, Embedding string
}

// NewRouter builds a router. Aliases map extra names onto route names; an
// alias that shadows a route or names an unknown route is an error.
func NewRouter(routes []*Route, aliases map[string]string) (*Router, error) {
	r := &Router{routes: make(map[string]*Route, len(routes)), aliases: make(map[string]string, len(aliases))}
	for _, rt := range routes {
		if _, dup := r.routes[rt.Name]; dup {
			return nil, fmt.Errorf("model %q defined twice", rt.Name)
		}
		if len(rt.Deployments) == 0 {
			return nil, fmt.Errorf("model %q has no deployment", rt.Name)
		}
		r.routes[rt.Name] = rt
		r.names = append(r.names, rt.Name)
	}
	for alias, target := range aliases {
		if _, ok := r.routes[alias]; ok {
			return nil, fmt.Errorf("alias %q shadows a model of the same name", alias)
		}
		if _, ok := r.routes[target]; !ok {
			return nil, fmt.Errorf("alias %q names unknown model %q", alias, target)
		}
		r.aliases[alias] = target
	}
	sort.Strings(r.names)
	return r, nil
}

// WithDefaults returns a copy of r whose LookupFor falls back to the
// default models of d. Each name must be a model or alias of r.
func (r *Router) WithDefaults(d Defaults) (*Router, error) {
	out := *r
	for use, name := range [useCount]string{UseChat: d.Chat, UseEmbedding: d.Embedding} {
		out.defaults[use] = nil
		if name == "" {
			continue
		}
		rt, err := r.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("default model %q is not a model or alias", name)
		}
		out.defaults[use] = rt
	}
	return &out, nil
}

// LookupFor is Lookup for a request of the given use: a name the router
// does not know is answered by the default model for that use, when there
// is one. The request keeps the name the client sent, so the answer names
// it too, as for an alias.
func (r *Router) LookupFor(use Use, model string) (*Route, error) {
	rt, err := r.Lookup(model)
	if err != nil && use >= 0 && use < useCount && r.defaults[use] != nil {
		return r.defaults[use], nil
	}
	return rt, err
}

// Lookup returns the route for a model name or alias, or the OpenAI 404
// model_not_found error. It ignores the default models; see LookupFor.
func (r *Router) Lookup(model string) (*Route, error) {
	if rt, ok := r.routes[model]; ok {
		return rt, nil
	}
	if target, ok := r.aliases[model]; ok {
		return r.routes[target], nil
	}
	return nil, openai.ModelNotFound(model)
}

// Models lists every public model name and alias, sorted, as /v1/models
// shows them.
func (r *Router) Models() []openai.Model {
	out := make([]openai.Model, 0, len(r.names)+len(r.aliases))
	for _, n := range r.names {
		rt := r.routes[n]
		out = append(out, openai.Model{ID: n, Object: openai.ObjectModel, Created: rt.Created, OwnedBy: rt.OwnedBy})
	}
	for a, target := range r.aliases {
		rt := r.routes[target]
		out = append(out, openai.Model{ID: a, Object: openai.ObjectModel, Created: rt.Created, OwnedBy: rt.OwnedBy})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Failure is one failed attempt at a deployment.
type Failure struct {
	Deployment string
	Err        error
}

// Outcome says which deployment served a request and which failed first.
type Outcome struct {
	Deployment *Deployment
	Failures   []Failure
}

// errUnsupported marks a deployment that lacks the capability a request
// needs; the router moves on to the next one.
var errUnsupported = errors.New("capability not supported")

// Call runs fn against the route's deployments in order until one succeeds,
// moving on only after a retryable failure or a missing capability.
func Call[T any](ctx context.Context, rt *Route, fn func(context.Context, *Deployment) (T, error)) (T, Outcome, error) {
	var out Outcome
	var zero T
	var last error
	for _, d := range rt.Deployments {
		v, err := fn(ctx, d)
		if err == nil {
			out.Deployment = d
			return v, out, nil
		}
		out.Failures = append(out.Failures, Failure{Deployment: d.Name, Err: err})
		last = err
		if !errors.Is(err, errUnsupported) && !IsRetryable(err) {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	if errors.Is(last, errUnsupported) {
		// A deployment that could serve the request failed first (a 429,
		// say): that failure is the answer, not "unsupported", which would
		// tell the client not to retry.
		for i := len(out.Failures) - 1; i >= 0; i-- {
			if err := out.Failures[i].Err; !errors.Is(err, errUnsupported) {
				return zero, out, err
			}
		}
		var ue *unsupportedError
		if errors.As(last, &ue) {
			return zero, out, ue.apiError(rt.Name)
		}
	}
	return zero, out, last
}

type unsupportedError struct{ what string }

func (e *unsupportedError) Error() string        { return e.what + " not supported" }
func (e *unsupportedError) Is(target error) bool { return target == errUnsupported }
func (e *unsupportedError) apiError(model string) *openai.Error {
	return &openai.Error{
		Status:  http.StatusBadRequest,
		Type:    openai.TypeInvalidRequest,
		Param:   "model",
		Code:    "unsupported_model",
		Message: fmt.Sprintf("The model `%s` does not support %s.", model, e.what),
	}
}

// Unsupported returns the error a deployment gives for a capability its
// provider lacks; what names it for the client ("embeddings").
func Unsupported(what string) error { return &unsupportedError{what: what} }

// ChatCompletion serves a non-streaming chat request on the route.
func ChatCompletion(ctx context.Context, rt *Route, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, Outcome, error) {
	return Call(ctx, rt, func(ctx context.Context, d *Deployment) (*openai.ChatCompletionResponse, error) {
		r := *req
		r.ClientModel, r.Model = req.Model, d.Model
		return d.Provider.ChatCompletion(ctx, &r)
	})
}

// ChatCompletionStream opens a chat stream on the route and reads its first
// chunk before returning, so that a failure before the first byte can still
// fall back to the next deployment and reach the client as a plain JSON
// error with its real status.
func ChatCompletionStream(ctx context.Context, rt *Route, req *openai.ChatCompletionRequest) (ChatStream, Outcome, error) {
	return Call(ctx, rt, func(ctx context.Context, d *Deployment) (ChatStream, error) {
		r := *req
		r.ClientModel, r.Model = req.Model, d.Model
		s, err := d.Provider.ChatCompletionStream(ctx, &r)
		if err != nil {
			return nil, err
		}
		return peek(s)
	})
}

// Completion serves a non-streaming legacy completion on the route.
func Completion(ctx context.Context, rt *Route, req *openai.CompletionRequest) (*openai.CompletionResponse, Outcome, error) {
	return Call(ctx, rt, func(ctx context.Context, d *Deployment) (*openai.CompletionResponse, error) {
		c, ok := d.Provider.(Completer)
		if !ok {
			return nil, Unsupported("legacy completions")
		}
		r := *req
		r.ClientModel, r.Model = req.Model, d.Model
		return c.Completion(ctx, &r)
	})
}

// CompletionStreamOn opens a legacy completion stream on the route; see
// ChatCompletionStream.
func CompletionStreamOn(ctx context.Context, rt *Route, req *openai.CompletionRequest) (CompletionStream, Outcome, error) {
	return Call(ctx, rt, func(ctx context.Context, d *Deployment) (CompletionStream, error) {
		c, ok := d.Provider.(Completer)
		if !ok {
			return nil, Unsupported("legacy completions")
		}
		r := *req
		r.ClientModel, r.Model = req.Model, d.Model
		s, err := c.CompletionStream(ctx, &r)
		if err != nil {
			return nil, err
		}
		return peek(s)
	})
}

// Embeddings serves an embeddings request on the route.
func Embeddings(ctx context.Context, rt *Route, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, Outcome, error) {
	return Call(ctx, rt, func(ctx context.Context, d *Deployment) (*openai.EmbeddingResponse, error) {
		e, ok := d.Provider.(Embedder)
		if !ok {
			return nil, Unsupported("embeddings")
		}
		r := *req
		r.ClientModel, r.Model = req.Model, d.Model
		return e.Embeddings(ctx, &r)
	})
}

// peeked is a stream whose first event was read ahead.
type peeked[T any] struct {
	Stream[T]
	first T
	err   error
	used  bool
}

func peek[T any](s Stream[T]) (Stream[T], error) {
	first, err := s.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		s.Close()
		return nil, err
	}
	return &peeked[T]{Stream: s, first: first, err: err}, nil
}

func (p *peeked[T]) Recv() (T, error) {
	if !p.used {
		p.used = true
		return p.first, p.err
	}
	return p.Stream.Recv()
}
