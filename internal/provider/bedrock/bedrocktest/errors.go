package bedrocktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Bedrock's modelled error codes (shared/docs/wire.md §1.6), the values of
// the x-amzn-ErrorType header before its `:`.
const (
	CodeValidation           = "ValidationException"
	CodeAccessDenied         = "AccessDeniedException"
	CodeResourceNotFound     = "ResourceNotFoundException"
	CodeModelTimeout         = "ModelTimeoutException"
	CodeThrottling           = "ThrottlingException"
	CodeModelNotReady        = "ModelNotReadyException"
	CodeModelError           = "ModelErrorException"
	CodeModelStreamError     = "ModelStreamErrorException"
	CodeServiceQuotaExceeded = "ServiceQuotaExceededException"
	CodeInternalServer       = "InternalServerException"
	CodeServiceUnavailable   = "ServiceUnavailableException"
)

// Error codes of AWS's front door: authentication and routing failures,
// answered before Bedrock itself sees the request.
const (
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeUnknownOperation           = "UnknownOperationException"
)

// Real messages Bedrock sends, for tests that match on them.
const (
	// MsgThrottling is the message of Bedrock's ThrottlingException.
	MsgThrottling = "Too many requests, please wait before trying again."
	// MsgInvalidModel answers a model ID that names no model or profile.
	MsgInvalidModel = "The provided model identifier is invalid."
	// MsgBadSignature answers a SigV4 signature made with the wrong secret.
	MsgBadSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	// MsgBadToken answers an unknown access key ID or a wrong session token.
	MsgBadToken = "The security token included in the request is invalid."
	// MsgBadAPIKey answers a bearer token (Bedrock API key) that is not
	// accepted.
	MsgBadAPIKey = "Authentication failed: Please make sure your API Key is valid."
	// MsgFirstUser answers a conversation that is empty or does not start
	// with a user turn.
	MsgFirstUser = "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	// MsgAlternate answers two consecutive turns with the same role.
	MsgAlternate = "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
	// MsgNotChatModel answers Converse on a model without text output.
	MsgNotChatModel = "This action doesn't support the model that you provided. Try again with a supported text or chat model."
	// msgOnDemandFormat answers a bare model ID whose model is served only
	// through inference profiles. Bedrock writes the apostrophe as U+2019;
	// match on OnDemandUnsupportedMarker rather than the whole text.
	msgOnDemandFormat = "Invocation of model ID %s with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
	// OnDemandUnsupportedMarker is a piece of the ValidationException
	// message for a model that needs an inference profile, free of the
	// typographic apostrophe, for clients that detect the case.
	OnDemandUnsupportedMarker = "with on-demand throughput isn"
)

// OnDemandUnsupportedMessage is the ValidationException message Bedrock
// sends when modelID needs an inference profile.
func OnDemandUnsupportedMessage(modelID string) string {
	return fmt.Sprintf(msgOnDemandFormat, modelID)
}

// Namespaces AWS appends to x-amzn-ErrorType: Bedrock's own errors, and the
// front door's (signature and routing errors).
const (
	bedrockNamespace = "http://internal.amazon.com/coral/com.amazon.bedrock/"
	coralNamespace   = "http://internal.amazon.com/coral/com.amazon.coral.service/"
)

// ErrorForm is how an error answer names its code.
type ErrorForm int

const (
	// FormHeader is Bedrock's own form: the code in the x-amzn-ErrorType
	// header (with its coral namespace), the body {"message":"..."}.
	FormHeader ErrorForm = iota
	// FormBody puts the code only in the body, {"__type":code,"message"},
	// as the AWS SDK's snapshot tests do.
	FormBody
	// FormBoth sends the header and `__type` in the body.
	FormBoth
)

// Error is an error answer sent instead of a result, before any byte of a
// stream.
type Error struct {
	// Code is the error code, e.g. CodeThrottling.
	Code string
	// Message is the human-readable text.
	Message string
	// Status is the HTTP status; zero means StatusOf(Code).
	Status int
	// OriginalStatusCode and ResourceName are members of
	// ModelErrorException; OriginalStatusCode and OriginalMessage of
	// ModelStreamErrorException. Zero values are left out.
	OriginalStatusCode int
	OriginalMessage    string
	ResourceName       string
	// Form overrides the server's ErrorForm (WithErrorForm) when non-nil.
	Form *ErrorForm
}

