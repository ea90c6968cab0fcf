package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/retrieval"
)

// generateRequest is the body of POST /generate.
type generateRequest struct {
	Prompt string `json:"prompt"`
	// LLMName is the model that answers; default Native.ChatModel.
	LLMName string `json:"llm_name"`
	// VectorSearchType names the store; default the first one.
	VectorSearchType string `json:"vector_search_type"`
	// TopK overrides the store's number of passages (an extension).
	TopK int `json:"top_k"`
}

// hitTokens is the tokens a retrieved passage is assumed to add to the
// prompt before it is known: the default chunk size of the index builder
// with room to spare.
const hitTokens = 512

// generate serves POST /generate: retrieve from the store, then answer the
// prompt with the passages as context.
func (s *Server) generate(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req generateRequest
	if err := decodeNative(body, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Prompt) == "" {
		return paramError("prompt", "missing_required_parameter", "Missing required parameter: 'prompt'.")
	}
	if req.TopK < 0 || req.TopK > 100 {
		return paramError("top_k", "invalid_value", "Invalid 'top_k': expected 1 to 100 (or 0 for the store's own), got %d.", req.TopK)
	}
	model := req.LLMName
	if model == "" {
		model = s.native.ChatModel
	}
	if model == "" {
		return paramError("llm_name", "missing_required_parameter", "Missing required parameter: 'llm_name' (no native.chat_model is configured).")
	}
	rt, err := s.strictModel(r, "llm_name", model)
	if err != nil {
		return err
	}
	st, err := s.store(req.VectorSearchType)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc := middleware.ScopeFrom(ctx)
	sc.Model = model
	k := req.TopK
	if k == 0 {
		k = st.TopK
	}
	est := access.EstimateText(req.Prompt)
	est.Prompt += int64(k) * hitTokens
	if err := s.admitOne(ctx, w, model, rt, est); err != nil {
		return err
	}
	hits, err := retrieve(ctx, st, retrieval.Query{Text: req.Prompt, TopK: k, MinScore: st.MinScore})
	if err != nil {
		return err
	}
	creq := contextRequest(model, req.Prompt, hits)
	resp, out, err := provider.ChatCompletion(ctx, rt, creq)
	noteOutcome(w, sc, out)
	if err != nil {
		return err
	}
	sc.Usage = resp.Usage
	text, err := answerText(resp)
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []retrieval.Hit{}
	}
	return writeJSON(w, struct {
		Response string          `json:"response"`
		Sources  []retrieval.Hit `json:"sources"`
		Model    string          `json:"model"`
		Store    string          `json:"vector_search_type"`
		Usage    *openai.Usage   `json:"usage,omitempty"`
	}{text, hits, model, st.Name, resp.Usage})
}

// retrieve runs a query on a store, mapping its failures: a query the
// store cannot run is the client's 400; any other failure is the store's,
// a 502 whose details go to the log only.
func retrieve(ctx context.Context, st *Store, q retrieval.Query) ([]retrieval.Hit, error) {
	hits, err := st.Retriever.Retrieve(ctx, q)
	switch {
	case err == nil:
		return hits, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, retrieval.ErrBadQuery):
		return nil, apiError(http.StatusBadRequest, "invalid_query", "The store %q cannot run this query: %s.", st.Name, strings.TrimPrefix(err.Error(), "retrieval: "))
	case errors.Is(err, retrieval.ErrNotReady):
		return nil, apiError(http.StatusServiceUnavailable, "store_not_ready", "The store %q is not ready: %s.", st.Name, strings.TrimPrefix(err.Error(), retrieval.ErrNotReady.Error()+": "))
	}
	code := ""
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		code = " (" + coded.ErrorCode() + ")"
	}
	return nil, &provider.UpstreamError{
		Status: http.StatusBadGateway,
		Err: &openai.Error{
			Status: http.StatusBadGateway, Type: openai.TypeUpstream, Code: "retrieval_failed",
			Message: "The store `" + st.Name + "` could not be searched" + code + ".",
		},
		Cause: err,
	}
}

// contextRequest is a chat request answering prompt with the passages as a
// system message.
func contextRequest(model, prompt string, hits []retrieval.Hit) *openai.ChatCompletionRequest {
	var msgs []openai.Message
	if len(hits) > 0 {
		msgs = append(msgs, openai.Message{Role: "system", Content: openai.TextContent(retrieval.FormatContext(hits))})
	}
	msgs = append(msgs, openai.Message{Role: "user", Content: openai.TextContent(prompt)})
	return &openai.ChatCompletionRequest{Model: model, Messages: msgs}
}

// answerText is the text of a chat answer's first choice, typed or relayed.
func answerText(resp *openai.ChatCompletionResponse) (string, error) {
	if resp.Raw == nil {
		if len(resp.Choices) == 0 {
			return "", badUpstream("The upstream's answer has no choices.")
		}
		if c := resp.Choices[0].Message.Content; c != nil {
			return *c, nil
		}
		return "", nil
	}
	var doc struct {
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(resp.Raw, &doc); err != nil || len(doc.Choices) == 0 {
		return "", badUpstream("The upstream's answer could not be read.")
	}
	if c := doc.Choices[0].Message.Content; c != nil {
		return *c, nil
	}
	return "", nil
}
