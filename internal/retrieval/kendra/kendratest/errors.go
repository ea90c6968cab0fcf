package kendratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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
// (WithFailures, Server.Fail).
type Failure struct {
	// Code is the __type, e.g. CodeThrottling.
	Code string
	// Message defaults to MsgThrottling for CodeThrottling, MsgAccessDenied
	// for CodeAccessDenied, and the code otherwise.
	Message string
}

// Throttled returns n ThrottlingException failures.
func Throttled(n int) []Failure {
	out := make([]Failure, n)
	for i := range out {
		out[i] = Failure{Code: CodeThrottling, Message: MsgThrottling}
	}
	return out
}

func (f Failure) apiError() *apiError {
	msg := f.Message
	if msg == "" {
		switch f.Code {
		case CodeThrottling:
			msg = MsgThrottling
		case CodeAccessDenied:
			msg = MsgAccessDenied
		default:
			msg = f.Code
		}
	}
	return &apiError{Code: f.Code, Message: msg, Capital: true}
}

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
func (e *apiError) answer() answer {
	key := "message"
	if e.Capital {
		key = "Message"
	}
	body := map[string]string{"__type": e.Code}
	if e.Message != "" {
		body[key] = e.Message
	}
	b, _ := json.Marshal(body) // a map of strings always encodes
	status := http.StatusBadRequest
	if e.Code == CodeInternalServer {
		status = http.StatusInternalServerError
	}
	return answer{status: status, code: e.Code, body: b}
}

// violations collects constraint violations in Coral's words, which
// Kendra's ValidationException uses: "1 validation error detected: Value
// null at 'indexId' failed to satisfy constraint: Member must not be
// null".
type violations []string

func (v *violations) add(value any, member, constraint string) {
	shown := "null"
	if value != nil {
		shown = fmt.Sprintf("'%v'", value)
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", shown, member, constraint))
}

func (v violations) err() *apiError {
	if len(v) == 0 {
		return nil
	}
	noun := "errors"
	if len(v) == 1 {
		noun = "error"
	}
	return validation(fmt.Sprintf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; ")))
}

func validation(msg string) *apiError {
	return &apiError{Code: CodeValidation, Message: msg, Capital: true}
}
