package awssecretstest

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

// The SigV4 signing names of the two services: the fourth element of the
// credential scope.
const (
	ServiceSSM            = "ssm"
	ServiceSecretsManager = "secretsmanager"
)

// Credentials is one AWS identity the emulator accepts.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must come in X-Amz-Security-Token; when
	// empty the request must carry none.
	SessionToken string
}

// DefaultCredentials returns AccessKeyID and SecretAccessKey.
func DefaultCredentials() Credentials {
	return Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
}

// Provider returns c as an AWS SDK credentials provider.
func (c Credentials) Provider() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
			SessionToken: c.SessionToken, Source: "awssecretstest",
		}, nil
	})
}

// maxSkew is how far X-Amz-Date may be from the emulator's clock.
const maxSkew = 5 * time.Minute

// amzDateFormat is the layout of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// sigV4Header matches "AWS4-HMAC-SHA256 Credential=AKID/date/region/
// service/aws4_request, SignedHeaders=a;b, Signature=hex".
var sigV4Header = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request, ?SignedHeaders=([a-z0-9;_.-]+), ?Signature=([0-9a-f]{64})$`)

// scope is what a request's Authorization header says about its signer.
type scope struct {
	accessKeyID, date, region, service, signedHeaders, signature string
}

// authenticate checks r's SigV4 signature the way AWS's front door does
// for a JSON service, returning the parsed scope and the error to answer
// with, or nil. want is the signing name the target's service requires;
// empty (an unknown target) accepts either service's.
func (s *Server) authenticate(r *http.Request, body []byte, want string) (scope, *apiError) {
	h := r.Header.Get("Authorization")
	m := sigV4Header.FindStringSubmatch(h)
	var sc scope
	if m != nil {
		sc = scope{accessKeyID: m[1], date: m[2], region: m[3], service: m[4], signedHeaders: m[5], signature: m[6]}
	}
	switch {
	case s.opts.noAuth:
		return sc, nil
	case h == "":
		return sc, &apiError{Code: CodeMissingAuthenticationToken, Message: MsgMissingAuthenticationToken}
	case m == nil:
		return sc, &apiError{Code: CodeIncompleteSignature, Message: "Authorization header requires 'Credential', " +
			"'SignedHeaders' and 'Signature' parameters. Authorization=" + strings.SplitN(h, " ", 2)[0]}
	}
	return sc, s.verify(r, body, sc, want)
}

// verify checks the key, the scope, the date and the token, then re-signs
// the request with the key's secret and compares signatures.
func (s *Server) verify(r *http.Request, body []byte, sc scope, want string) *apiError {
	creds, ok := s.credentials(sc.accessKeyID)
	if !ok || !same(r.Header.Get("X-Amz-Security-Token"), creds.SessionToken) {
		return &apiError{Code: CodeUnrecognizedClient, Message: MsgUnrecognizedClient}
	}
	if e := s.checkScope(sc, want); e != nil {
		return e
	}
	when, e := s.checkDate(r.Header.Get("X-Amz-Date"), sc.date)
	if e != nil {
		return e
	}
	sig, err := resign(r, body, creds, sc, when)
	if err != nil || !same(sig, sc.signature) {
		return &apiError{Code: CodeInvalidSignature, Message: MsgInvalidSignature}
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

// checkScope checks the region and signing name of the credential scope.
func (s *Server) checkScope(sc scope, want string) *apiError {
	if sc.region != s.opts.region {
		return &apiError{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Credential should be scoped to a valid region, not '%s'. ", sc.region)}
	}
	known := sc.service == ServiceSSM || sc.service == ServiceSecretsManager
	if (want != "" && sc.service != want) || (want == "" && !known) {
		if want == "" {
			want = ServiceSSM
		}
		return &apiError{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Credential should be scoped to correct service: '%s'. ", want)}
	}
	return nil
}

// checkDate checks X-Amz-Date against the credential scope and the clock,
// returning the signing time.
func (s *Server) checkDate(amzDate, scopeDate string) (time.Time, *apiError) {
	when, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return time.Time{}, &apiError{Code: CodeIncompleteSignature, Message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
	}
	if d := when.Format("20060102"); d != scopeDate {
		return time.Time{}, &apiError{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", scopeDate, d, amzDate)}
	}
	now := s.opts.now().UTC()
	switch {
	case when.Before(now.Add(-maxSkew)):
		return time.Time{}, &apiError{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Signature expired: %s is now earlier than %s (%s - 5 min.)", amzDate, now.Add(-maxSkew).Format(amzDateFormat), now.Format(amzDateFormat))}
	case when.After(now.Add(maxSkew)):
		return time.Time{}, &apiError{Code: CodeInvalidSignature, Message: fmt.Sprintf(
			"Signature not yet current: %s is still later than %s (%s + 5 min.)", amzDate, now.Add(maxSkew).Format(amzDateFormat), now.Format(amzDateFormat))}
	}
	return when, nil
}

// resign rebuilds the request from the headers the client signed, signs
// it with creds at the client's time and returns the hex signature.
func resign(r *http.Request, body []byte, creds Credentials, sc scope, when time.Time) (string, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	req := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, name := range strings.Split(sc.signedHeaders, ";") {
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
	}, req, hex.EncodeToString(sum[:]), sc.service, sc.region, when)
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
