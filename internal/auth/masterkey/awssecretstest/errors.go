package awssecretstest

import (
	"encoding/json"
	"fmt"
	"net/http"
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
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
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
	MsgMissingAuthenticationToken = "Missing Authentication Token"
	// MsgInvalidSignature answers a signature made with the wrong secret.
	MsgInvalidSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	// MsgUnrecognizedClient answers an unknown access key ID or a wrong
	// session token.
	MsgUnrecognizedClient = "The security token included in the request is invalid."
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
	// AWS JSON services answer every client error, the front door's
	// included, with 400.
	return answer{status: http.StatusBadRequest, code: e.Code, body: b}
}

func errUnknownOperation() *apiError { return &apiError{Code: CodeUnknownOperation} }

// errAccessDenied is IAM's refusal of action on resource.
func errAccessDenied(action, resource string) *apiError {
	return &apiError{Code: CodeAccessDenied, Capital: true, Message: fmt.Sprintf(
		"User: arn:aws:iam::%s:user/outcrop-test is not authorized to perform: %s on resource: %s "+
			"because no identity-based policy allows the %s action", AccountID, action, resource, action)}
}
