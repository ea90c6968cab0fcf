package bedrock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/awsclient"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// Bedrock Runtime's error codes (shared/docs/wire.md §1.6).
const (
	CodeValidation           = "ValidationException"
	CodeAccessDenied         = "AccessDeniedException"
	CodeResourceNotFound     = "ResourceNotFoundException"
	CodeThrottling           = "ThrottlingException"
	CodeServiceQuotaExceeded = "ServiceQuotaExceededException"
	CodeModelNotReady        = "ModelNotReadyException"
	CodeServiceUnavailable   = "ServiceUnavailableException"
	CodeModelTimeout         = "ModelTimeoutException"
	CodeModelError           = "ModelErrorException"
	CodeModelStreamError     = "ModelStreamErrorException"
	CodeInternalServer       = "InternalServerException"
)

// APIError is an error Bedrock answered with, as it sent it. It is the
// Cause of the *provider.UpstreamError the client returns, so callers that
// act on a specific failure (a model that needs an inference profile, say)
// find it with errors.As.
type APIError struct {
	// Code is the error code, e.g. "ValidationException", cleaned of its
	// namespace and suffix; for an unmodelled error frame, its :error-code.
	Code string
	// Message is Bedrock's message.
	Message string
	// HTTPStatus is the status of the HTTP response; zero for an error
	// that arrived inside an event stream.
	HTTPStatus int
	// RequestID is Bedrock's request ID (x-amzn-RequestId).
	RequestID string
}

