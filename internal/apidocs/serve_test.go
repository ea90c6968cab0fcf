package apidocs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

func newMux(t *testing.T) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux)
	return mux
}

// get sends a request through mux and returns the recorded response.
func get(t *testing.T, mux http.Handler, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

// pageURLs finds the URLs an HTML page loads or points at.
var pageURLs = regexp.MustCompile(`(?:src|href|data-spec-url)="([^"]*)"`)

// TestPagesLoadOnlyLocalFiles checks that each page refers only to
// relative URLs, and that each resolves, from the page's own URL, to
// something this package serves.
func TestPagesLoadOnlyLocalFiles(t *testing.T) {
	mux := newMux(t)
	for _, page := range []string{"/docs", "/redoc"} {
		t.Run(page, func(t *testing.T) {
			rec := get(t, mux, page, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200", page, rec.Code)
			}
			body := rec.Body.String()
			if !strings.Contains(body, "<html") {
				t.Errorf("GET %s: body is not an HTML page", page)
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "//") {
				t.Errorf("GET %s: page mentions an absolute or network-path URL", page)
			}
			matches := pageURLs.FindAllStringSubmatch(body, -1)
			if len(matches) < 3 {
				t.Fatalf("GET %s: found %d URLs, want the stylesheet, scripts and document", page, len(matches))
			}
			base, _ := url.Parse(page)
			for _, m := range matches {
				checkLocalURL(t, mux, base, m[1])
			}
		})
	}
}

func checkLocalURL(t *testing.T, mux http.Handler, base *url.URL, ref string) {
	t.Helper()
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "/") {
		t.Errorf("%q is not a relative URL", ref)
		return
	}
	target := base.ResolveReference(u).String()
	rec := get(t, mux, target, nil)
	if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		t.Errorf("%q (GET %s): status %d, %d bytes; want 200 and a body", ref, target, rec.Code, rec.Body.Len())
	}
}

func TestPagesStartTheirRenderer(t *testing.T) {
	mux := newMux(t)
	tests := []struct{ page, script string }{
		{"/docs", "docs/assets/vendor/swagger-ui/swagger-ui-bundle.js"},
		{"/docs", "docs/assets/swagger-init.js"},
		{"/redoc", "docs/assets/vendor/redoc/redoc.standalone.js"},
		{"/redoc", "docs/assets/redoc-init.js"},
	}
	for _, tt := range tests {
		body := get(t, mux, tt.page, nil).Body.String()
		if !strings.Contains(body, `<script src="`+tt.script+`">`) {
			t.Errorf("GET %s: page does not load %s", tt.page, tt.script)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("GET %s: page has an inline script, which its CSP forbids", tt.page)
		}
	}
}

func TestContentTypesAndCaching(t *testing.T) {
	mux := newMux(t)
	tests := []struct {
		path, ctype, cache string
	}{
		{"/openapi.json", "application/json", cacheRevalidate},
		{"/docs", "text/html; charset=utf-8", cacheRevalidate},
		{"/redoc", "text/html; charset=utf-8", cacheRevalidate},
		{"/docs/assets/swagger-init.js", "text/javascript; charset=utf-8", cacheAsset},
		{"/docs/assets/redoc-init.js", "text/javascript; charset=utf-8", cacheAsset},
		{"/docs/assets/docs.css", "text/css; charset=utf-8", cacheAsset},
		{"/docs/assets/vendor/swagger-ui/swagger-ui-bundle.js", "text/javascript; charset=utf-8", cacheAsset},
		{"/docs/assets/vendor/swagger-ui/swagger-ui.css", "text/css; charset=utf-8", cacheAsset},
		{"/docs/assets/vendor/swagger-ui/favicon-32x32.png", "image/png", cacheAsset},
		{"/docs/assets/vendor/swagger-ui/favicon-16x16.png", "image/png", cacheAsset},
		{"/docs/assets/vendor/swagger-ui/LICENSE", "text/plain; charset=utf-8", cacheAsset},
		{"/docs/assets/vendor/redoc/redoc.standalone.js", "text/javascript; charset=utf-8", cacheAsset},
		{"/docs/assets/vendor/redoc/LICENSE", "text/plain; charset=utf-8", cacheAsset},
		{"/docs/assets/vendor/README.md", "text/markdown; charset=utf-8", cacheAsset},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(t, mux, tt.path, nil)
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				t.Fatalf("status %d, %d bytes; want 200 and a body", rec.Code, rec.Body.Len())
			}
			h := rec.Header()
			if got := h.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if got := h.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
			if h.Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestPNGAssetsArePNG(t *testing.T) {
	mux := newMux(t)
	for _, p := range []string{"favicon-16x16.png", "favicon-32x32.png"} {
		body := get(t, mux, "/docs/assets/vendor/swagger-ui/"+p, nil).Body.Bytes()
		if !bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s does not start with the PNG signature", p)
		}
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	mux := newMux(t)
	tests := []struct {
		path       string
		want, deny []string
	}{
		{"/docs", []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"}, []string{"unsafe-eval", "blob:", "http"}},
		{"/redoc", []string{"default-src 'none'", "script-src 'self'", "worker-src blob:", "frame-ancestors 'none'"}, []string{"unsafe-eval", "http"}},
		{"/openapi.json", []string{"default-src 'none'"}, []string{"'self'"}},
		{"/docs/assets/swagger-init.js", []string{"default-src 'none'"}, []string{"'self'"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			csp := get(t, mux, tt.path, nil).Header().Get("Content-Security-Policy")
			for _, w := range tt.want {
				if !strings.Contains(csp, w) {
					t.Errorf("CSP %q lacks %q", csp, w)
				}
			}
			for _, d := range tt.deny {
				if strings.Contains(csp, d) {
					t.Errorf("CSP %q allows %q", csp, d)
				}
			}
		})
	}
}

func TestSpecServed(t *testing.T) {
	rec := get(t, newMux(t), "/openapi.json", nil)
	if !bytes.Equal(rec.Body.Bytes(), Spec()) {
		t.Errorf("GET /openapi.json body differs from Spec()")
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Errorf("GET /openapi.json is not valid JSON")
	}
}

func TestConditionalGet(t *testing.T) {
	mux := newMux(t)
	for _, p := range []string{"/openapi.json", "/docs", "/docs/assets/vendor/redoc/redoc.standalone.js"} {
		t.Run(p, func(t *testing.T) {
			tag := get(t, mux, p, nil).Header().Get("ETag")
			rec := get(t, mux, p, http.Header{"If-None-Match": {tag}})
			if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
				t.Errorf("If-None-Match %s: status %d with %d bytes, want 304 and no body", tag, rec.Code, rec.Body.Len())
			}
		})
	}
}

func TestHeadHasNoBody(t *testing.T) {
	req := httptest.NewRequest(http.MethodHead, "/docs", nil)
	rec := httptest.NewRecorder()
	newMux(t).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD /docs: status %d with %d bytes, want 200 and no body", rec.Code, rec.Body.Len())
	}
}

