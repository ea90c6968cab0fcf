package awstest

import (
	"errors"
	"fmt"
)

// Error codes of AWS's front door, answered before the service sees the
// request. The SDKs read them from X-Amzn-ErrorType or __type.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
)

// Fixed messages of AWS's front door; the others name the request's
// values.
const (
	// MsgMissingAuthenticationToken answers a request with no
	// Authorization header.
	MsgMissingAuthenticationToken = "Missing Authentication Token"
	// MsgInvalidSignature answers a signature made with the wrong secret
	// or over other bytes than were sent.
	MsgInvalidSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	// MsgUnrecognizedClient answers an unknown access key ID or a wrong
	// session token.
	MsgUnrecognizedClient = "The security token included in the request is invalid."
)

// Why Verify refused a request, for errors.Is. Each comes wrapped in an
// *Error that carries AWS's code and message.
var (
	ErrMissing       = errors.New("no authorization header")
	ErrMalformed     = errors.New("malformed sigv4 authorization header")
	ErrUnknownKey    = errors.New("unknown access key id")
	ErrSessionToken  = errors.New("wrong session token")
	ErrNoDate        = errors.New("no x-amz-date header")
	ErrScopeDate     = errors.New("credential scope date differs from x-amz-date")
	ErrRegion        = errors.New("credential scope names another region")
	ErrService       = errors.New("credential scope names another service")
	ErrExpired       = errors.New("signature expired")
	ErrNotYetCurrent = errors.New("signature not yet current")
	ErrSignature     = errors.New("signature mismatch")
)

// Error is a refusal of AWS's front door: what an emulator answers with.
type Error struct {
	// Err is the reason, one of the Err values above.
	Err error
	// Code is the AWS error code, e.g. CodeInvalidSignature.
	Code string
	// Message is the message AWS sends.
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%v: %s", e.Err, e.Message) }

// Unwrap returns the reason, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

func refuse(reason error, code, msg string) *Error {
	return &Error{Err: reason, Code: code, Message: msg}
}

// Refusal returns err as an *Error: nil for nil, the *Error err wraps, or
// else an InvalidSignatureException wrapping err, so that an emulator
// mapping Verify's errors fails closed.
func Refusal(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return refuse(err, CodeInvalidSignature, MsgInvalidSignature)
}
