// Package apidocs serves Outcrop's OpenAPI document and two pages that
// render it: Swagger UI at /docs and ReDoc at /redoc.
//
// Everything is embedded in the binary. The renderers are vendored from npm
// under assets/vendor (see assets/vendor/README.md and
// scripts/update-apidocs-assets.sh), and the pages load them from this
// server only, so the docs work offline and a Content-Security-Policy can
// limit every page to its own origin.
package apidocs

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
)

// content holds our own pages and init scripts and the vendored renderers.
//
//go:embed pages assets
var content embed.FS

// Register adds the documentation routes to mux:
//
//	GET /openapi.json           the OpenAPI document (Spec)
//	GET /docs                   the Swagger UI page
//	GET /docs/                  a redirect to /docs
//	GET /docs/assets/{file...}  scripts, styles and icons of both pages
//	GET /redoc                  the ReDoc page
//
// The pages refer to their assets and to the document by relative URLs, so
// they also work behind a proxy that mounts the gateway under a path prefix.
func Register(mux *http.ServeMux) {
	d := &docs{}
	mux.HandleFunc("GET /openapi.json", d.serveSpec)
	mux.HandleFunc("GET /docs", d.page("pages/docs.html", swaggerCSP))
	mux.HandleFunc("GET /docs/{$}", redirectToDocs)
	mux.HandleFunc("GET /docs/assets/{file...}", d.serveAsset)
	mux.HandleFunc("GET /redoc", d.page("pages/redoc.html", redocCSP))
}

// docs is the state the handlers share, computed on the first request
// for a page, an asset or the document: converting the document and
// hashing the 3 MB of renderers at start would cost every gateway that
// never serves its docs their memory.
type docs struct {
	once     sync.Once
	spec     []byte
	specETag string
	// etags maps each embedded file's path to its ETag. A path not in it
	// is not served, which also keeps directories from being listed.
	etags map[string]string
}

// load computes the state, once (d.once).
func (d *docs) load() {
	spec := Spec()
	etags := make(map[string]string)
	err := fs.WalkDir(content, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := content.ReadFile(name)
		if err != nil {
			return err
		}
		etags[name] = etag(b)
		return nil
	})
	if err != nil {
		// The files are compiled in; failing to read them is a build defect.
		panic(fmt.Sprintf("apidocs: embedded files: %v", err))
	}
	d.spec, d.specETag, d.etags = spec, etag(spec), etags
}

// etag is a strong validator made from the content, so browsers revalidate
// cheaply and a new build's changed files are fetched again.
func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}