func TestUnknownFilesNotFound(t *testing.T) {
	mux := newMux(t)
	for _, p := range []string{
		"/docs/assets/nope.js",
		"/docs/assets/vendor",
		"/docs/assets/vendor/",
		"/docs/assets/",
		"/docs/assets/../openapi.yaml",
		"/docs/assets/%2e%2e/openapi.yaml",
		"/docs/pages/docs.html",
		"/docs/assets/pages/docs.html",
	} {
		t.Run(p, func(t *testing.T) {
			rec := get(t, mux, p, nil)
			// The mux redirects a path with dot segments to its clean form,
			// which is not under /docs/assets.
			if rec.Code != http.StatusNotFound && rec.Code/100 != 3 {
				t.Errorf("status %d, want 404 (or the mux's redirect that cleans the path)", rec.Code)
			}
			if rec.Code == http.StatusNotFound && rec.Header().Get("Content-Type") == "application/json" {
				checkEnvelope(t, rec.Body.Bytes())
			}
		})
	}
}

func TestUnknownAssetEnvelope(t *testing.T) {
	rec := get(t, newMux(t), "/docs/assets/nope.js", nil)
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got)
	}
	checkEnvelope(t, rec.Body.Bytes())
}

func checkEnvelope(t *testing.T, body []byte) {
	t.Helper()
	var env map[string]map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("body %q is not an error envelope: %v", body, err)
	}
	want := map[string]any{"message": "No such documentation file.", "type": openai.TypeInvalidRequest, "param": nil, "code": nil}
	if diff := cmp.Diff(want, env["error"]); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}

func TestDocsTrailingSlashRedirects(t *testing.T) {
	rec := get(t, newMux(t), "/docs/", nil)
	if rec.Code != http.StatusMovedPermanently {
		t.Fatalf("status %d, want 301", rec.Code)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	base, _ := url.Parse("http://gw.example/docs/")
	if got := base.ResolveReference(loc).Path; got != "/docs" {
		t.Errorf("Location %q resolves to %q, want /docs", loc, got)
	}
}

// TestVendorREADMEVersions checks that the README the update script writes
// names the versions that are actually vendored.
func TestVendorREADMEVersions(t *testing.T) {
	readme, err := os.ReadFile("assets/vendor/README.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pkg, file string
		version   *regexp.Regexp
	}{
		{"swagger-ui-dist", "assets/vendor/swagger-ui/swagger-ui-bundle.js", regexp.MustCompile(`PACKAGE_VERSION:"([0-9.]+)"`)},
		{"redoc", "assets/vendor/redoc/redoc.standalone.js", regexp.MustCompile(`ReDoc Version: ","([0-9.]+)"`)},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		m := tt.version.FindSubmatch(b)
		if m == nil {
			t.Errorf("%s: no version string found", tt.file)
			continue
		}
		row := "| " + tt.pkg + " | " + string(m[1]) + " |"
		if !bytes.Contains(readme, []byte(row)) {
			t.Errorf("README.md lacks %q for %s", row, tt.file)
		}
	}
}
