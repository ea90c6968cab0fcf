package awssecretstest

import (
	"fmt"
	"net/http"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Error codes the emulator answers with, the __type of the error body.
const (
	// CodeParameterNotFound answers GetParameter for a name or ARN that
	// names no parameter.
	CodeParameterNotFound = "ParameterNotFound"
	// CodeResourceNotFound answers GetSecretValue for an unknown secret.
	CodeResourceNotFound = "ResourceNotFoundException"
	// CodeAccessDenied answers a request for an ID listed in WithDenied.
	CodeAccessDenied = "AccessDeniedException"
	// CodeValidation answers a request whose body lacks its required ID.
	CodeValidation = "ValidationException"
	// CodeSerialization answers a body that is not a JSON object.
	CodeSerialization = "SerializationException"

	// Errors of AWS's front door, answered before the service sees the
	// request.
	CodeMissingAuthenticationToken = awstest.CodeMissingAuthenticationToken
	CodeIncompleteSignature        = awstest.CodeIncompleteSignature
	CodeInvalidSignature           = awstest.CodeInvalidSignature
	CodeUnrecognizedClient         = awstest.CodeUnrecognizedClient
	// CodeUnknownOperation answers an unknown X-Amz-Target, a method or
	// path other than POST /, or a Content-Type other than AWS JSON 1.1;
	// Coral sends it fully qualified, and the SDKs strip the namespace.
	CodeUnknownOperation = "com.amazon.coral.service#UnknownOperationException"
)

// Messages the services send, for tests that match on them.
const (
	// MsgSecretNotFound is Secrets Manager's ResourceNotFoundException
	// message for an unknown secret.
	MsgSecretNotFound = "Secrets Manager can't find the specified secret."
	// MsgMissingAuthenticationToken answers a request with no
	// Authorization header.
	MsgMissingAuthenticationToken = awstest.MsgMissingAuthenticationToken
	// MsgInvalidSignature answers a signature made with the wrong secret.
	MsgInvalidSignature = awstest.MsgInvalidSignature
	// MsgUnrecognizedClient answers an unknown access key ID or a wrong
	// session token.
	MsgUnrecognizedClient = awstest.MsgUnrecognizedClient
)

// apiError is an error answer. Each service spells the message member as
// its model does: SSM's own errors use "message", Secrets Manager's and
// the AccessDeniedException of IAM use "Message".
type apiError struct {
	Code    string
	Message string
	// Capital writes the member as "Message".
	Capital bool
}

// answer renders e: AWS JSON services answer every client error, the
// front door's included, with 400.
func (e *apiError) answer() awstest.Answer {
	return awstest.JSONError(http.StatusBadRequest, e.Code, e.Message, e.Capital)
}

// Failure is an error answered instead of an operation's (WithFailures,
// Server.Fail): Code is the __type, e.g. "ThrottlingException"; an empty
// Message is the code. It is spelt as the target's service spells its
// own errors.
type Failure = awstest.Failure

func errUnknownOperation() *apiError { return &apiError{Code: CodeUnknownOperation} }

// errAccessDenied is IAM's refusal of action on resource.
func errAccessDenied(action, resource string) *apiError {
	return &apiError{Code: CodeAccessDenied, Capital: true, Message: fmt.Sprintf(
		"User: arn:aws:iam::%s:user/outcrop-test is not authorized to perform: %s on resource: %s "+
			"because no identity-based policy allows the %s action", AccountID, action, resource, action)}
}