// StatusOf returns the HTTP status Bedrock uses for code
// (shared/docs/wire.md §1.6); 403 for authentication codes, 404 for
// UnknownOperationException and 500 for codes it does not know.
func StatusOf(code string) int {
	switch code {
	case CodeValidation, CodeServiceQuotaExceeded:
		return http.StatusBadRequest
	case CodeAccessDenied, CodeInvalidSignature, CodeIncompleteSignature,
		CodeUnrecognizedClient, CodeMissingAuthenticationToken:
		return http.StatusForbidden
	case CodeResourceNotFound, CodeUnknownOperation:
		return http.StatusNotFound
	case CodeModelTimeout:
		return http.StatusRequestTimeout
	case CodeThrottling, CodeModelNotReady:
		return http.StatusTooManyRequests
	case CodeModelError, CodeModelStreamError:
		return http.StatusFailedDependency
	case CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// ErrorReply returns a reply that answers with the error code and message,
// at the status StatusOf(code).
func ErrorReply(code, message string) Reply {
	return Reply{Error: &Error{Code: code, Message: message}}
}

// Throttled returns Bedrock's 429 ThrottlingException reply.
func Throttled() Reply { return ErrorReply(CodeThrottling, MsgThrottling) }

// Times returns n copies of r, e.g. to fail the first n requests:
// WithReplies(Times(2, Throttled())...).
func Times(n int, r Reply) []Reply {
	out := make([]Reply, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// errorBody is the JSON body of an error answer.
type errorBody struct {
	Type               string `json:"__type,omitempty"`
	Message            string `json:"message"`
	OriginalStatusCode int    `json:"originalStatusCode,omitempty"`
	OriginalMessage    string `json:"originalMessage,omitempty"`
	ResourceName       string `json:"resourceName,omitempty"`
}

// errorResponse renders e as a response in form f.
func errorResponse(e *Error, f ErrorForm) *response {
	if e.Form != nil {
		f = *e.Form
	}
	status := e.Status
	if status == 0 {
		status = StatusOf(e.Code)
	}
	b := errorBody{
		Message: e.Message, OriginalStatusCode: e.OriginalStatusCode,
		OriginalMessage: e.OriginalMessage, ResourceName: e.ResourceName,
	}
	if f != FormHeader {
		b.Type = e.Code
	}
	body, err := json.Marshal(b)
	if err != nil {
		panic(fmt.Sprintf("bedrocktest: marshal error body: %v", err)) // plain strings cannot fail
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if f != FormBody {
		// AWS spells the header this way; set the key raw so that it
		// goes out as captured from real Bedrock.
		h["x-amzn-ErrorType"] = []string{e.Code + ":" + namespaceOf(e.Code)}
	}
	return &response{status: status, header: h, body: body}
}

func namespaceOf(code string) string {
	switch code {
	case CodeInvalidSignature, CodeIncompleteSignature, CodeUnrecognizedClient,
		CodeMissingAuthenticationToken, CodeUnknownOperation:
		return coralNamespace
	}
	return bedrockNamespace
}

// validation returns a 400 ValidationException.
func validation(format string, args ...any) *Error {
	return &Error{Code: CodeValidation, Message: fmt.Sprintf(format, args...)}
}

// constraintErrors collects failed member constraints and words them the
// way AWS's request validation does:
// "2 validation errors detected: Value '1.5' at 'inferenceConfig.temperature'
// failed to satisfy constraint: Member must have value less than or equal
// to 1; Value ...".
type constraintErrors []string

func (c *constraintErrors) add(value, path, constraint string) {
	*c = append(*c, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must %s", value, path, constraint))
}

func (c constraintErrors) err() *Error {
	switch len(c) {
	case 0:
		return nil
	case 1:
		return validation("1 validation error detected: %s", c[0])
	}
	return validation("%d validation errors detected: %s", len(c), strings.Join(c, "; "))
}
