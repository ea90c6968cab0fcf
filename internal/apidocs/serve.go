package apidocs

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
)

// Content-Security-Policy of each page. Both allow scripts, styles, images
// and fetches from this origin only, and nothing may frame the pages.
// Inline styles are allowed because both renderers set style attributes
// and inject <style> elements at run time (React, styled-components);
// inline scripts are not, which is why the init code is in its own files.
// Images may be data: URLs, which Swagger UI's stylesheet uses for its
// icons.
const (
	basePolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	swaggerCSP = basePolicy
	// ReDoc builds its search index in a web worker started from a blob:
	// URL of code inside redoc.standalone.js.
	redocCSP = basePolicy + "; worker-src blob:"
	// otherCSP is for everything that is not a page: nothing it returns
	// should ever run or load anything.
	otherCSP = "default-src 'none'; frame-ancestors 'none'"
)

// Cache-Control values. Pages and the document are revalidated on every
// load (cheap: the ETag answers 304) so a new release shows at once;
// assets change only with a release and may be reused for a day.
const (
	cacheRevalidate = "no-cache"
	cacheAsset      = "public, max-age=86400"
)

func (d *docs) serveSpec(w http.ResponseWriter, r *http.Request) {
	d.once.Do(d.load)
	setHeaders(w, "application/json", cacheRevalidate, otherCSP, d.specETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(d.spec))
}

// page returns a handler serving the embedded HTML file name with csp.
func (d *docs) page(name, csp string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.serveFile(w, r, name, cacheRevalidate, csp)
	}
}

func (d *docs) serveAsset(w http.ResponseWriter, r *http.Request) {
	d.serveFile(w, r, "assets/"+r.PathValue("file"), cacheAsset, otherCSP)
}

func (d *docs) serveFile(w http.ResponseWriter, r *http.Request, name, cache, csp string) {
	d.once.Do(d.load)
	tag, ok := d.etags[name]
	if !ok {
		writeNotFound(w)
		return
	}
	f, err := content.Open(name)
	if err != nil {
		writeNotFound(w)
		return
	}
	defer f.Close()
	// Files of an embed.FS are always seekable.
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		writeNotFound(w)
		return
	}
	setHeaders(w, contentType(name), cache, csp, tag)
	http.ServeContent(w, r, "", time.Time{}, rs)
}

func setHeaders(w http.ResponseWriter, ctype, cache, csp, tag string) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", cache)
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("ETag", tag)
}

// contentType is set from our own table rather than package mime, whose
// answers depend on the host's mime.types files.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	case ".md":
		return "text/markdown; charset=utf-8"
	}
	// LICENSE, NOTICE and *.LICENSE.txt files.
	return "text/plain; charset=utf-8"
}

// redirectToDocs sends /docs/ to /docs. The Location is relative so that it
// survives a proxy's path prefix; the pages' own relative URLs resolve
// correctly only from /docs.
func redirectToDocs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Location", "../docs")
	w.WriteHeader(http.StatusMovedPermanently)
}

// writeNotFound answers an unknown asset in the API's error envelope, like
// every other error the gateway returns.
func writeNotFound(w http.ResponseWriter) {
	body, _ := json.Marshal(&openai.Error{
		Status:  http.StatusNotFound,
		Type:    openai.TypeInvalidRequest,
		Message: "No such documentation file.",
	})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(append(body, '\n'))
}
