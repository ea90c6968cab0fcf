package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/retrieval"
)

// promptRequest is the body of POST /prompt and /process.
type promptRequest struct {
	Prompt string `json:"prompt"`
	// Models are the models asked; default Native.PromptModels.
	Models []string `json:"models"`
	// ContextKey looks context up in the context source.
	ContextKey string `json:"context_key"`
}

// promptAnswer is the body of a /prompt answer.
type promptAnswer struct {
	Answers     map[string]string          `json:"answers"`
	Errors      map[string]json.RawMessage `json:"errors"`
	ContextUsed bool                       `json:"context_used"`
	Usage       map[string]*openai.Usage   `json:"usage,omitempty"`
}

// maxPromptModels bounds the fan-out of one request.
const maxPromptModels = 16

// prompt serves POST /prompt (and /process, the same operation under the
// name a two-tier deployment's core service uses): context from the
// context source, then the same prompt to several models at once. One
// model failing or running over its time does not fail the others; all
// failing is a 502 (or their common status, when they all failed alike).
func (s *Server) prompt(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req promptRequest
	if err := decodeNative(body, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Prompt) == "" {
		return paramError("prompt", "missing_required_parameter", "Missing required parameter: 'prompt'.")
	}
	models, routes, err := s.promptModels(r, req.Models)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sc := middleware.ScopeFrom(ctx)
	sc.Model = strings.Join(models, ",")
	text, used, err := s.promptContext(ctx, req.ContextKey)
	if err != nil {
		return err
	}
	var hits []retrieval.Hit
	if used {
		hits = []retrieval.Hit{{Text: text}}
	}
	res := s.askAll(ctx, w, models, routes, func(model string) *openai.ChatCompletionRequest {
		return contextRequest(model, req.Prompt, hits)
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(res.Answers) == 0 {
		for _, k := range []string{"Retry-After", "Retry-After-Ms", "X-Should-Retry"} {
			if v := res.refused.Get(k); v != "" {
				w.Header().Set(k, v)
			}
		}
		return res.failure()
	}
	res.ContextUsed = used
	return writeJSON(w, res.promptAnswer)
}

// promptModels resolves the models of a /prompt request, each strictly.
func (s *Server) promptModels(r *http.Request, asked []string) ([]string, []*provider.Route, error) {
	models := asked
	if len(models) == 0 {
		models = s.native.PromptModels
	}
	if len(models) == 0 && s.native.ChatModel != "" {
		models = []string{s.native.ChatModel}
	}
	if len(models) == 0 {
		return nil, nil, paramError("models", "missing_required_parameter", "Missing required parameter: 'models' (no native.prompt_models is configured).")
	}
	seen := map[string]bool{}
	var names []string
	var routes []*provider.Route
	for i, m := range models {
		if m == "" {
			return nil, nil, paramError(fmt.Sprintf("models[%d]", i), "invalid_value", "Invalid 'models[%d]': empty model name.", i)
		}
		if seen[m] {
			continue
		}
		seen[m] = true
		rt, err := s.strictModel(r, "models", m)
		if err != nil {
			return nil, nil, err
		}
		names = append(names, m)
		routes = append(routes, rt)
	}
	if len(names) > maxPromptModels {
		return nil, nil, paramError("models", "invalid_value", "Invalid 'models': at most %d models, got %d.", maxPromptModels, len(names))
	}
	return names, routes, nil
}

// promptContext looks the context key up; no key means no context.
func (s *Server) promptContext(ctx context.Context, key string) (string, bool, error) {
	if key == "" {
		return "", false, nil
	}
	if s.native.Context == nil {
		return "", false, paramError("context_key", "no_context_source", "No context source is configured (see retrieval.context), so 'context_key' cannot be looked up.")
	}
	text, found, err := s.native.Context.Context(ctx, key)
	switch {
	case err == nil:
		return text, found && text != "", nil
	case ctx.Err() != nil:
		return "", false, ctx.Err()
	case errors.Is(err, retrieval.ErrBadQuery):
		return "", false, paramError("context_key", "invalid_value", "Invalid 'context_key': %s.", strings.TrimPrefix(err.Error(), "retrieval: "))
	}
	return "", false, &provider.UpstreamError{
		Status: http.StatusBadGateway,
		Err: &openai.Error{
			Status: http.StatusBadGateway, Type: openai.TypeUpstream, Code: "context_unavailable",
			Message: "The context source could not be read.",
		},
		Cause: err,
	}
}

// fanOut is the result of asking several models.
type fanOut struct {
	promptAnswer
	// statuses are the failed models' statuses, for the answer when all
	// failed.
	statuses map[string]int
	// refused holds the headers of the last model a limit refused
	// (Retry-After...), sent only when every model failed.
	refused http.Header
}

// askAll sends one request per model at once, each under the native
// prompt timeout and admitted by the gate as a part of the request of its
// own (its limits, budget and ledger record).
func (s *Server) askAll(ctx context.Context, w http.ResponseWriter, models []string, routes []*provider.Route, build func(string) *openai.ChatCompletionRequest) *fanOut {
	res := &fanOut{
		promptAnswer: promptAnswer{Answers: map[string]string{}, Errors: map[string]json.RawMessage{}, Usage: map[string]*openai.Usage{}},
		statuses:     map[string]int{},
	}
	sc := middleware.ScopeFrom(ctx)
	timeout := s.native.PromptTimeout
	if timeout <= 0 {
		timeout = DefaultPromptTimeout
	}
	var mu sync.Mutex
	fail := func(model string, err error) {
		status, body, _ := classify(ctx, err, sc.RequestID)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			status = http.StatusGatewayTimeout
			body = marshalError(&openai.Error{Status: status, Type: openai.TypeTimeout, Message: fmt.Sprintf("The model did not answer within %s.", timeout)})
		}
		var env struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(body, &env) != nil || env.Error == nil {
			env.Error = body
		}
		mu.Lock()
		res.Errors[model], res.statuses[model] = env.Error, status
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i, model := range models {
		creq := build(model)
		var part *access.Part
		if s.gate != nil {
			// Each part's headers are its own: a refused model's
			// Retry-After must not ride on an answer that holds the others.
			h := http.Header{}
			p, err := s.gate.AdmitPart(ctx, h, access.Admission{Model: model, Route: routes[i], Estimate: access.EstimateChat(creq)}, false)
			if err != nil {
				res.refused = h
				fail(model, err)
				continue
			}
			part = p
			for k, v := range h {
				w.Header()[k] = v
			}
		}
		wg.Add(1)
		go func(model string, rt *provider.Route) {
			defer wg.Done()
			mctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			resp, out, err := provider.ChatCompletion(mctx, rt, creq)
			deployment := ""
			if out.Deployment != nil {
				deployment = out.Deployment.Name
			}
			var text string
			if err == nil {
				text, err = answerText(resp)
			}
			if err != nil {
				status, _, _ := classify(mctx, err, sc.RequestID)
				part.Done(status, deployment, nil)
				fail(model, err)
				return
			}
			part.Done(http.StatusOK, deployment, resp.Usage)
			mu.Lock()
			res.Answers[model], res.Usage[model] = text, resp.Usage
			mu.Unlock()
		}(model, routes[i])
	}
	wg.Wait()
	sc.Usage = sumUsage(res.Usage)
	return res
}

// failure is the error of a fan-out in which every model failed: their
// common status and type when they share them (every model refused by a
// rate limit is a 429 as one refusal would be), else a 502, with each
// model's message.
func (f *fanOut) failure() error {
	names := make([]string, 0, len(f.Errors))
	for m := range f.Errors {
		names = append(names, m)
	}
	sort.Strings(names)
	status, typ := 0, ""
	var parts []string
	for _, m := range names {
		var e struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		}
		_ = json.Unmarshal(f.Errors[m], &e)
		parts = append(parts, m+": "+strings.TrimSuffix(e.Message, "."))
		switch st := f.statuses[m]; {
		case status == 0:
			status, typ = st, e.Type
		case status != st:
			status, typ = http.StatusBadGateway, openai.TypeUpstream
		case typ != e.Type:
			typ = openai.TypeUpstream
		}
	}
	if status < 400 || typ == "" {
		status, typ = http.StatusBadGateway, openai.TypeUpstream
	}
	return &openai.Error{
		Status: status, Type: typ, Code: "all_models_failed",
		Message: "Every model failed: " + strings.Join(parts, "; ") + ".",
	}
}

// sumUsage adds the models' usage for the access log.
func sumUsage(us map[string]*openai.Usage) *openai.Usage {
	if len(us) == 0 {
		return nil
	}
	var t openai.Usage
	for _, u := range us {
		if u == nil {
			continue
		}
		t.PromptTokens += u.PromptTokens
		t.CompletionTokens += u.CompletionTokens
		t.TotalTokens += u.TotalTokens
	}
	return &t
}
