package kendratest

import (
	"net/http"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Kendra's modelled errors of Retrieve (shared/spec/aws-models/kendra),
// the __type of the error body.
const (
	CodeValidation           = "ValidationException"
	CodeResourceNotFound     = "ResourceNotFoundException"
	CodeAccessDenied         = "AccessDeniedException"
	CodeThrottling           = "ThrottlingException"
	CodeServiceQuotaExceeded = "ServiceQuotaExceededException"
	CodeConflict             = "ConflictException"
	CodeInternalServer       = "InternalServerException"
	// CodeSerialization answers a body that is not the request's JSON.
	CodeSerialization = "SerializationException"
	// CodeUnknownOperation answers an unknown X-Amz-Target, a method or
	// path other than POST /, or a Content-Type other than AWS JSON 1.1;
	// Coral sends it fully qualified, and the SDKs strip the namespace.
	CodeUnknownOperation = "com.amazon.coral.service#UnknownOperationException"
)

// Messages the emulator sends, for tests that match on them.
const (
	// MsgThrottling is the message of a throttled request, as in the
	// probe of shared/docs/wire.md §6.1.
	MsgThrottling = "Rate exceeded"
	// MsgAccessDenied is the message of Failure{Code: CodeAccessDenied}
	// when it names none.
	MsgAccessDenied = "User is not authorized to perform: kendra:Retrieve"
	// MsgFilterDepth and MsgFilterLength are Kendra's words for an
	// AttributeFilter too deep or a list too long, quoted in the model's
	// documentation of the AttributeFilter shape.
	MsgFilterDepth  = "AttributeFilter cannot have a depth of more than 2."
	MsgFilterLength = "AttributeFilter cannot have a length of more than 10"
)

// Failure is an error answered instead of a Retrieve's results
// (WithFailures, Server.Fail): Code is the __type, e.g. CodeThrottling;
// an empty Message means MsgThrottling for CodeThrottling, MsgAccessDenied
// for CodeAccessDenied, and the code otherwise.
type Failure = awstest.Failure

// Throttled returns n ThrottlingException failures.
func Throttled(n int) []Failure {
	return awstest.Repeat(n, Failure{Code: CodeThrottling, Message: MsgThrottling})
}

// failed is the answer of a queued failure; Kendra's own errors spell the
// member "Message".
func failed(f Failure) *apiError { return &apiError{Code: f.Code, Message: f.Message, Capital: true} }

// apiError is an error answer. Kendra's own errors spell the member
// "Message", as its model does; the front door's use "message".
type apiError struct {
	Code    string
	Message string
	Capital bool
}

// answer renders e: awsJson errors have no modelled status, so Kendra
// answers 400 for client errors and 500 for the fault
// InternalServerException (shared/docs/wire.md §6.1).
func (e *apiError) answer() awstest.Answer {
	status := http.StatusBadRequest
	if e.Code == CodeInternalServer {
		status = http.StatusInternalServerError
	}
	return awstest.JSONError(status, e.Code, e.Message, e.Capital)
}

// invalid is the ValidationException of v, in Coral's words, which
// Kendra's ValidationException uses; nil when v is empty.
func invalid(v awstest.Violations) *apiError {
	if msg := v.Message(); msg != "" {
		return validation(msg)
	}
	return nil
}

func validation(msg string) *apiError {
	return &apiError{Code: CodeValidation, Message: msg, Capital: true}
}
