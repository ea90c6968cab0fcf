package middleware

import (
	"net/http"
	"slices"
	"strings"
)

// corsExposed are the response headers a browser script may read: the
// request ID and OpenAI's rate-limit and retry headers, which the official
// SDKs use.
const corsExposed = "X-Request-Id, X-Upstream-Request-Id, Retry-After, Retry-After-Ms, X-Should-Retry, " +
	"X-Ratelimit-Limit-Requests, X-Ratelimit-Remaining-Requests, X-Ratelimit-Reset-Requests, " +
	"X-Ratelimit-Limit-Tokens, X-Ratelimit-Remaining-Tokens, X-Ratelimit-Reset-Tokens"

// CORS lets browsers on the allowed origins call the API ("*" allows
// every origin). With none it does nothing, so cross-origin calls stay
// closed: browsers refuse them for want of the headers. A preflight
// (OPTIONS with Access-Control-Request-Method) from an allowed origin is
// answered here with 204, before authentication, since browsers send it
// without credentials; the real request is authenticated as usual.
func CORS(allowed []string) func(http.Handler) http.Handler {
	anyOrigin := slices.Contains(allowed, "*")
	return func(next http.Handler) http.Handler {
		if len(allowed) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			h := w.Header()
			h.Add("Vary", "Origin")
			if origin == "" || (!anyOrigin && !slices.Contains(allowed, origin)) {
				next.ServeHTTP(w, r)
				return
			}
			if anyOrigin {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
				if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
					h.Set("Access-Control-Allow-Headers", sanitizeHeaderList(req))
				}
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.Set("Access-Control-Expose-Headers", corsExposed)
			next.ServeHTTP(w, r)
		})
	}
}

// sanitizeHeaderList echoes the requested header names that are tokens,
// so the official SDKs' x-stainless-* headers pass and nothing can be
// injected.
func sanitizeHeaderList(s string) string {
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name != "" && len(name) <= 64 && isToken(name) {
			out = append(out, name)
		}
	}
	return strings.Join(out, ", ")
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}
