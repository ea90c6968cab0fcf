package apidocs

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeSpec parses Spec into generic JSON values.
func decodeSpec(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(Spec(), &doc); err != nil {
		t.Fatalf("Spec() is not JSON: %v", err)
	}
	return doc
}

// obj returns v[key] as an object, failing the test if it is not one.
func obj(t *testing.T, v map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := v[key].(map[string]any)
	if !ok {
		t.Fatalf("%q is %T, want an object", key, v[key])
	}
	return o
}

func TestSpecIsOpenAPI31(t *testing.T) {
	doc := decodeSpec(t)
	version, _ := doc["openapi"].(string)
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(version) {
		t.Errorf("openapi is %q, want 3.1.x", version)
	}
	info := obj(t, doc, "info")
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is empty", k)
		}
	}
}

// TestSpecKeepsAuthoredOrder checks that conversion kept YAML key order,
// which the renderers use to order the paths.
func TestSpecKeepsAuthoredOrder(t *testing.T) {
	spec := string(Spec())
	first := []string{`"openapi"`, `"info"`, `"/v1/chat/completions"`, `"/v1/completions"`, `"components"`}
	last := -1
	for _, s := range first {
		i := strings.Index(spec, s)
		if i < last {
			t.Errorf("%s at offset %d, before the previous key at %d; want authored order %v", s, i, last, first)
		}
		last = i
	}
}

func TestSpecDocumentsRoutes(t *testing.T) {
	paths := obj(t, decodeSpec(t), "paths")
	documented := map[string]bool{}
	for p, item := range paths {
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, r := range Routes() {
		key := r.Method + " " + r.Path
		served[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in the document's paths", key)
		}
	}
	// The other way round too: a documented operation nobody serves is
	// a lie to clients and code generators.
	for key := range documented {
		if !served[key] {
			t.Errorf("document describes %s, which Routes does not list", key)
		}
	}
}

func TestRoutesIncludeBothPrefixes(t *testing.T) {
	var got []string
	for _, r := range Routes() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{
		"DELETE /admin/keys/{key}",
		"GET /admin/keys", "GET /admin/keys/{key}", "GET /admin/keys/{key}/spend",
		"GET /api/v1/models", "GET /api/v1/models/{model}",
		"GET /docs", "GET /health", "GET /models", "GET /openapi.json", "GET /ready", "GET /redoc",
		"GET /v1/models", "GET /v1/models/{model}",
		"PATCH /admin/keys/{key}",
		"POST /admin/keys", "POST /admin/keys/{key}/reset-budget", "POST /admin/keys/{key}/rotate",
		"POST /api/v1/chat/completions", "POST /api/v1/completions", "POST /api/v1/embeddings",
		"POST /chat", "POST /generate", "POST /process", "POST /prompt",
		"POST /v1/chat/completions", "POST /v1/completions", "POST /v1/embeddings",
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Routes() mismatch (-want +got):\n%s", diff)
	}
}

// TestRouteExamplesMatchPaths checks each Example against its template
// with a ServeMux, where a trailing parameter is a {name...} wildcard: model
// IDs contain '/' and ':'.
func TestRouteExamplesMatchPaths(t *testing.T) {
	param := regexp.MustCompile(`\{(\w+)\}$`)
	for _, r := range Routes() {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			mux := http.NewServeMux()
			var got string
			mux.HandleFunc(r.Method+" "+param.ReplaceAllString(r.Path, "{$1...}"), func(w http.ResponseWriter, req *http.Request) {
				got = req.URL.Path
			})
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(r.Method, r.Example, nil))
			if rec.Code != http.StatusOK || got != r.Example {
				t.Errorf("%s %s: status %d, handler saw %q; want 200 and %q", r.Method, r.Example, rec.Code, got, r.Example)
			}
		})
	}
}

func TestSpecRefsResolve(t *testing.T) {
	doc := decodeSpec(t)
	var refs []string
	collectRefs(doc, &refs)
	if len(refs) < 20 {
		t.Fatalf("found %d $refs, want many; is collectRefs walking the document?", len(refs))
	}
	for _, ref := range refs {
		if _, err := resolvePointer(doc, ref); err != nil {
			t.Errorf("$ref %q: %v", ref, err)
		}
	}
}

