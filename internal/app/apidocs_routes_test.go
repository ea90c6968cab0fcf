package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/apidocs"
)

// docRoutes are the routes apidocs.Register adds to the gateway's mux
// itself (through server.Options.Extra), so Server.Routes does not list
// them. Its /docs/ redirect and /docs/assets/ files are not operations and
// are documented nowhere.
var docRoutes = []string{"GET /openapi.json", "GET /docs", "GET /redoc"}

// wildcard matches a ServeMux wildcard that takes the rest of the path,
// which the document writes as a plain {name}.
var wildcard = regexp.MustCompile(`\{(\w+)\.\.\.\}`)

// buildDocsGateway builds the demo gateway, unserved, and closes it when
// the test ends.
func buildDocsGateway(t *testing.T) *Gateway {
	t.Helper()
	cfg := demoConfig(0)
	cfg.Storage.DataDir = t.TempDir()
	gw, err := Build(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := gw.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return gw
}

// TestServedRoutesDocumented checks that the built gateway serves exactly
// the routes the OpenAPI document describes: a served route missing from
// it is invisible to clients and code generators, and a documented one
// nobody serves is a lie to them. apidocs' own tests tie Routes to the
// document's paths.
func TestServedRoutesDocumented(t *testing.T) {
	gw := buildDocsGateway(t)
	served := append([]string(nil), docRoutes...)
	for _, r := range gw.Server.Routes() {
		served = append(served, r[0]+" "+wildcard.ReplaceAllString(r[1], "{$1}"))
	}
	var documented []string
	for _, r := range apidocs.Routes() {
		documented = append(documented, r.Method+" "+r.Path)
	}
	sort.Strings(served)
	sort.Strings(documented)
	if diff := cmp.Diff(documented, served); diff != "" {
		t.Errorf("served routes differ from the documented ones (-documented +served):\n%s", diff)
	}
}

// TestDocumentedRoutesAnswered sends each documented route's example
// request, without a body, through the gateway's handler: each must reach
// its handler, not the gateway's unknown-URL or wrong-method answer. The
// handlers may refuse the empty request (400, 403 for the admin routes of
// a gateway without a master key, 404 for the example model), which is
// fine.
func TestDocumentedRoutesAnswered(t *testing.T) {
	gw := buildDocsGateway(t)
	for _, r := range apidocs.Routes() {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			gw.Server.ServeHTTP(rec, httptest.NewRequest(r.Method, r.Example, nil))
			var body struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if code := body.Error.Code; code == "unknown_url" || code == "method_not_allowed" {
				t.Errorf("%s %s: status %d, code %s; want the route's handler", r.Method, r.Example, rec.Code, code)
			}
		})
	}
}

// TestGatewayServesSpec checks that the gateway mounts the document:
// GET /openapi.json through its handler, without a key, is Spec (whose
// parsing apidocs' TestSpecServed checks).
func TestGatewayServesSpec(t *testing.T) {
	gw := buildDocsGateway(t)
	rec := httptest.NewRecorder()
	gw.Server.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), apidocs.Spec()) {
		t.Errorf("GET /openapi.json: status %d, %d bytes; want 200 and Spec()'s %d", rec.Code, rec.Body.Len(), len(apidocs.Spec()))
	}
}
