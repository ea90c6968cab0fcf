package bedrockkb

import "github.com/outcrop/outcrop/internal/retrieval/awsretrieval"

// Error is the service's refusal of a Retrieve, after the SDK's retries,
// with Op "bedrock knowledge base retrieve": the gateway maps it to a
// status by Status and Code. Knowledge Bases speak REST-JSON with
// modelled statuses (botocore's bedrock-agent-runtime service-2.json):
// ValidationException 400, AccessDeniedException 403,
// ResourceNotFoundException 404, ConflictException 409,
// DependencyFailedException 424, ThrottlingException 429,
// ServiceQuotaExceededException 400, InternalServerException 500,
// BadGatewayException 502; the front door's signature errors come with
// 403.
//
// Error never carries the query text: a message that quotes it has it
// replaced by "[query]". It unwraps to the SDK's error, for errors.As to
// the SDK's typed errors such as *types.ThrottlingException; that error's
// own text is not redacted.
type Error = awsretrieval.Error
