package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// HeaderRequestID is the response header carrying the request ID, as
// OpenAI names it.
const HeaderRequestID = "X-Request-Id"

// RequestID gives each request a Scope (see Begin) unless the server
// gave it one already, and returns its ID in X-Request-Id.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := r.Context().Value(scopeKey{}).(*Scope)
		if !ok {
			r = r.WithContext(Begin(r.Context(), r.Header))
			s = ScopeFrom(r.Context())
		}
		w.Header().Set(HeaderRequestID, s.RequestID)
		next.ServeHTTP(w, r)
	})
}

// NewRequestID returns a random request ID, "req_" and 32 hex digits.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	var buf [4 + 32]byte // on the stack: the string is the one allocation
	copy(buf[:], "req_")
	hex.Encode(buf[4:], b[:])
	return string(buf[:])
}

// validRequestID accepts IDs of up to 128 visible ASCII characters, so a
// client cannot inject log lines or huge headers through it.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
