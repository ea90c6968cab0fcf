package bedrock

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// errorWant is what a Bedrock error becomes for the client.
type errorWant struct {
	Status     int
	Type       string
	Code       string
	Retry      bool
	RetryAfter time.Duration
}

func TestResponseErrorCodes(t *testing.T) {
	tests := []struct {
		code string
		wire int
		want errorWant
	}{
		{CodeValidation, 400, errorWant{400, openai.TypeInvalidRequest, "", false, 0}},
		{CodeAccessDenied, 403, errorWant{403, openai.TypePermission, "", false, 0}},
		{CodeResourceNotFound, 404, errorWant{404, openai.TypeInvalidRequest, "", false, 0}},
		{CodeThrottling, 429, errorWant{429, openai.TypeRateLimit, "rate_limit_exceeded", true, DefaultRetryAfter}},
		{CodeServiceQuotaExceeded, 400, errorWant{429, openai.TypeRateLimit, "rate_limit_exceeded", false, DefaultRetryAfter}},
		{CodeModelNotReady, 429, errorWant{503, openai.TypeServer, "", true, 0}},
		{CodeServiceUnavailable, 503, errorWant{503, openai.TypeServer, "", true, 0}},
		{CodeModelTimeout, 408, errorWant{504, openai.TypeTimeout, "", false, 0}},
		{CodeModelError, 424, errorWant{502, openai.TypeUpstream, "", false, 0}},
		{CodeModelStreamError, 424, errorWant{502, openai.TypeUpstream, "", false, 0}},
		{CodeInternalServer, 500, errorWant{500, openai.TypeServer, "", true, 0}},
		// Codes outside the table keep their wire status.
		{"UnrecognizedClientException", 403, errorWant{403, openai.TypePermission, "", false, 0}},
		{"InvalidSignatureException", 403, errorWant{403, openai.TypePermission, "", false, 0}},
		{"SomethingNew", 400, errorWant{400, openai.TypeInvalidRequest, "", false, 0}},
		{"", 502, errorWant{502, openai.TypeServer, "", true, 0}},
		{"", 501, errorWant{501, openai.TypeServer, "", false, 0}},
		{"", 429, errorWant{429, openai.TypeRateLimit, "rate_limit_exceeded", true, DefaultRetryAfter}},
		{"", 302, errorWant{502, openai.TypeUpstream, "", false, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+http.StatusText(tt.wire), func(t *testing.T) {
			h := http.Header{"X-Amzn-Requestid": {"req-1"}}
			if tt.code != "" {
				h.Set("X-Amzn-ErrorType", tt.code+":http://internal.amazon.com/coral/com.amazon.bedrock/")
			}
			ue, retry, _ := responseError(tt.wire, h, []byte(`{"message":"the message"}`))
			got := errorWant{ue.Status, ue.Err.Type, ue.Err.Code, retry, ue.RetryAfter}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if ue.Err.Status != ue.Status {
				t.Errorf("openai error status got %d, want %d", ue.Err.Status, ue.Status)
			}
			if ue.Err.Message != "the message" {
				t.Errorf("message got %q, want Bedrock's", ue.Err.Message)
			}
			if ue.RequestID != "req-1" {
				t.Errorf("request ID got %q, want req-1", ue.RequestID)
			}
			var api *APIError
			if !errors.As(ue, &api) || api.Code != tt.code || api.HTTPStatus != tt.wire {
				t.Errorf("cause got %#v, want an APIError with code %q, status %d", ue.Cause, tt.code, tt.wire)
			}
		})
	}
}

func TestResponseErrorCodeSources(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		body     string
		wantCode string
		wantMsg  string
	}{
		{"header wins", "ThrottlingException:http://x/", `{"__type":"ValidationException","message":"m"}`, CodeThrottling, "m"},
		{"body __type", "", `{"__type":"com.amazon.bedrock#ValidationException","code":"AccessDeniedException","message":"m"}`, CodeValidation, "m"},
		{"body code", "", `{"code":"AccessDeniedException","Message":"upper"}`, CodeAccessDenied, "upper"},
		{"namespace and suffix", "aws.protocols#ModelErrorException:http://x/y", `{}`, CodeModelError, "Bedrock returned ModelErrorException"},
		{"not JSON", "", `<html>bad gateway</html>`, "", "Bedrock returned HTTP 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("X-Amzn-ErrorType", tt.header)
			}
			ue, _, _ := responseError(400, h, []byte(tt.body))
			var api *APIError
			if !errors.As(ue, &api) {
				t.Fatalf("got %v, want an APIError cause", ue)
			}
			if api.Code != tt.wantCode {
				t.Errorf("code got %q, want %q", api.Code, tt.wantCode)
			}
			if ue.Err.Message != tt.wantMsg {
				t.Errorf("message got %q, want %q", ue.Err.Message, tt.wantMsg)
			}
		})
	}
}

func TestResponseErrorRetryAfter(t *testing.T) {
	h := http.Header{"X-Amzn-Errortype": {CodeThrottling}, "Retry-After": {"7"}}
	ue, retry, advice := responseError(429, h, nil)
	if !retry || advice != 7*time.Second || ue.RetryAfter != 7*time.Second {
		t.Errorf("got retry %v, advice %v, RetryAfter %v; want true, 7s, 7s", retry, advice, ue.RetryAfter)
	}
}

func TestResponseErrorLongMessage(t *testing.T) {
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	ue, _, _ := responseError(400, http.Header{}, []byte(`{"message":"`+string(long)+`"}`))
	if len(ue.Err.Message) != maxMessage {
		t.Errorf("message length got %d, want %d", len(ue.Err.Message), maxMessage)
	}
}

func TestExceptionError(t *testing.T) {
	tests := []struct {
		typ      string
		want     int
		wantCode string
	}{
		{"throttlingException", 429, CodeThrottling},
		{"ThrottlingException", 429, CodeThrottling},
		{"modelStreamErrorException", 502, CodeModelStreamError},
		{"validationException", 400, CodeValidation},
		{"internalServerException", 500, CodeInternalServer},
		{"serviceUnavailableException", 503, CodeServiceUnavailable},
		{"modelTimeoutException", 504, CodeModelTimeout},
		{"somethingNewException", 500, "SomethingNewException"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			ue := exceptionError(tt.typ, []byte(`{"message":"boom","originalStatusCode":500}`), "rid")
			if ue.Status != tt.want || ue.Err.Message != "boom" || ue.RequestID != "rid" {
				t.Errorf("got %d %q %q, want %d \"boom\" \"rid\"", ue.Status, ue.Err.Message, ue.RequestID, tt.want)
			}
			var api *APIError
			if !errors.As(ue, &api) || api.Code != tt.wantCode {
				t.Errorf("cause got %v, want code %q", ue.Cause, tt.wantCode)
			}
		})
	}
}

func TestFrameError(t *testing.T) {
	ue := frameError("InternalFailure", "it broke", "rid")
	want := &provider.UpstreamError{
		Status:    502,
		Err:       &openai.Error{Status: 502, Type: openai.TypeUpstream, Message: "it broke"},
		RequestID: "rid",
		Cause:     &APIError{Code: "InternalFailure", Message: "it broke", RequestID: "rid"},
	}
	if diff := cmp.Diff(want, ue); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if ue := frameError("", "", ""); ue.Err.Message == "" {
		t.Error("got an empty message for an empty error frame")
	}
}
