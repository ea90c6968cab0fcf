package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
)

// UpstreamError is an upstream's failure, already classified: the status and
// OpenAI error the client should see. Every provider returns its failures as
// *UpstreamError (wrapped or not), so the server maps them in one place.
type UpstreamError struct {
	// Status is the HTTP status for the client.
	Status int
	// Err is the error as the client sees it.
	Err *openai.Error
	// Body, when set, is the upstream's own OpenAI-shaped error body, relayed
	// byte for byte instead of Err's rendering.
	Body []byte
	// RetryAfter is the upstream's advice, zero when it gave none.
	RetryAfter time.Duration
	// RequestID is the upstream's request ID, returned in a header.
	RequestID string
	// Cause is the underlying transport error, if any; it is logged, never
	// shown to the client.
	Cause error
}

func (e *UpstreamError) Error() string {
	msg := fmt.Sprintf("upstream status %d", e.Status)
	if e.Err != nil {
		msg += ": " + e.Err.Message
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

func (e *UpstreamError) Unwrap() error { return e.Cause }

// Retryable reports whether another attempt, at the same or another
// deployment, may succeed: throttling, server errors and transport failures.
func (e *UpstreamError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// IsRetryable reports whether err is an UpstreamError worth retrying
// elsewhere. Cancellation by the client never is.
func IsRetryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ue *UpstreamError
	return errors.As(err, &ue) && ue.Retryable()
}

// FromHTTP classifies a non-2xx upstream response in the OpenAI dialect.
// An OpenAI-shaped body (Azure's loose variant included) is kept for relay.
func FromHTTP(status int, header http.Header, body []byte) *UpstreamError {
	ue := &UpstreamError{
		Status:     status,
		RetryAfter: ParseRetryAfter(header.Get("Retry-After"), time.Now()),
		RequestID:  firstHeader(header, "x-request-id", "apim-request-id", "x-amzn-requestid"),
	}
	var env struct {
		Error *openai.ErrorBody `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Message != "" {
		ue.Body = bytes.TrimSpace(body)
		ue.Err = &openai.Error{Status: status, Message: env.Error.Message}
		if env.Error.Type != nil {
			ue.Err.Type = *env.Error.Type
		}
		if env.Error.Param != nil {
			ue.Err.Param = *env.Error.Param
		}
		if env.Error.Code != nil {
			ue.Err.Code = *env.Error.Code
		}
		return ue
	}
	msg := http.StatusText(status)
	if t := bytes.TrimSpace(body); len(t) > 0 && len(t) <= 512 && !json.Valid(t) {
		msg = fmt.Sprintf("%s: %s", msg, t)
	}
	ue.Err = &openai.Error{Status: status, Type: typeForStatus(status), Message: "upstream error: " + msg}
	return ue
}

// Transport classifies a failure to reach the upstream or to read its
// answer: a timeout is 504, anything else 502. ctx is the request context;
// when the client went away the error is returned as is.
func Transport(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &UpstreamError{
			Status: http.StatusGatewayTimeout,
			Err:    &openai.Error{Status: http.StatusGatewayTimeout, Type: openai.TypeTimeout, Message: "the upstream did not answer in time"},
			Cause:  err,
		}
	}
	return &UpstreamError{
		Status: http.StatusBadGateway,
		Err:    &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "the upstream could not be reached or closed the connection"},
		Cause:  err,
	}
}

func typeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return openai.TypeAuthentication
	case status == http.StatusForbidden:
		return openai.TypePermission
	case status == http.StatusNotFound:
		return openai.TypeInvalidRequest
	case status == http.StatusTooManyRequests:
		return openai.TypeRateLimit
	case status >= 500:
		return openai.TypeServer
	}
	return openai.TypeInvalidRequest
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// It also accepts the fractional seconds some upstreams send.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		// ParseFloat also takes NaN and Inf, and a float beyond int64
		// converts to a negative Duration: treat the first as no advice and
		// cap the rest.
		switch {
		case !(s > 0) || math.IsInf(s, 1):
			return 0
		case s >= float64(math.MaxInt64)/float64(time.Second):
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}
