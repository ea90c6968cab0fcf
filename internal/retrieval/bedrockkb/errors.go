package bedrockkb

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error is the service's refusal of a Retrieve, after the SDK's retries:
// the gateway maps it to a status by Status and Code. Knowledge Bases
// speak REST-JSON with modelled statuses (botocore's
// bedrock-agent-runtime service-2.json): ValidationException 400,
// AccessDeniedException 403, ResourceNotFoundException 404,
// ConflictException 409, DependencyFailedException 424,
// ThrottlingException 429, ServiceQuotaExceededException 400,
// InternalServerException 500, BadGatewayException 502; the front door's
// signature errors come with 403.
//
// Error never carries the query text: a message that quotes it has it
// replaced by "[query]". It unwraps to the SDK's error, for errors.As to
// the SDK's typed errors such as *types.ThrottlingException; that error's
// own text is not redacted.
type Error struct {
	// Status is the HTTP status of the last answer.
	Status int
	// Code is the error code without namespace, e.g.
	// "ResourceNotFoundException".
	Code string
	// Message is the service's message, redacted.
	Message string
	// RequestID is the x-amzn-RequestId, for AWS support.
	RequestID string

	err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("bedrock knowledge base retrieve: %s (HTTP %d, request %s): %s", e.Code, e.Status, e.RequestID, e.Message)
}

// Unwrap returns the SDK's error.
func (e *Error) Unwrap() error { return e.err }

// redactedQuery replaces the query text in the service's messages.
const redactedQuery = "[query]"

// minRedact is the shortest query text searched for in messages: a
// shorter one would match ordinary words and garble the message, and
// leaks next to nothing.
const minRedact = 3

// classify turns the SDK's error into an *Error when the service
// answered, or wraps it (a transport failure, the context's cancellation,
// which errors.Is still finds).
func classify(err error, query string) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fmt.Errorf("bedrock knowledge base retrieve: %w", err)
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
