package server

import (
	"net/http"

	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// chatCompletions serves POST /v1/chat/completions.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	req, err := openai.DecodeChatCompletionRequest(body)
	if err != nil {
		return err
	}
	sc := middleware.ScopeFrom(r.Context())
	sc.Model, sc.Stream = req.Model, req.Stream
	rt, err := s.router.Lookup(req.Model)
	if err != nil {
		return err
	}
	if req.Stream {
		st, out, err := provider.ChatCompletionStream(r.Context(), rt, req)
		noteOutcome(sc, out)
		if err != nil {
			return err
		}
		return relay(w, r, st, req.IncludeUsage())
	}
	resp, out, err := provider.ChatCompletion(r.Context(), rt, req)
	noteOutcome(sc, out)
	if err != nil {
		return err
	}
	sc.Usage = resp.Usage
	return writeResponse(w, resp.Raw, resp)
}

// noteOutcome records which deployment served the request, and which
// failed before it, for the access log.
func noteOutcome(sc *middleware.Scope, out provider.Outcome) {
	if out.Deployment != nil {
		sc.Deployment = out.Deployment.Name
	}
	for _, f := range out.Failures {
		sc.Fallbacks = append(sc.Fallbacks, f.Deployment+": "+f.Err.Error())
	}
}

// writeResponse writes raw, an upstream's exact bytes, when set, and v
// marshalled otherwise.
func writeResponse(w http.ResponseWriter, raw []byte, v any) error {
	if raw != nil {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(raw)
		return nil
	}
	return writeJSON(w, v)
}
