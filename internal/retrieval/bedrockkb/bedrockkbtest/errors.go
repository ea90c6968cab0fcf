package bedrockkbtest

import (
	"encoding/json"
	"net/http"

	"github.com/outcrop/outcrop/internal/awstest"
)

// The modelled errors of Retrieve, the code of the X-Amzn-ErrorType
// header (the SDK's deserializers.go, awsRestjson1_deserializeOpErrorRetrieve).
const (
	CodeValidation           = "ValidationException"
	CodeAccessDenied         = "AccessDeniedException"
	CodeResourceNotFound     = "ResourceNotFoundException"
	CodeConflict             = "ConflictException"
	CodeDependencyFailed     = "DependencyFailedException"
	CodeThrottling           = "ThrottlingException"
	CodeServiceQuotaExceeded = "ServiceQuotaExceededException"
	CodeInternalServer       = "InternalServerException"
	CodeBadGateway           = "BadGatewayException"
	// CodeUnknownOperation answers a method or path that is no operation.
	CodeUnknownOperation = "UnknownOperationException"
)

// Messages the emulator sends, for tests that match on them.
const (
	// MsgThrottling is the message of a throttled request.
	MsgThrottling = "Your request rate is too high. Reduce the frequency of requests."
	// MsgAccessDenied is the message of Failure{Code: CodeAccessDenied}
	// when it names none.
	MsgAccessDenied = "User is not authorized to perform: bedrock:Retrieve"
)

// StatusOf is the HTTP status of an error code, as botocore's
// bedrock-agent-runtime model gives them (the Go SDK decodes by code, not
// status): 400 for ValidationException and ServiceQuotaExceededException,
// 403 AccessDeniedException and the front door's signature errors, 404
// ResourceNotFoundException and UnknownOperationException, 409
// ConflictException, 424 DependencyFailedException, 429
// ThrottlingException, 502 BadGatewayException, 500 otherwise.
func StatusOf(code string) int {
	switch code {
	case CodeValidation, CodeServiceQuotaExceeded:
		return http.StatusBadRequest
	case CodeAccessDenied:
		return http.StatusForbidden
	case CodeResourceNotFound, CodeUnknownOperation:
		return http.StatusNotFound
	case CodeConflict:
		return http.StatusConflict
	case CodeDependencyFailed:
		return http.StatusFailedDependency
	case CodeThrottling:
		return http.StatusTooManyRequests
	case CodeBadGateway:
		return http.StatusBadGateway
	}
	if frontDoor(code) {
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// frontDoor reports whether code is one of the errors AWS's front door
// answers before the service sees the request (internal/awstest).
func frontDoor(code string) bool {
	switch code {
	case awstest.CodeInvalidSignature, awstest.CodeIncompleteSignature,
		awstest.CodeUnrecognizedClient, awstest.CodeMissingAuthenticationToken, CodeUnknownOperation:
		return true
	}
	return false
}

// Failure is an error answered instead of a Retrieve's results
// (WithFailures, Server.Fail): Code is the error code, e.g.
// CodeThrottling; an empty Message means MsgThrottling for
// CodeThrottling, MsgAccessDenied for CodeAccessDenied, and the code
// otherwise.
type Failure = awstest.Failure

// Throttled returns n ThrottlingException failures.
func Throttled(n int) []Failure {
	return awstest.Repeat(n, Failure{Code: CodeThrottling, Message: MsgThrottling})
}

// Namespaces AWS appends to X-Amzn-ErrorType (shared/docs/wire.md §1.6):
// Bedrock's own errors, and the front door's.
const (
	bedrockNamespace = "http://internal.amazon.com/coral/com.amazon.bedrock/"
	coralNamespace   = "http://internal.amazon.com/coral/com.amazon.coral.service/"
)

// apiError is an error answer in the REST-JSON form Bedrock sends: the
// code in X-Amzn-ErrorType with its namespace, the body
// {"message":"..."}. The body carries __type too, as the SDK's snapshot
// tests do, for clients that ignore the header.
type apiError struct {
	Code    string
	Message string
}

func (e *apiError) answer() awstest.Answer {
	b, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message}) // strings always encode
	ns := bedrockNamespace
	if frontDoor(e.Code) {
		ns = coralNamespace
	}
	return awstest.Answer{Status: StatusOf(e.Code), Code: e.Code, ErrorType: e.Code + ":" + ns, Body: b}
}

// invalid is the ValidationException of v, in Coral's words: "1
// validation error detected: Value '0' at
// 'retrievalConfiguration.vectorSearchConfiguration.numberOfResults'
// failed to satisfy constraint: Member must have value greater than or
// equal to 1"; nil when v is empty.
func invalid(v awstest.Violations) *apiError {
	if msg := v.Message(); msg != "" {
		return validation(msg)
	}
	return nil
}

func validation(msg string) *apiError { return &apiError{Code: CodeValidation, Message: msg} }