func TestResolvePointer(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b/c": map[string]any{"d~e": 1.0}}, "l": []any{"x"}}
	tests := []struct {
		name, ref string
		ok        bool
	}{
		{"escaped segments", "#/a/b~1c/d~0e", true},
		{"missing key", "#/a/nope", false},
		{"external file", "other.yaml#/a", false},
		{"into an array", "#/l/0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolvePointer(doc, tt.ref)
			if (err == nil) != tt.ok {
				t.Errorf("resolvePointer(%q) error %v, want ok=%v", tt.ref, err, tt.ok)
			}
		})
	}
}

func TestSpecOperationIDsUnique(t *testing.T) {
	seen := map[string]string{}
	for p, item := range obj(t, decodeSpec(t), "paths") {
		for method, op := range item.(map[string]any) {
			id, _ := op.(map[string]any)["operationId"].(string)
			where := method + " " + p
			if id == "" {
				t.Errorf("%s has no operationId", where)
				continue
			}
			if prev, dup := seen[id]; dup {
				t.Errorf("operationId %q used by %s and %s", id, prev, where)
			}
			seen[id] = where
		}
	}
}

// TestSpecErrorResponses checks that every OpenAI operation documents the
// error statuses the gateway returns, each with the error envelope and the
// x-request-id header.
func TestSpecErrorResponses(t *testing.T) {
	doc := decodeSpec(t)
	paths := obj(t, doc, "paths")
	common := []string{"401", "429", "500"}
	post := []string{"400", "401", "404", "413", "429", "500", "502", "504"}
	for _, r := range Routes() {
		if !strings.Contains(r.Path, "/v1/") {
			continue
		}
		want := common
		if r.Method == http.MethodPost {
			want = post
		}
		op := obj(t, obj(t, paths, r.Path), strings.ToLower(r.Method))
		responses := obj(t, op, "responses")
		for _, status := range want {
			checkErrorResponse(t, doc, responses, r.Method+" "+r.Path+" "+status, status)
		}
	}
}

// nativeRoutes are the native API's operations, which TestSpecNative
// checks as TestSpecErrorResponses checks the OpenAI ones.
var nativeRoutes = []string{"POST /chat", "POST /generate", "GET /models", "POST /prompt", "POST /process"}

// TestSpecNative checks that every native operation is tagged Native,
// documents the error statuses the handlers return (each with the error
// envelope and the x-request-id header), and has a request example.
func TestSpecNative(t *testing.T) {
	doc := decodeSpec(t)
	paths := obj(t, doc, "paths")
	for _, route := range nativeRoutes {
		method, path, _ := strings.Cut(route, " ")
		op := obj(t, obj(t, paths, path), strings.ToLower(method))
		if diff := cmp.Diff([]any{"Native"}, op["tags"]); diff != "" {
			t.Errorf("%s: tags mismatch (-want +got):\n%s", route, diff)
		}
		want := []string{"401", "500"}
		if method == http.MethodPost {
			want = []string{"400", "401", "413", "429", "500", "502", "503", "504"}
		}
		responses := obj(t, op, "responses")
		for _, status := range want {
			checkErrorResponse(t, doc, responses, route+" "+status, status)
		}
		if method != http.MethodPost {
			continue
		}
		body := obj(t, obj(t, deref(t, doc, obj(t, op, "requestBody")), "content"), "application/json")
		if body["example"] == nil && body["examples"] == nil {
			t.Errorf("%s: the request body has no example", route)
		}
	}
}

// TestSpecNativeStream checks that /chat documents its NDJSON stream
// beside its JSON answers.
func TestSpecNativeStream(t *testing.T) {
	doc := decodeSpec(t)
	op := obj(t, obj(t, obj(t, doc, "paths"), "/chat"), "post")
	content := obj(t, deref(t, doc, obj(t, obj(t, op, "responses"), "200")), "content")
	for _, media := range []string{"application/json", "application/x-ndjson"} {
		if _, found := content[media]; !found {
			t.Errorf("/chat 200 has no %s content", media)
		}
	}
}

