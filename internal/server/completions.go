package server

import (
	"net/http"

	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// completions serves the legacy POST /v1/completions.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	req, err := openai.DecodeCompletionRequest(body)
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
		st, out, err := provider.CompletionStreamOn(r.Context(), rt, req)
		noteOutcome(sc, out)
		if err != nil {
			return err
		}
		return relay(w, r, st, req.IncludeUsage())
	}
	resp, out, err := provider.Completion(r.Context(), rt, req)
	noteOutcome(sc, out)
	if err != nil {
		return err
	}
	sc.Usage = resp.Usage
	return writeResponse(w, resp.Raw, resp)
}

// embeddings serves POST /v1/embeddings.
func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	req, err := openai.DecodeEmbeddingRequest(body)
	if err != nil {
		return err
	}
	sc := middleware.ScopeFrom(r.Context())
	sc.Model = req.Model
	rt, err := s.router.Lookup(req.Model)
	if err != nil {
		return err
	}
	resp, out, err := provider.Embeddings(r.Context(), rt, req)
	noteOutcome(sc, out)
	if err != nil {
		return err
	}
	sc.Usage = resp.Usage
	return writeResponse(w, resp.Raw, resp)
}
