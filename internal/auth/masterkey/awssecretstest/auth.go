package awssecretstest

import "github.com/outcrop/outcrop/internal/awstest"

// The SigV4 signing names of the two services: the fourth element of the
// credential scope.
const (
	ServiceSSM            = "ssm"
	ServiceSecretsManager = "secretsmanager"
)

// Credentials is one AWS identity the emulator accepts.
type Credentials = awstest.Credentials

// DefaultCredentials returns AccessKeyID and SecretAccessKey.
func DefaultCredentials() Credentials {
	return Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
}
