package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/demo"
	"github.com/outcrop/outcrop/internal/server"
)

// TestDefaultModels checks that each endpoint falls back to the default
// model of its own use for an unknown model name (DEFAULT_MODEL and
// DEFAULT_EMBEDDING_MODEL).
func TestDefaultModels(t *testing.T) {
	d := demo.New(demo.Config{TokenDelay: 1})
	var routes []*provider.Route
	for _, m := range demo.Models() {
		routes = append(routes, &provider.Route{Name: m, Deployments: []*provider.Deployment{{Name: "demo/" + m, Model: m, Provider: d}}})
	}
	base, err := provider.NewRouter(routes, nil)
	if err != nil {
		t.Fatal(err)
	}
	both, err := base.WithDefaults(provider.Defaults{Chat: demo.ChatModel, Embedding: demo.EmbedModel})
	if err != nil {
		t.Fatal(err)
	}
	chatOnly, err := base.WithDefaults(provider.Defaults{Chat: demo.ChatModel})
	if err != nil {
		t.Fatal(err)
	}
	chat := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	embed := `{"model":"text-embedding-3-small","input":"hi"}`
	tests := []struct {
		name       string
		router     *provider.Router
		path, body string
		wantStatus int
		wantObject string
	}{
		{name: "chat default", router: both, path: "/v1/chat/completions", body: chat, wantStatus: 200, wantObject: "chat.completion"},
		{name: "embedding default", router: both, path: "/v1/embeddings", body: embed, wantStatus: 200, wantObject: "list"},
		{name: "no embedding default", router: chatOnly, path: "/v1/embeddings", body: embed, wantStatus: 404},
		{name: "no defaults", router: base, path: "/v1/chat/completions", body: chat, wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(server.New(server.Options{Router: tt.router}))
			defer srv.Close()
			resp, err := http.Post(srv.URL+tt.path, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			var got struct{ Object string }
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Object != tt.wantObject {
				t.Errorf("got object %q, want %q: %s", got.Object, tt.wantObject, body)
			}
		})
	}
}
