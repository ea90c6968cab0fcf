package awstest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// MaxSkew is how far X-Amz-Date may be from the emulator's clock, either
// way, as at AWS.
const MaxSkew = 5 * time.Minute

// amzDateFormat is the layout of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// VerifyOptions is what Verify checks a request against.
type VerifyOptions struct {
	// Credentials are the identities accepted; none means every key is
	// unknown.
	Credentials []Credentials
	// Region is the region the credential scope must name, e.g.
	// "us-east-1".
	Region string
	// Services are the signing names the credential scope may name; the
	// refusal of another names the first. None refuses every request.
	Services []string
	// Now is the emulator's clock; nil means time.Now.
	Now func() time.Time
}

// Identity is who signed a verified request.
type Identity struct {
	Credentials   Credentials
	Authorization Authorization
	// Time is the signing time, from X-Amz-Date.
	Time time.Time
}

// Verify checks r's SigV4 signature over body the way AWS's front door
// does: the header's shape, then the key and session token, the scope's
// region and service, the date against the scope and the clock, and last
// the signature, re-computed with the key's secret over the headers the
// client signed. A refusal is an *Error carrying AWS's code and message.
func Verify(r *http.Request, body []byte, opts VerifyOptions) (Identity, error) {
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return Identity{}, err
	}
	creds, ok := lookup(opts.Credentials, a.AccessKeyID)
	if !ok {
		return Identity{}, refuse(ErrUnknownKey, CodeUnrecognizedClient, MsgUnrecognizedClient)
	}
	if !same(r.Header.Get("X-Amz-Security-Token"), creds.SessionToken) {
		return Identity{}, refuse(ErrSessionToken, CodeUnrecognizedClient, MsgUnrecognizedClient)
	}
	if err := checkScope(a, opts); err != nil {
		return Identity{}, err
	}
	when, err := checkDate(r.Header.Get("X-Amz-Date"), a.Date, opts.now())
	if err != nil {
		return Identity{}, err
	}
	sig, err := resign(r, body, creds, a, when)
	if err != nil || !same(sig, a.Signature) {
		return Identity{}, refuse(ErrSignature, CodeInvalidSignature, MsgInvalidSignature)
	}
	return Identity{Credentials: creds, Authorization: a, Time: when}, nil
}

func (o VerifyOptions) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

func lookup(creds []Credentials, akid string) (Credentials, bool) {
	for _, c := range creds {
		if c.AccessKeyID == akid {
			return c, true
		}
	}
	return Credentials{}, false
}

// checkScope checks the region and signing name of the credential scope.
func checkScope(a Authorization, opts VerifyOptions) error {
	if a.Region != opts.Region {
		return refuse(ErrRegion, CodeInvalidSignature, fmt.Sprintf(
			"Credential should be scoped to a valid region, not '%s'.", a.Region))
	}
	for _, s := range opts.Services {
		if a.Service == s {
			return nil
		}
	}
	want := ""
	if len(opts.Services) > 0 {
		want = opts.Services[0]
	}
	return refuse(ErrService, CodeInvalidSignature, fmt.Sprintf(
		"Credential should be scoped to correct service: '%s'.", want))
}

// checkDate checks X-Amz-Date against the credential scope's date and
// the clock, returning the signing time.
func checkDate(amzDate, scopeDate string, now time.Time) (time.Time, error) {
	when, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return time.Time{}, refuse(ErrNoDate, CodeIncompleteSignature,
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if d := when.Format("20060102"); d != scopeDate {
		return time.Time{}, refuse(ErrScopeDate, CodeInvalidSignature, fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", scopeDate, d, amzDate))
	}
	switch {
	case when.Before(now.Add(-MaxSkew)):
		return time.Time{}, refuse(ErrExpired, CodeInvalidSignature, fmt.Sprintf(
			"Signature expired: %s is now earlier than %s (%s - 5 min.)", amzDate, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	case when.After(now.Add(MaxSkew)):
		return time.Time{}, refuse(ErrNotYetCurrent, CodeInvalidSignature, fmt.Sprintf(
			"Signature not yet current: %s is still later than %s (%s + 5 min.)", amzDate, now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	return when, nil
}

// resign rebuilds the request from the headers the client signed, signs
// it with creds at the client's time and returns the hex signature.
func resign(r *http.Request, body []byte, creds Credentials, a Authorization, when time.Time) (string, error) {
	u := *r.URL // keeps RawPath: the client signed the escaped path
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	req := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, name := range a.SignedHeaders {
		switch name {
		case "host":
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			req.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(r.Context(), creds.aws(), req, hex.EncodeToString(sum[:]), a.Service, a.Region, when)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	_, sig, ok := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	if !ok {
		return "", errors.New("signer wrote no signature")
	}
	return sig, nil
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
