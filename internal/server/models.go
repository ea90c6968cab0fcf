package server

import (
	"net/http"

	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// listModels serves GET /v1/models: every public model name and alias the
// caller's key may use.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, openai.ModelList{Object: openai.ObjectList, Data: s.visibleModels(r)})
}

// visibleModels lists the models the request's principal may use: a key
// with a model list sees those, and the aliases of those.
func (s *Server) visibleModels(r *http.Request) []openai.Model {
	all := s.router.Models()
	p := middleware.ScopeFrom(r.Context()).Principal
	if p == nil || p.Key == nil || len(p.Key.Models) == 0 {
		return all
	}
	out := make([]openai.Model, 0, len(p.Key.Models))
	for _, m := range all {
		if p.ModelAllowed(m.ID) {
			out = append(out, m)
			continue
		}
		if rt, err := s.router.LookupFor(provider.UseChat, m.ID); err == nil && p.ModelAllowed(rt.Name) {
			out = append(out, m)
		}
	}
	return out
}

// getModel serves GET /v1/models/{model...}. Model IDs may contain ':' and
// '/' (Bedrock IDs and ARNs), hence the trailing wildcard.
func (s *Server) getModel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("model")
	for _, m := range s.visibleModels(r) {
		if m.ID == id {
			return writeJSON(w, m)
		}
	}
	return openai.ModelNotFound(id)
}

type status struct {
	Status string `json:"status"`
}

// health serves GET /health, the liveness probe: the process is up.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, status{"ok"})
}

// ready serves GET /ready, the readiness probe. It does not call the
// upstreams: an upstream outage would then take every replica out of the
// load balancer at once and turn a partial failure into a full one.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		writeJSONBytes(w, http.StatusServiceUnavailable, []byte(`{"status":"shutting down"}`))
		return nil
	}
	return writeJSON(w, status{"ready"})
}
