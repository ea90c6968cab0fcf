package awstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// ContentTypeJSON11 is the media type of AWS JSON 1.1 requests and
// answers.
const ContentTypeJSON11 = "application/x-amz-json-1.1"

// Request is one request a Server hands its emulator's handler: the HTTP
// request with its body read.
type Request struct {
	// HTTP is the request; its body has been read into Body.
	HTTP *http.Request
	// Body is the request's body, at most 1 MiB of it.
	Body []byte

	server *Server
}

// Authenticate checks the request's SigV4 signature the way AWS's front
// door does, for a credential scope that names one of services: nil when
// it passes (or the server runs without auth), else the refusal to
// answer with.
func (r *Request) Authenticate(services ...string) *Error {
	o := r.server.opts
	if o.NoAuth {
		return nil
	}
	_, err := Verify(r.HTTP, r.Body, VerifyOptions{Credentials: o.Credentials, Region: o.Region, Services: services, Now: o.Now})
	e := Refusal(err)
	if e != nil && r.server.spec.Protocol == JSON11 && (errors.Is(e, ErrRegion) || errors.Is(e, ErrService)) {
		// The JSON services' front door ends these two with a space
		// (awssecretstest, recorded from SSM and Secrets Manager).
		e = &Error{Err: e.Err, Code: e.Code, Message: e.Message + " "}
	}
	return e
}

// IsJSON11 reports whether the request is an AWS JSON 1.1 call: POST /
// with that protocol's Content-Type. Its X-Amz-Target names the
// operation.
func (r *Request) IsJSON11() bool {
	mt, _, err := mime.ParseMediaType(r.HTTP.Header.Get("Content-Type"))
	return r.HTTP.Method == http.MethodPost && r.HTTP.URL.Path == "/" && err == nil && mt == ContentTypeJSON11
}

// Failure pops the first queued failure, its Message filled in from the
// Spec's FailureMessages (else the code) when empty: an emulator calls it
// once a request has reached the operation.
func (r *Request) Failure() (Failure, bool) {
	f, ok := r.server.nextFailure()
	if ok && f.Message == "" {
		f.Message = f.Code
		if m, known := r.server.spec.FailureMessages[f.Code]; known {
			f.Message = m
		}
	}
	return f, ok
}

// Failure is an error an emulator answers instead of an operation's
// result (Server.Fail, each emulator's WithFailures).
type Failure struct {
	// Code is the error code, e.g. "ThrottlingException".
	Code string
	// Message is the error's message; empty means the emulator's default
	// for the code.
	Message string
}

// Repeat returns n copies of f, e.g. for n throttled requests in a row.
func Repeat(n int, f Failure) []Failure {
	out := make([]Failure, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// JSONError is an AWS JSON error answer: the body {"__type":code,
// "message":msg}, the member spelt "Message" when capital (as some
// services' models spell it) and left out when msg is empty.
func JSONError(status int, code, msg string, capital bool) Answer {
	key := "message"
	if capital {
		key = "Message"
	}
	body := map[string]string{"__type": code}
	if msg != "" {
		body[key] = msg
	}
	b, _ := json.Marshal(body) // a map of strings always encodes
	return Answer{Status: status, Code: code, Body: b}
}

// Violations collects constraint violations in Coral's words, which the
// services' ValidationException uses: "1 validation error detected: Value
// null at 'indexId' failed to satisfy constraint: Member must not be
// null".
type Violations []string

// Add records that value (nil for a missing member) at member fails
// constraint, e.g. "not be null".
func (v *Violations) Add(value any, member, constraint string) {
	shown := "null"
	if value != nil {
		shown = fmt.Sprintf("'%v'", value)
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", shown, member, constraint))
}

// Message is the ValidationException message of the violations, "" when
// there are none.
func (v Violations) Message() string {
	if len(v) == 0 {
		return ""
	}
	noun := "errors"
	if len(v) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}
