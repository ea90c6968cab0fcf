package kendra

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error is Kendra's refusal of a Retrieve, after the SDK's retries: the
// gateway maps it to a status by Status and Code. Kendra speaks awsJson
// 1.1, so every client error comes with HTTP 400 (ValidationException,
// ResourceNotFoundException, AccessDeniedException, ThrottlingException,
// ServiceQuotaExceededException, ConflictException, and the front door's
// signature errors) and InternalServerException with 500: tell them apart
// by Code.
//
// Error never carries the query text: a message that quotes it has it
// replaced by "[query]". It unwraps to the SDK's error, for errors.As to
// the SDK's typed errors such as *types.ThrottlingException; that error's
// own text is not redacted.
type Error struct {
	// Status is the HTTP status of the last answer.
	Status int
	// Code is Kendra's error code without namespace, e.g.
	// "ThrottlingException".
	Code string
	// Message is Kendra's message, redacted.
	Message string
	// RequestID is Kendra's x-amzn-RequestId, for AWS support.
	RequestID string

	err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("kendra retrieve: %s (HTTP %d, request %s): %s", e.Code, e.Status, e.RequestID, e.Message)
}

// Unwrap returns the SDK's error.
func (e *Error) Unwrap() error { return e.err }

// redactedQuery replaces the query text in Kendra's messages.
const redactedQuery = "[query]"

// minRedact is the shortest query text searched for in messages: a
// shorter one would match ordinary words and garble the message, and
// leaks next to nothing.
const minRedact = 3

// classify turns the SDK's error into an *Error when Kendra answered, or
// wraps it (a transport failure, the context's cancellation, which
// errors.Is still finds).
func classify(err error, query string) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fmt.Errorf("kendra retrieve: %w", err)
	}
	e := &Error{Code: api.ErrorCode(), Message: redact(api.ErrorMessage(), query), err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Status, e.RequestID = re.HTTPStatusCode(), re.ServiceRequestID()
	}
	return e
}

func redact(msg, query string) string {
	q := strings.TrimSpace(query)
	if len(q) < minRedact {
		return msg
	}
	return strings.ReplaceAll(msg, q, redactedQuery)
}
