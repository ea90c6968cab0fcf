package server

import (
	"net/http"

	"github.com/outcrop/outcrop/internal/openai"
)

// listModels serves GET /v1/models: every public model name and alias.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, openai.ModelList{Object: openai.ObjectList, Data: s.router.Models()})
}

// getModel serves GET /v1/models/{model...}. Model IDs may contain ':' and
// '/' (Bedrock IDs and ARNs), hence the trailing wildcard.
func (s *Server) getModel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("model")
	for _, m := range s.router.Models() {
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
