package bedrocktest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// maxSkew is how far X-Amz-Date may be from the emulator's clock.
const maxSkew = 5 * time.Minute

// Credentials is one AWS identity the emulator accepts.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must come in X-Amz-Security-Token; when
	// empty the request must carry none.
	SessionToken string
}

// LongTermCredentials returns AccessKeyID and SecretAccessKey.
func LongTermCredentials() Credentials {
	return Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
}

// TemporaryCredentials returns TempAccessKeyID, TempSecretAccessKey and
// SessionToken.
func TemporaryCredentials() Credentials {
	return Credentials{AccessKeyID: TempAccessKeyID, SecretAccessKey: TempSecretAccessKey, SessionToken: SessionToken}
}

// Provider returns c as an AWS SDK credentials provider.
func (c Credentials) Provider() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
			SessionToken: c.SessionToken, Source: "bedrocktest",
		}, nil
	})
}

// AuthKind is how a request authenticated.
type AuthKind string

// Authentication kinds.
const (
	AuthNone   AuthKind = "none"
	AuthSigV4  AuthKind = "sigv4"
	AuthBearer AuthKind = "bearer"
)

// sigV4Header matches Authorization: AWS4-HMAC-SHA256 Credential=AKID/
// date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex.
var sigV4Header = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request, ?SignedHeaders=([a-z0-9;_.-]+), ?Signature=([0-9a-f]{64})$`)

// authKind reports the kind of credentials r carries and, for SigV4, the
// access key ID.
func authKind(r *http.Request) (AuthKind, string) {
	h := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(h, "Bearer "):
		return AuthBearer, ""
	case strings.HasPrefix(h, "AWS4-HMAC-SHA256 "):
		if m := sigV4Header.FindStringSubmatch(h); m != nil {
			return AuthSigV4, m[1]
		}
		return AuthSigV4, ""
	}
	return AuthNone, ""
}

// authenticate checks r's bearer token or SigV4 signature the way AWS's
// front door does, returning the error to answer with, or nil.
func (s *Server) authenticate(r *http.Request, body []byte) *Error {
	if s.opts.noAuth {
		return nil
	}
	h := r.Header.Get("Authorization")
	switch {
	case h == "":
		return &Error{Code: CodeMissingAuthenticationToken, Message: "Missing Authentication Token"}
	case strings.HasPrefix(h, "Bearer "):
		token := strings.TrimPrefix(h, "Bearer ")
		for _, t := range s.opts.bearer {
			if same(t, token) {
				return nil
			}
		}
		return &Error{Code: CodeAccessDenied, Message: MsgBadAPIKey}
	}
	return s.verifySigV4(r, body, h)
}

// verifySigV4 checks the SigV4 header: its shape, key, scope, date and
// token, then re-signs the request with the key's secret and compares
// signatures (shared/docs/wire.md §3.1).
func (s *Server) verifySigV4(r *http.Request, body []byte, h string) *Error {
	m := sigV4Header.FindStringSubmatch(h)
	if m == nil {
		return &Error{Code: CodeIncompleteSignature, Message: "Authorization header requires 'Credential', " +
			"'SignedHeaders' and 'Signature' parameters. Authorization=" + strings.SplitN(h, " ", 2)[0]}
	}
	akid, scopeDate, region, service, signed, signature := m[1], m[2], m[3], m[4], m[5], m[6]
	creds, ok := s.credentials(akid)
	if !ok {
		return &Error{Code: CodeUnrecognizedClient, Message: MsgBadToken}
	}
	when, e := s.checkScope(r.Header.Get("X-Amz-Date"), scopeDate, region, service)
	if e != nil {
		return e
	}
	if !same(r.Header.Get("X-Amz-Security-Token"), creds.SessionToken) {
		return &Error{Code: CodeUnrecognizedClient, Message: MsgBadToken}
	}
	want, err := resign(r, body, creds, strings.Split(signed, ";"), region, service, when)
	if err != nil || !same(want, signature) {
		return &Error{Code: CodeInvalidSignature, Message: MsgBadSignature}
	}
	return nil
}

func (s *Server) credentials(akid string) (Credentials, bool) {
	for _, c := range s.opts.creds {
		if c.AccessKeyID == akid {
			return c, true
		}
	}
	return Credentials{}, false
}

// checkScope checks X-Amz-Date against the credential scope and the clock,
// returning the signing time.
func (s *Server) checkScope(amzDate, scopeDate, region, service string) (time.Time, *Error) {
	when, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return time.Time{}, &Error{Code: CodeIncompleteSignature, Message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
	}
	if d := when.Format("20060102"); d != scopeDate {
		return time.Time{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", scopeDate, d, amzDate)}
	}
	if region != s.opts.region {
		return time.Time{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", region)}
	}
	if service != Service {
		return time.Time{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'.", Service)}
	}
	now := s.opts.now().UTC()
	const f = "20060102T150405Z"
	switch {
	case when.Before(now.Add(-maxSkew)):
		return time.Time{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Signature expired: %s is now earlier than %s (%s - 5 min.)", amzDate, now.Add(-maxSkew).Format(f), now.Format(f))}
	case when.After(now.Add(maxSkew)):
		return time.Time{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Signature not yet current: %s is still later than %s (%s + 5 min.)", amzDate, now.Add(maxSkew).Format(f), now.Format(f))}
	}
	return when, nil
}

// resign rebuilds the request from the headers the client signed and signs
// it with creds, returning the hex signature.
func resign(r *http.Request, body []byte, creds Credentials, signed []string, region, service string, when time.Time) (string, error) {
	u := *r.URL // keeps RawPath: the client signed the escaped path
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	req := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, name := range signed {
		switch name {
		case "host":
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			req.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(r.Context(), aws.Credentials{
		AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken,
	}, req, hex.EncodeToString(sum[:]), service, region, when)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	_, sig, ok := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	if !ok {
		return "", fmt.Errorf("signer wrote no signature")
	}
	return sig, nil
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
