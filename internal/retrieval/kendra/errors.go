package kendra

import "github.com/outcrop/outcrop/internal/retrieval/awsretrieval"

// Error is Kendra's refusal of a Retrieve, after the SDK's retries, with
// Op "kendra retrieve": the gateway maps it to a status by Status and
// Code. Kendra speaks awsJson 1.1, so every client error comes with HTTP
// 400 (ValidationException, ResourceNotFoundException,
// AccessDeniedException, ThrottlingException,
// ServiceQuotaExceededException, ConflictException, and the front door's
// signature errors) and InternalServerException with 500: tell them apart
// by Code.
//
// Error never carries the query text: a message that quotes it has it
// replaced by "[query]". It unwraps to the SDK's error, for errors.As to
// the SDK's typed errors such as *types.ThrottlingException; that error's
// own text is not redacted.
type Error = awsretrieval.Error