// TestSpecChatSources checks the retrieval models' extension field on both
// shapes of a chat answer.
func TestSpecChatSources(t *testing.T) {
	schemas := obj(t, obj(t, decodeSpec(t), "components"), "schemas")
	for _, name := range []string{"ChatCompletionResponse", "ChatCompletionChunk"} {
		sources := obj(t, obj(t, obj(t, schemas, name), "properties"), "sources")
		if ref := obj(t, sources, "items")["$ref"]; ref != "#/components/schemas/RetrievalHit" {
			t.Errorf("%s.sources items are %v, want RetrievalHit", name, ref)
		}
	}
}

func checkErrorResponse(t *testing.T, doc, responses map[string]any, where, status string) {
	t.Helper()
	resp, ok := responses[status].(map[string]any)
	if !ok {
		t.Errorf("%s: not documented", where)
		return
	}
	resp = deref(t, doc, resp)
	schema := obj(t, obj(t, obj(t, resp, "content"), "application/json"), "schema")
	if ref := schema["$ref"]; ref != "#/components/schemas/ErrorResponse" {
		t.Errorf("%s: schema %v, want the ErrorResponse envelope", where, ref)
	}
	if _, ok := obj(t, resp, "headers")["x-request-id"]; !ok {
		t.Errorf("%s: no x-request-id header", where)
	}
}

func TestSpecErrorEnvelope(t *testing.T) {
	schemas := obj(t, obj(t, decodeSpec(t), "components"), "schemas")
	got := obj(t, schemas, "Error")["required"]
	want := []any{"message", "type", "param", "code"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Error.required mismatch (-want +got):\n%s", diff)
	}
}

func TestSpecStreamingChat(t *testing.T) {
	doc := decodeSpec(t)
	op := obj(t, obj(t, obj(t, doc, "paths"), "/v1/chat/completions"), "post")
	ok := deref(t, doc, obj(t, obj(t, op, "responses"), "200"))
	content := obj(t, ok, "content")
	for _, media := range []string{"application/json", "text/event-stream"} {
		if _, found := content[media]; !found {
			t.Errorf("chat completion 200 has no %s content", media)
		}
	}
}

func TestSpecBearerAuthOptional(t *testing.T) {
	doc := decodeSpec(t)
	scheme := obj(t, obj(t, obj(t, doc, "components"), "securitySchemes"), "bearerAuth")
	if scheme["type"] != "http" || scheme["scheme"] != "bearer" {
		t.Errorf("bearerAuth is %v, want http bearer", scheme)
	}
	want := []any{map[string]any{"bearerAuth": []any{}}, map[string]any{}}
	if diff := cmp.Diff(want, doc["security"]); diff != "" {
		t.Errorf("security mismatch (-want +got):\n%s", diff)
	}
}

// deref follows v's $ref, if it has one.
func deref(t *testing.T, doc, v map[string]any) map[string]any {
	t.Helper()
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	target, err := resolvePointer(doc, ref)
	if err != nil {
		t.Fatalf("$ref %q: %v", ref, err)
	}
	o, ok := target.(map[string]any)
	if !ok {
		t.Fatalf("$ref %q is %T, want an object", ref, target)
	}
	return o
}

func collectRefs(v any, refs *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "$ref" {
				*refs = append(*refs, s)
				continue
			}
			collectRefs(child, refs)
		}
	case []any:
		for _, child := range v {
			collectRefs(child, refs)
		}
	}
}

// resolvePointer follows a same-document JSON pointer reference (RFC 6901)
// through objects. The document uses no external refs and no array
// indexes, so both are errors.
func resolvePointer(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, errNotLocal
	}
	var cur any = doc
	for _, seg := range strings.Split(rest, "/") {
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		o, ok := cur.(map[string]any)
		if !ok {
			return nil, errNoTarget
		}
		if cur, ok = o[seg]; !ok {
			return nil, errNoTarget
		}
	}
	return cur, nil
}

type testError string

func (e testError) Error() string { return string(e) }

const (
	errNotLocal testError = "not a same-document reference"
	errNoTarget testError = "points at nothing"
)
