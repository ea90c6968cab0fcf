package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/retrieval"
)

// Native configures the native API: POST /chat (model-native bodies passed
// through, and embeddings), POST /generate (retrieval, then an answer),
// GET /models (what those may name), POST /prompt and /process (one
// prompt to several models at once). It shares the keys, limits, logs and
// providers of the OpenAI routes.
type Native struct {
	// ChatModel answers /chat, /generate and /prompt requests that name
	// no model; "" makes the model required.
	ChatModel string
	// EmbeddingModel answers /chat's embed mode when the request names no
	// model; "" makes the model required.
	EmbeddingModel string
	// PromptModels are asked by /prompt when the request names none;
	// default [ChatModel].
	PromptModels []string
	// PromptTimeout caps each model's answer in /prompt; default 60s.
	PromptTimeout time.Duration
	// Stores are the retrieval stores, in the order GET /models lists
	// them; the first answers /generate requests naming none.
	Stores []*Store
	// Context is /prompt's exact-key context source; nil for none.
	Context retrieval.ContextSource
	// Embedder embeds /chat's embed mode through the embedding cache; nil
	// calls the model directly.
	Embedder Embedder
}

// Store is a named retrieval store.
type Store struct {
	Name string
	// Local marks the embedded vector index, which the native API also
	// answers to as "faiss".
	Local     bool
	Retriever retrieval.Retriever
	// TopK and MinScore are the store's defaults.
	TopK     int
	MinScore float64
}

// Embedder embeds texts with a route's model, through a cache.
type Embedder interface {
	// Embed returns one vector per input string of req, in order. Usage
	// and Outcome describe the upstream call made for the cache's misses
	// (zero when everything was cached).
	Embed(ctx context.Context, rt *provider.Route, req *openai.EmbeddingRequest) (*Embedded, error)
}

// Embedded is what Embedder returns.
type Embedded struct {
	Vectors [][]float32
	Usage   *openai.Usage
	Outcome provider.Outcome
}

// DefaultPromptTimeout is Native.PromptTimeout's default.
const DefaultPromptTimeout = 60 * time.Second

func (s *Server) nativeRoutes() []route {
	if s.native == nil {
		return nil
	}
	return []route{
		{"POST", "/chat", s.nativeChat, levelAPI},
		{"POST", "/generate", s.generate, levelAPI},
		{"GET", "/models", s.nativeModels, levelAPI},
		{"POST", "/prompt", s.prompt, levelAPI},
		{"POST", "/process", s.prompt, levelAPI},
	}
}

// decodeNative decodes a native request body into v: a JSON object, with
// unknown fields ignored (clients of the native API send session IDs and
// the like), and a type error named by its field.
//
// It decodes once: encoding/json checks the whole input before it
// decodes any of it, so a syntax error is reported before a type error,
// as a decode into any first would have. Only a body that is not an
// object is decoded a second time, for its message.
func decodeNative(body []byte, v any) error {
	notJSON := func(err error) error {
		return apiError(http.StatusBadRequest, "invalid_json",
			"The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		var probe any
		if err := json.Unmarshal(body, &probe); err != nil {
			return notJSON(err)
		}
		return apiError(http.StatusBadRequest, "invalid_json", "The request body must be a JSON object.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return notJSON(err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			e := apiError(http.StatusBadRequest, "invalid_type",
				"Invalid type for '%s': expected %s, but got a JSON %s.", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
			e.Param = te.Field
			return e
		}
		return apiError(http.StatusBadRequest, "invalid_json", "The request body is not valid: %s.", err)
	}
	return nil
}

// jsonKind names a Go kind as the JSON type a client would write.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "a number"
}

// paramError is a 400 naming the parameter at fault.
func paramError(param, code, format string, args ...any) *openai.Error {
	e := apiError(http.StatusBadRequest, code, format, args...)
	e.Param = param
	return e
}

// nativeModels serves GET /models: the model names the native API takes
// (the ones the key may use) and the store names.
func (s *Server) nativeModels(w http.ResponseWriter, r *http.Request) error {
	models := s.visibleModels(r)
	llm := make([]string, 0, len(models))
	for _, m := range models {
		llm = append(llm, m.ID)
	}
	dbs := make([]string, 0, len(s.native.Stores))
	for _, st := range s.native.Stores {
		dbs = append(dbs, st.Name)
	}
	return writeJSON(w, struct {
		LLMModels []string `json:"llm_models"`
		VectorDBs []string `json:"vector_dbs"`
	}{llm, dbs})
}

// strictModel resolves a model the native API was asked for, without the
// default-model fallback of the OpenAI routes: an unknown name is a 400
// naming the valid ones, as the native API's clients expect.
func (s *Server) strictModel(r *http.Request, param, model string) (*provider.Route, error) {
	rt, err := s.router.LookupFor(-1, model)
	if err == nil {
		return rt, nil
	}
	var names []string
	for _, m := range s.visibleModels(r) {
		names = append(names, m.ID)
	}
	return nil, paramError(param, "model_not_found", "Unknown model %q for '%s'; valid models: %s.", model, param, quoteList(names))
}

// store finds a store by name: "" is the first one and "faiss" the first
// local one.
func (s *Server) store(name string) (*Store, error) {
	stores := s.native.Stores
	if len(stores) == 0 {
		return nil, paramError("vector_search_type", "no_store", "No retrieval store is configured (see retrieval.stores).")
	}
	if name == "" {
		return stores[0], nil
	}
	for _, st := range stores {
		if st.Name == name {
			return st, nil
		}
	}
	if strings.EqualFold(name, "faiss") {
		for _, st := range stores {
			if st.Local {
				return st, nil
			}
		}
	}
	names := make([]string, 0, len(stores))
	for _, st := range stores {
		names = append(names, st.Name)
	}
	return nil, paramError("vector_search_type", "store_not_found", "Unknown store %q for 'vector_search_type'; valid stores: %s.", name, quoteList(names))
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}
