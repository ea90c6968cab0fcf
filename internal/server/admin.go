package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/store"
)

// adminRoutes are the key management API, for the master key only.
func (s *Server) adminRoutes() []route {
	return []route{
		{"POST", "/admin/keys", s.createKey, levelAdmin},
		{"GET", "/admin/keys", s.listKeys, levelAdmin},
		{"GET", "/admin/keys/{key}", s.showKey, levelAdmin},
		{"PATCH", "/admin/keys/{key}", s.updateKey, levelAdmin},
		{"DELETE", "/admin/keys/{key}", s.revokeKey, levelAdmin},
		{"POST", "/admin/keys/{key}/rotate", s.rotateKey, levelAdmin},
		{"POST", "/admin/keys/{key}/reset-budget", s.resetBudget, levelAdmin},
		{"GET", "/admin/keys/{key}/spend", s.keySpend, levelAdmin},
	}
}

// keyList is the answer of GET /admin/keys.
type keyList struct {
	Object string           `json:"object"`
	Data   []access.KeyView `json:"data"`
}

func (s *Server) decodeSpec(w http.ResponseWriter, r *http.Request) (access.KeySpec, error) {
	var spec access.KeySpec
	body, err := s.readBody(w, r)
	if err != nil {
		return spec, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return spec, &openai.Error{
			Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Code: "invalid_json",
			Message: "The body must be a JSON object of key fields: " + err.Error() + ".",
		}
	}
	return spec, nil
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	spec, err := s.decodeSpec(w, r)
	if err != nil {
		return err
	}
	k, secret, err := s.keys.Create(r.Context(), spec)
	if err != nil {
		return err
	}
	return writeKey(w, http.StatusCreated, k, secret)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.keys.List(r.Context())
	if err != nil {
		return err
	}
	out := keyList{Object: "list", Data: make([]access.KeyView, 0, len(keys))}
	now := time.Now()
	for _, k := range keys {
		out.Data = append(out.Data, access.View(k, "", now))
	}
	return writeJSON(w, out)
}

func (s *Server) showKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.keys.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeKey(w, http.StatusOK, k, "")
}

func (s *Server) updateKey(w http.ResponseWriter, r *http.Request) error {
	spec, err := s.decodeSpec(w, r)
	if err != nil {
		return err
	}
	k, err := s.keys.Update(r.Context(), r.PathValue("key"), spec)
	if err != nil {
		return err
	}
	return writeKey(w, http.StatusOK, k, "")
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.keys.Revoke(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeKey(w, http.StatusOK, k, "")
}

func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	k, secret, err := s.keys.Rotate(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeKey(w, http.StatusOK, k, secret)
}

func (s *Server) resetBudget(w http.ResponseWriter, r *http.Request) error {
	k, err := s.keys.ResetBudget(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeKey(w, http.StatusOK, k, "")
}

func (s *Server) keySpend(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.keys.Spend(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeJSON(w, rep)
}

func writeKey(w http.ResponseWriter, status int, k *store.Key, secret string) error {
	b, err := json.Marshal(access.View(k, secret, time.Now()))
	if err != nil {
		return err
	}
	if secret != "" {
		// The secret is shown once; no cache may keep it.
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSONBytes(w, status, b)
	return nil
}
