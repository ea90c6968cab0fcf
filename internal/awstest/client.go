package awstest

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Signing is how an emulator test signs a hand-made request (a Call):
// SigV4 with Credentials, for the signing name Service and Region, at At.
type Signing struct {
	Credentials Credentials
	Service     string
	Region      string
	At          time.Time
}

// Sign signs req, whose body is body, as the SDK's signer does; a
// failure fails t.
func (sg Signing) Sign(t testing.TB, req *http.Request, body string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(req.Context(), sg.Credentials.aws(), req, hex.EncodeToString(sum[:]), sg.Service, sg.Region, sg.At)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
}

// Call is a hand-made request to an emulator, for its tests.
type Call struct {
	// Method and Path are the request line's; default POST and "/".
	Method string
	Path   string
	// ContentType and Target are the Content-Type and X-Amz-Target
	// headers; empty ones are not sent.
	ContentType string
	Target      string
	Body        string
	// Sign signs the request; nil sends it unsigned.
	Sign *Signing
}

// Reply is an emulator's answer to a Call.
type Reply struct {
	Status int
	Header http.Header
	// Type is the error body's __type; Message and CapitalMessage are its
	// "message" and "Message" members. All are empty on success.
	Type           string
	Message        string
	CapitalMessage string
}

// Send sends c to the emulator at baseURL with http.DefaultClient and
// reads the answer; a failure to build, sign or send the request, or an
// error answer whose body is not JSON, fails t.
func (c Call) Send(t testing.TB, baseURL string) Reply {
	t.Helper()
	req, err := http.NewRequest(cmp.Or(c.Method, http.MethodPost), baseURL+cmp.Or(c.Path, "/"), strings.NewReader(c.Body))
	if err != nil {
		t.Fatal(err)
	}
	if c.ContentType != "" {
		req.Header.Set("Content-Type", c.ContentType)
	}
	if c.Target != "" {
		req.Header.Set("X-Amz-Target", c.Target)
	}
	if c.Sign != nil {
		c.Sign.Sign(t, req, c.Body)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Capital string `json:"Message"`
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("got error body %s, want JSON: %v", b, err)
		}
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Type: e.Type, Message: e.Message, CapitalMessage: e.Capital}
}

// Retryer is the SDK's standard retryer making at most attempts attempts,
// without backoff, for SDK clients in emulator tests.
func Retryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = attempts
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// CheckAPIError checks that err, from an SDK call to an emulator, is the
// service error code with a message containing msg, answered with status
// and a request ID.
func CheckAPIError(t testing.TB, err error, code, msg string, status int) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("got error %v, want a smithy.APIError", err)
	}
	if api.ErrorCode() != code || !strings.Contains(api.ErrorMessage(), msg) {
		t.Errorf("got %s %q, want %s containing %q", api.ErrorCode(), api.ErrorMessage(), code, msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status || re.ServiceRequestID() == "" {
		t.Errorf("got response error %v, want status %d with a request ID", re, status)
	}
}
