package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/outcrop/outcrop/internal/openai"
)

// Recover turns a panic in a handler into a 500 in OpenAI's error envelope
// carrying the request ID, and logs the stack. A panic after the response
// started cannot change the status; the connection is then aborted so the
// client sees a truncated response rather than a silently complete one.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &startRecorder{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s := ScopeFrom(r.Context())
				s.Err = fmt.Errorf("panic: %v", v)
				logger.Error("panic serving request", "request_id", s.RequestID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.started {
					panic(http.ErrAbortHandler)
				}
				writeInternalError(w, s.RequestID)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

func writeInternalError(w http.ResponseWriter, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	body, _ := json.Marshal(&openai.Error{
		Status:  http.StatusInternalServerError,
		Type:    openai.TypeServer,
		Message: "The server had an error while processing your request. Request ID: " + requestID,
	})
	_, _ = w.Write(append(body, '\n'))
}

// startRecorder notes whether the response has started.
type startRecorder struct {
	http.ResponseWriter
	started bool
}

func (w *startRecorder) WriteHeader(code int) {
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *startRecorder) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

func (w *startRecorder) Flush() {
	w.started = true
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *startRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
