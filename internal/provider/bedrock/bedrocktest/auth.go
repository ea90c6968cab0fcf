package bedrocktest

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Fixed test credentials the emulator accepts by default.
const (
	// Region is the default region.
	Region = "us-east-1"
	// Service is the SigV4 signing name of Bedrock, runtime and control
	// plane alike.
	Service = "bedrock"

	// AccessKeyID and SecretAccessKey are long-term credentials.
	AccessKeyID     = "AKIDOUTCROPTEST"
	SecretAccessKey = "outcrop/test/secret/access/key/0000000000"

	// TempAccessKeyID, TempSecretAccessKey and SessionToken are temporary
	// credentials: requests must carry SessionToken in
	// X-Amz-Security-Token.
	TempAccessKeyID     = "ASIAOUTCROPTEST"
	TempSecretAccessKey = "outcrop/test/temporary/secret/key/000000"
	SessionToken        = "outcrop-test-session-token"

	// BearerToken is the Bedrock API key accepted by default.
	BearerToken = "bedrock-api-key-outcrop-test"
)

// Credentials is one AWS identity the emulator accepts.
type Credentials = awstest.Credentials

// LongTermCredentials returns AccessKeyID and SecretAccessKey.
func LongTermCredentials() Credentials {
	return Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
}

// TemporaryCredentials returns TempAccessKeyID, TempSecretAccessKey and
// SessionToken.
func TemporaryCredentials() Credentials {
	return Credentials{AccessKeyID: TempAccessKeyID, SecretAccessKey: TempSecretAccessKey, SessionToken: SessionToken}
}

// AuthKind is how a request authenticated.
type AuthKind string

// Authentication kinds.
const (
	AuthNone   AuthKind = "none"
	AuthSigV4  AuthKind = "sigv4"
	AuthBearer AuthKind = "bearer"
)

// authKind reports the kind of credentials r carries and, for SigV4, the
// access key ID.
func authKind(r *http.Request) (AuthKind, string) {
	h := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(h, "Bearer "):
		return AuthBearer, ""
	case strings.HasPrefix(h, "AWS4-HMAC-SHA256 "):
		a, _ := awstest.ParseAuthorization(h) // a malformed header records no key
		return AuthSigV4, a.AccessKeyID
	}
	return AuthNone, ""
}

// authenticate checks r's bearer token or SigV4 signature the way AWS's
// front door does, returning the error to answer with, or nil.
func (s *Server) authenticate(r *http.Request, body []byte) *Error {
	if s.opts.noAuth {
		return nil
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		for _, t := range s.opts.bearer {
			if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
				return nil
			}
		}
		return &Error{Code: CodeAccessDenied, Message: MsgBadAPIKey}
	}
	_, err := awstest.Verify(r, body, awstest.VerifyOptions{
		Credentials: s.opts.creds, Region: s.opts.region, Services: []string{Service}, Now: s.opts.now,
	})
	if e := awstest.Refusal(err); e != nil {
		return &Error{Code: e.Code, Message: e.Message}
	}
	return nil
}
