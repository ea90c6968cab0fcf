package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// HeaderUpstreamRequestID carries the upstream's own request ID, so an
// operator can quote it to the upstream's support.
const HeaderUpstreamRequestID = "X-Upstream-Request-Id"

// apiError returns an invalid_request_error (or server_error for 5xx) with
// the given status and code.
func apiError(status int, code, format string, args ...any) *openai.Error {
	typ := openai.TypeInvalidRequest
	if status >= 500 {
		typ = openai.TypeServer
	}
	return &openai.Error{Status: status, Type: typ, Code: code, Message: fmt.Sprintf(format, args...)}
}

// writeError is the one place an error becomes a status and an OpenAI
// error body. Internal details are logged, never shown to the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	sc := middleware.ScopeFrom(r.Context())
	sc.Err = err
	status, body, header := classify(r.Context(), err, sc.RequestID)
	if status == middleware.StatusClientClosed {
		sc.ClientGone = true
		return
	}
	for k, v := range header {
		w.Header().Set(k, v)
	}
	if v := header[HeaderUpstreamRequestID]; v != "" {
		sc.UpstreamRequestID = v
	}
	writeJSONBytes(w, status, body)
}

// classify maps err to a status, a body and extra headers.
func classify(ctx context.Context, err error, requestID string) (int, []byte, map[string]string) {
	var (
		ue  *provider.UpstreamError
		oe  *openai.Error
		mbe *http.MaxBytesError
	)
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return middleware.StatusClientClosed, nil, nil
	case errors.As(err, &ue):
		h := map[string]string{}
		if ue.RetryAfter > 0 {
			h["Retry-After"] = strconv.FormatInt(int64((ue.RetryAfter+999_999_999)/1e9), 10)
		}
		if ue.RequestID != "" {
			h[HeaderUpstreamRequestID] = ue.RequestID
		}
		if ue.Body != nil {
			return ue.Status, ue.Body, h
		}
		e := ue.Err
		if e == nil {
			e = &openai.Error{Status: ue.Status, Type: openai.TypeUpstream, Message: http.StatusText(ue.Status)}
		}
		return ue.Status, marshalError(e), h
	case errors.As(err, &oe):
		return oe.Status, marshalError(oe), nil
	case errors.As(err, &mbe):
		e := apiError(http.StatusRequestEntityTooLarge, "request_too_large",
			"The request body is larger than the limit of %d bytes.", mbe.Limit)
		return e.Status, marshalError(e), nil
	case errors.Is(err, context.DeadlineExceeded):
		e := &openai.Error{Status: http.StatusGatewayTimeout, Type: openai.TypeTimeout, Message: "The request timed out."}
		return e.Status, marshalError(e), nil
	}
	e := &openai.Error{
		Status:  http.StatusInternalServerError,
		Type:    openai.TypeServer,
		Message: "The server had an error while processing your request. Request ID: " + requestID,
	}
	return e.Status, marshalError(e), nil
}

func marshalError(e *openai.Error) []byte {
	b, err := json.Marshal(e)
	if err != nil { // cannot happen: Error has only strings
		return []byte(`{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}`)
	}
	return b
}

// writeJSONBytes writes a JSON body with its status.
func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write(newline)
}

var newline = []byte("\n")

// jsonAppender is a response with a JSON writer of its own (see
// openai.ChatCompletionResponse.AppendJSON).
type jsonAppender interface {
	AppendJSON(dst []byte) ([]byte, bool)
}

// writeJSON marshals v and writes it with status 200.
func writeJSON(w http.ResponseWriter, v any) error {
	if a, ok := v.(jsonAppender); ok {
		if b, ok := a.AppendJSON(make([]byte, 0, 1024)); ok {
			writeJSONBytes(w, http.StatusOK, b)
			return nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	writeJSONBytes(w, http.StatusOK, b)
	return nil
}
