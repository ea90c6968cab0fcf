// Package awstest holds pieces shared by Outcrop's AWS emulators
// (bedrocktest, awssecretstest, kendratest, bedrockkbtest): test
// credentials and the SigV4 checks of AWS's front door, so that each
// emulator refuses a badly signed request the way AWS does and with AWS's
// words; the Server kendratest, bedrockkbtest and awssecretstest run on
// (listening, recording, request IDs, queued failures), AWS JSON error
// bodies and Coral's validation messages, the search emulators' scoring;
// and helpers for the emulators' tests (Call, Signing, CheckAPIError,
// Retryer).
package awstest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Credentials is one AWS identity an emulator accepts.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must come in X-Amz-Security-Token; when
	// empty the request must carry none.
	SessionToken string
}

// Provider returns c as an AWS SDK credentials provider.
func (c Credentials) Provider() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return c.aws(), nil
	})
}

// aws returns c in the SDK's type.
func (c Credentials) aws() aws.Credentials {
	return aws.Credentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Source: "awstest",
	}
}
