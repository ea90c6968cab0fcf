package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"
)

// HeaderRequestID is the response header carrying the request ID, as
// OpenAI names it.
const HeaderRequestID = "X-Request-Id"

// RequestID gives each request a Scope and an ID, returned in
// X-Request-Id. A well-formed X-Request-Id from the client (for example one
// set by a load balancer) is kept so a request can be traced across hops.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = NewRequestID()
		}
		w.Header().Set(HeaderRequestID, id)
		s := &Scope{RequestID: id, Start: time.Now()}
		next.ServeHTTP(w, r.WithContext(WithScope(r.Context(), s)))
	})
}

// NewRequestID returns a random request ID, "req_" and 32 hex digits.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	buf := make([]byte, 4+32)
	copy(buf, "req_")
	hex.Encode(buf[4:], b[:])
	return string(buf)
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