func (e *APIError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("bedrock %s (%d): %s", e.Code, e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("bedrock %s: %s", e.Code, e.Message)
}

// errorClass is how an error code reaches the client, and whether the
// client retries it.
type errorClass struct {
	status int
	typ    string
	code   string
	retry  bool
}

// classify maps a Bedrock error code to the client's status and OpenAI
// error type. ok is false for a code not in the table.
//
// ModelNotReadyException is 429 on the wire, but the service model marks it
// retryable without being throttling, and the AWS SDK retries it: the model
// is being loaded. It is retried here too, and reaches the client as 503
// (not its fault, not a rate limit). ServiceQuotaExceededException and
// ModelTimeoutException are not retried, as in the SDK: a quota does not
// clear in seconds, and a model that timed out is likely to again.
func classify(code string) (c errorClass, ok bool) {
	switch code {
	case CodeValidation:
		return errorClass{status: http.StatusBadRequest, typ: openai.TypeInvalidRequest}, true
	case CodeAccessDenied:
		return errorClass{status: http.StatusForbidden, typ: openai.TypePermission}, true
	case CodeResourceNotFound:
		// OpenAI answers an unknown model with 404 invalid_request_error.
		return errorClass{status: http.StatusNotFound, typ: openai.TypeInvalidRequest}, true
	case CodeThrottling:
		return errorClass{status: http.StatusTooManyRequests, typ: openai.TypeRateLimit, code: "rate_limit_exceeded", retry: true}, true
	case CodeServiceQuotaExceeded:
		return errorClass{status: http.StatusTooManyRequests, typ: openai.TypeRateLimit, code: "rate_limit_exceeded"}, true
	case CodeModelNotReady:
		return errorClass{status: http.StatusServiceUnavailable, typ: openai.TypeServer, retry: true}, true
	case CodeServiceUnavailable:
		return errorClass{status: http.StatusServiceUnavailable, typ: openai.TypeServer, retry: true}, true
	case CodeModelTimeout:
		return errorClass{status: http.StatusGatewayTimeout, typ: openai.TypeTimeout}, true
	case CodeModelError, CodeModelStreamError:
		return errorClass{status: http.StatusBadGateway, typ: openai.TypeUpstream}, true
	case CodeInternalServer:
		return errorClass{status: http.StatusInternalServerError, typ: openai.TypeServer, retry: true}, true
	}
	return errorClass{}, false
}

// classifyStatus is the fallback for codes not in the table: unmodelled
// AWS errors (UnrecognizedClientException 403, ExpiredTokenException 403)
// and answers from something in front of Bedrock (a proxy's 502). The wire
// status is kept when it is an error status. Throttling and server errors
// are retried, as the AWS SDK retries any 500, 502, 503 and 504.
func classifyStatus(status int) errorClass {
	switch {
	case status == http.StatusTooManyRequests:
		return errorClass{status: status, typ: openai.TypeRateLimit, code: "rate_limit_exceeded", retry: true}
	case status == http.StatusUnauthorized:
		return errorClass{status: status, typ: openai.TypeAuthentication}
	case status == http.StatusForbidden:
		return errorClass{status: status, typ: openai.TypePermission}
	case status >= 400 && status < 500:
		return errorClass{status: status, typ: openai.TypeInvalidRequest}
	case status >= 500 && status < 600:
		retry := status == 500 || status == 502 || status == 503 || status == 504
		return errorClass{status: status, typ: openai.TypeServer, retry: retry}
	}
	return errorClass{status: http.StatusBadGateway, typ: openai.TypeUpstream}
}

// DefaultRetryAfter is the Retry-After advice given to the client on a 429
// when Bedrock gave none (it normally does not): a second, the order of
// Bedrock's per-minute quota refill steps as seen by one client.
const DefaultRetryAfter = time.Second

// maxMessage caps an error message taken from the upstream.
const maxMessage = 1024

// errorBody is the JSON of a rest-json error, in every spelling the SDKs
// accept (wire.md §1.6).
type errorBody struct {
	Type     string `json:"__type"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	MessageU string `json:"Message"`
}

// responseError classifies a non-2xx Bedrock response. The error code is
// read from X-Amzn-ErrorType, else the body's __type, else its code, as the
// AWS SDK for Go does. advice is the upstream's own Retry-After, zero when
// it sent none.
func responseError(status int, header http.Header, body []byte) (ue *provider.UpstreamError, retry bool, advice time.Duration) {
	var eb errorBody
	_ = json.Unmarshal(body, &eb) // not JSON: no code, no message
	code := header.Get("X-Amzn-ErrorType")
	for _, c := range []string{eb.Type, eb.Code} {
		if code == "" {
			code = c
		}
	}
	code = awsclient.ErrorCode(code)
	msg := eb.Message
	if msg == "" {
		msg = eb.MessageU
	}
	cls, ok := classify(code)
	if !ok {
		cls = classifyStatus(status)
	}
	advice = provider.ParseRetryAfter(header.Get("Retry-After"), time.Now())
	api := &APIError{Code: code, Message: msg, HTTPStatus: status, RequestID: header.Get("X-Amzn-RequestId")}
	return upstreamError(cls, api, advice), cls.retry, advice
}

// exceptionError classifies an exception frame of an event stream, whose
// :exception-type is the member name (lowerCamel, "throttlingException")
// or, from some servers, the shape name.
func exceptionError(typ string, payload []byte, requestID string) *provider.UpstreamError {
	var eb errorBody
	_ = json.Unmarshal(payload, &eb)
	msg := eb.Message
	if msg == "" {
		msg = eb.MessageU
	}
	code := awsclient.ErrorCode(typ)
	if code != "" {
		code = strings.ToUpper(code[:1]) + code[1:]
	}
	cls, ok := classify(code)
	if !ok {
		cls = errorClass{status: http.StatusInternalServerError, typ: openai.TypeServer}
	}
	return upstreamError(cls, &APIError{Code: code, Message: msg, RequestID: requestID}, 0)
}

// frameError classifies an unmodelled error frame (:message-type error).
func frameError(code, msg, requestID string) *provider.UpstreamError {
	cls := errorClass{status: http.StatusBadGateway, typ: openai.TypeUpstream}
	if code == "" && msg == "" {
		msg = "Bedrock ended the stream with an error"
	}
	return upstreamError(cls, &APIError{Code: code, Message: msg, RequestID: requestID}, 0)
}

// upstreamError builds the client's error. Bedrock's message is kept: it
// is written for API users ("Malformed input request: ...", "Too many
// requests, please wait before trying again.") and holds no secrets.
func upstreamError(cls errorClass, api *APIError, advice time.Duration) *provider.UpstreamError {
	msg := api.Message
	if msg == "" {
		msg = defaultMessage(api.Code, cls.status)
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	retryAfter := advice
	if retryAfter == 0 && cls.status == http.StatusTooManyRequests {
		retryAfter = DefaultRetryAfter
	}
	return &provider.UpstreamError{
		Status:     cls.status,
		Err:        &openai.Error{Status: cls.status, Type: cls.typ, Code: cls.code, Message: msg},
		RetryAfter: retryAfter,
		RequestID:  api.RequestID,
		Cause:      api,
	}
}

func defaultMessage(code string, status int) string {
	if code != "" {
		return "Bedrock returned " + code
	}
	return fmt.Sprintf("Bedrock returned HTTP %d", status)
}
