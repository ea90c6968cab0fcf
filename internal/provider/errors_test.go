package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestFromHTTP(t *testing.T) {
	const openaiBody = `{
  "error": {
    "code": "unsupported_parameter",
    "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    "param": "max_tokens",
    "type": "invalid_request_error"
  }
}`
	const azure429 = `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded the rate limit."}}`
	long := strings.Repeat("x", 600)
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   *UpstreamError
	}{
		{
			"openai envelope", http.StatusBadRequest,
			header("X-Request-Id", "req_1", "Apim-Request-Id", "apim_1"),
			"\n" + openaiBody + "\n",
			&UpstreamError{
				Status: 400, Body: []byte(openaiBody), RequestID: "req_1",
				Err: &openai.Error{
					Status: 400, Type: "invalid_request_error", Param: "max_tokens", Code: "unsupported_parameter",
					Message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
				},
			},
		},
		{
			"azure 429", http.StatusTooManyRequests,
			header("Retry-After", "7", "Apim-Request-Id", "apim_2"),
			azure429,
			&UpstreamError{
				Status: 429, Body: []byte(azure429), RetryAfter: 7 * time.Second, RequestID: "apim_2",
				Err: &openai.Error{Status: 429, Code: "429", Message: "Requests to the ChatCompletions_Create Operation have exceeded the rate limit."},
			},
		},
		{
			"azure numeric code", http.StatusTooManyRequests, header("X-Amzn-Requestid", "amzn_1"),
			`{"error":{"code":429,"message":"slow down"}}`,
			&UpstreamError{
				Status: 429, Body: []byte(`{"error":{"code":429,"message":"slow down"}}`), RequestID: "amzn_1",
				Err: &openai.Error{Status: 429, Code: "429", Message: "slow down"},
			},
		},
		{
			"html", http.StatusBadGateway, header(),
			"<html><body>502 Bad Gateway</body></html>\n",
			&UpstreamError{Status: 502, Err: &openai.Error{Status: 502, Type: openai.TypeServer, Message: "upstream error: Bad Gateway: <html><body>502 Bad Gateway</body></html>"}},
		},
		{
			"plain text 429", http.StatusTooManyRequests, header("Retry-After", "2"),
			"Too many requests",
			&UpstreamError{Status: 429, RetryAfter: 2 * time.Second, Err: &openai.Error{Status: 429, Type: openai.TypeRateLimit, Message: "upstream error: Too Many Requests: Too many requests"}},
		},
		{
			"empty 503", http.StatusServiceUnavailable, header(), "",
			&UpstreamError{Status: 503, Err: &openai.Error{Status: 503, Type: openai.TypeServer, Message: "upstream error: Service Unavailable"}},
		},
		{
			"long text not echoed", http.StatusInternalServerError, header(), long,
			&UpstreamError{Status: 500, Err: &openai.Error{Status: 500, Type: openai.TypeServer, Message: "upstream error: Internal Server Error"}},
		},
		{
			"json not an envelope", http.StatusNotFound, header(), `{"detail":"Not Found"}`,
			&UpstreamError{Status: 404, Err: &openai.Error{Status: 404, Type: openai.TypeInvalidRequest, Message: "upstream error: Not Found"}},
		},
		{
			"envelope without message", http.StatusUnauthorized, header(), `{"error":{"code":"invalid_api_key"}}`,
			&UpstreamError{Status: 401, Err: &openai.Error{Status: 401, Type: openai.TypeAuthentication, Message: "upstream error: Unauthorized"}},
		},
		{
			"error as string", http.StatusForbidden, header(), `{"error":"forbidden"}`,
			&UpstreamError{Status: 403, Err: &openai.Error{Status: 403, Type: openai.TypePermission, Message: "upstream error: Forbidden"}},
		},
		{
			"422 non-JSON", http.StatusUnprocessableEntity, header(), "nope",
			&UpstreamError{Status: 422, Err: &openai.Error{Status: 422, Type: openai.TypeInvalidRequest, Message: "upstream error: Unprocessable Entity: nope"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromHTTP(tt.status, tt.header, []byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FromHTTP mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 8, 14, 1, 10, 35, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{"empty", "", 0},
		{"seconds", "7", 7 * time.Second},
		{"zero", "0", 0},
		{"negative", "-3", 0},
		{"fractional", "1.5", 1500 * time.Millisecond},
		{"small fraction", "0.25", 250 * time.Millisecond},
		{"large", "86400", 24 * time.Hour},
		{"date in the future", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"date now", now.Format(http.TimeFormat), 0},
		{"RFC 850 date", "Thursday, 14-Aug-25 01:11:35 GMT", time.Minute},
		{"ANSI C date", "Thu Aug 14 01:12:35 2025", 2 * time.Minute},
		{"garbage", "soon", 0},
		{"unit suffix", "7s", 0},
		{"NaN", "NaN", 0},
		{"infinity", "+Inf", 0},
		{"overflow", "1e300", time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// timeoutError is a net.Error that timed out.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestTransport(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()

	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	readTimeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		name       string
		ctx        context.Context
		err        error
		wantStatus int // 0: err returned as is
		wantType   string
	}{
		{"deadline", context.Background(), context.DeadlineExceeded, http.StatusGatewayTimeout, openai.TypeTimeout},
		{"wrapped deadline", context.Background(), fmt.Errorf("Post %q: %w", "http://x", context.DeadlineExceeded), http.StatusGatewayTimeout, openai.TypeTimeout},
		{"expired request context", expired, context.DeadlineExceeded, http.StatusGatewayTimeout, openai.TypeTimeout},
		{"net timeout", context.Background(), timeoutError{}, http.StatusGatewayTimeout, openai.TypeTimeout},
		{"read deadline", context.Background(), readTimeout, http.StatusGatewayTimeout, openai.TypeTimeout},
		{"connection refused", context.Background(), refused, http.StatusBadGateway, openai.TypeUpstream},
		{"unexpected EOF", context.Background(), io.ErrUnexpectedEOF, http.StatusBadGateway, openai.TypeUpstream},
		{"client canceled", canceled, context.Canceled, 0, ""},
		{"client canceled wrapped", canceled, fmt.Errorf("Post: %w", context.Canceled), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Transport(tt.ctx, tt.err)
			if tt.wantStatus == 0 {
				if got != tt.err { //nolint:errorlint // the very error value is the contract, not a match
					t.Errorf("got %v, want the error as is", got)
				}
				if IsRetryable(got) {
					t.Error("cancellation is retryable")
				}
				return
			}
			var ue *UpstreamError
			if !errors.As(got, &ue) {
				t.Fatalf("got %T %v, want *UpstreamError", got, got)
			}
			if ue.Status != tt.wantStatus || ue.Err == nil || ue.Err.Status != tt.wantStatus || ue.Err.Type != tt.wantType {
				t.Errorf("got %d %+v, want %d %s", ue.Status, ue.Err, tt.wantStatus, tt.wantType)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("got Cause %v, want %v kept", ue.Cause, tt.err)
			}
			if !IsRetryable(got) {
				t.Errorf("transport failure %v is not retryable", got)
			}
		})
	}
}

func TestTransportRealRefusal(t *testing.T) {
	// A dial to a port nobody listens on, on loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Skip("something listens on the closed port")
	}
	var ue *UpstreamError
	if got := Transport(context.Background(), err); !errors.As(got, &ue) || ue.Status != http.StatusBadGateway {
		t.Errorf("got %v, want a 502", got)
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errOther, false},
		{"429", upstream(429), true},
		{"500", upstream(500), true},
		{"502", upstream(502), true},
		{"503", upstream(503), true},
		{"504", upstream(504), true},
		{"400", upstream(400), false},
		{"401", upstream(401), false},
		{"403", upstream(403), false},
		{"404", upstream(404), false},
		{"wrapped 503", fmt.Errorf("attempt: %w", upstream(503)), true},
		{"canceled", context.Canceled, false},
		{"upstream error caused by cancel", &UpstreamError{Status: 502, Cause: context.Canceled}, false},
		{"deadline as is", context.DeadlineExceeded, false},
		{"api error", openai.Errorf("x", "bad"), false},
		{"unsupported", Unsupported("embeddings"), false},
		{"from HTTP 429", FromHTTP(429, http.Header{}, nil), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRetryable(tt.err); got != tt.want {
				t.Errorf("IsRetryable(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestUpstreamErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *UpstreamError
		want string
	}{
		{"status only", &UpstreamError{Status: 500}, "upstream status 500"},
		{"with message", upstream(429), "upstream status 429: Too Many Requests"},
		{"with cause", &UpstreamError{Status: 502, Err: &openai.Error{Message: "unreachable"}, Cause: io.EOF}, "upstream status 502: unreachable: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
