package awsretrieval

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error is a service's refusal of a call, after the SDK's retries: the
// gateway maps it to a status by Status and Code. Each retriever's Error
// is this type and says which statuses its service answers with.
//
// Error never carries the query text: a message that quotes it has it
// replaced by "[query]". It unwraps to the SDK's error, for errors.As to
// the SDK's typed errors such as *types.ThrottlingException; that error's
// own text is not redacted.
type Error struct {
	// Op is the call refused, e.g. "kendra retrieve".
	Op string
	// Status is the HTTP status of the last answer.
	Status int
	// Code is the service's error code without namespace, e.g.
	// "ThrottlingException".
	Code string
	// Message is the service's message, redacted.
	Message string
	// RequestID is the service's x-amzn-RequestId, for AWS support.
	RequestID string

	err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d, request %s): %s", e.Op, e.Code, e.Status, e.RequestID, e.Message)
}

// Unwrap returns the SDK's error.
func (e *Error) Unwrap() error { return e.err }

// redactedQuery replaces the query text in the services' messages.
const redactedQuery = "[query]"

// minRedact is the shortest query text searched for in messages: a
// shorter one would match ordinary words and garble the message, and
// leaks next to nothing.
const minRedact = 3

// Classify turns the SDK's error from a Retrieve for query into an
// *Error when the service answered, or wraps it (a transport failure, the
// context's cancellation, which errors.Is still finds).
func (s Service) Classify(err error, query string) error {
	op := s.Name + " retrieve"
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fmt.Errorf("%s: %w", op, err)
	}
	e := &Error{Op: op, Code: api.ErrorCode(), Message: redact(api.ErrorMessage(), query), err: err}
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
