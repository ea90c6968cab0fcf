package awssecretstest

import (
	"errors"
	"net/http"

	"github.com/outcrop/outcrop/internal/awstest"
)

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

// authenticate checks r's SigV4 signature the way AWS's front door does
// for a JSON service, returning the parsed Authorization header (zero when
// it does not parse) and the error to answer with, or nil. want is the
// signing name the target's service requires; empty (an unknown target)
// accepts either service's.
func (s *Server) authenticate(r *http.Request, body []byte, want string) (awstest.Authorization, *apiError) {
	a, _ := awstest.ParseAuthorization(r.Header.Get("Authorization")) // for the record; Verify reports its errors
	if s.opts.noAuth {
		return a, nil
	}
	services := []string{want}
	if want == "" {
		services = []string{ServiceSSM, ServiceSecretsManager}
	}
	_, err := awstest.Verify(r, body, awstest.VerifyOptions{
		Credentials: s.opts.creds, Region: s.opts.region, Services: services, Now: s.opts.now,
	})
	e := awstest.Refusal(err)
	if e == nil {
		return a, nil
	}
	msg := e.Message
	if errors.Is(e, awstest.ErrRegion) || errors.Is(e, awstest.ErrService) {
		// The JSON services' front door ends these two with a space.
		msg += " "
	}
	return a, &apiError{Code: e.Code, Message: msg}
}
