package masterkey

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/outcrop/outcrop/internal/awsclient"
)

// The master key is read once, at start, with one AWS JSON 1.1 call
// (SSM's GetParameter or Secrets Manager's GetSecretValue). It is made
// here rather than through the SDK's service clients: those packages
// build their whole service model at init (1.7 MB of heap, 3 MiB of
// RSS measured), which a gateway would hold for its whole life for one
// call. The SDK still
// supplies the configuration, the credentials, the signer and the retry
// policy.

// service is one of the two AWS JSON 1.1 services read.
type service struct {
	id          string // the SDK's service ID, as errors name it
	signingName string // SigV4's service name and the endpoint's prefix
	endpointVar string // the service's own AWS_ENDPOINT_URL_ variable
	target      string // the X-Amz-Target prefix of its operations
}

var (
	serviceSSM = service{
		id: "SSM", signingName: "ssm", endpointVar: envEndpointSSM, target: "AmazonSSM.",
	}
	serviceSecretsManager = service{
		id: "Secrets Manager", signingName: "secretsmanager", endpointVar: envEndpointSecretsManager, target: "secretsmanager.",
	}
)

// maxAnswer bounds what is read of an answer: a secret is at most 64 KiB
// and a parameter 8 KiB, in JSON.
const maxAnswer = 1 << 20

// envUseFIPS is the SDK's switch to the FIPS endpoints.
const envUseFIPS = "AWS_USE_FIPS_ENDPOINT"

// apiError is an AWS error answer. It satisfies smithy.APIError, so that
// errors.As finds the code as with the SDK's clients, and the SDK's retry
// policy reads its code and HTTP status.
type apiError struct {
	svc, op   string
	status    int
	requestID string
	code, msg string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("operation error %s: %s, https response error StatusCode: %d, RequestID: %s, %s: %s",
		e.svc, e.op, e.status, e.requestID, e.code, e.msg)
}

func (e *apiError) ErrorCode() string    { return e.code }
func (e *apiError) ErrorMessage() string { return e.msg }
func (e *apiError) HTTPStatusCode() int  { return e.status }

func (e *apiError) ErrorFault() smithy.ErrorFault {
	if e.status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

var _ smithy.APIError = (*apiError)(nil)

// callJSON sends the operation op of svc with the body in and decodes the
// answer into out, retrying as cfg's retry policy says (the SDK's
// standard one by default: throttling, 5xx and transport failures, three
// attempts).
func callJSON(ctx context.Context, cfg aws.Config, svc service, op string, getenv func(string) string, in, out any) error {
	base, err := serviceEndpoint(svc, cfg.Region, getenv)
	if err != nil {
		return err
	}
	if cfg.Credentials == nil {
		return fmt.Errorf("operation error %s: %s: no AWS credentials", svc.id, op)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	hc := cfg.HTTPClient
	if hc == nil {
		hc = awshttp.NewBuildableClient()
	}
	var retryer aws.Retryer = retry.NewStandard()
	if cfg.Retryer != nil {
		retryer = cfg.Retryer()
	}
	for attempt := 1; ; attempt++ {
		err = attemptJSON(ctx, cfg, hc, svc, op, base, body, hash, out)
		if err == nil || attempt >= retryer.MaxAttempts() || !retryer.IsErrorRetryable(err) || ctx.Err() != nil {
			return err
		}
		wait, derr := retryer.RetryDelay(attempt, err)
		if derr != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// attemptJSON is one signed request and its answer.
func attemptJSON(ctx context.Context, cfg aws.Config, hc aws.HTTPClient, svc service, op string, base *url.URL, body []byte, hash string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", svc.target+op)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("operation error %s: %s: get credentials: %w", svc.id, op, err)
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, svc.signingName, cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("operation error %s: %s: sign: %w", svc.id, op, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		// A transport failure: the retry policy retries net errors.
		return fmt.Errorf("operation error %s: %s: %w", svc.id, op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("operation error %s: %s: read the answer: %w", svc.id, op, err)
	}
	if len(data) > maxAnswer {
		return fmt.Errorf("operation error %s: %s: the answer is over %d bytes", svc.id, op, maxAnswer)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answerError(svc, op, resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		// encoding/json's error is dropped: a syntax error quotes the
		// offending character, which may be the secret's.
		return fmt.Errorf("operation error %s: %s: the answer is not the operation's JSON", svc.id, op)
	}
	return nil
}

// answerError reads an AWS JSON error answer: the code from the
// X-Amzn-ErrorType header or the body's __type, the message from its
// "message" or "Message" member.
func answerError(svc service, op string, resp *http.Response, data []byte) error {
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		LowerMsg string `json:"message"`
		UpperMsg string `json:"Message"`
	}
	_ = json.Unmarshal(data, &doc) // an answer that is not JSON keeps the status alone
	code := firstSet(resp.Header.Get("X-Amzn-ErrorType"), doc.Type, doc.Code)
	e := &apiError{
		svc: svc.id, op: op, status: resp.StatusCode, requestID: resp.Header.Get("X-Amzn-RequestId"),
		code: awsclient.ErrorCode(code), msg: firstSet(doc.LowerMsg, doc.UpperMsg),
	}
	if e.code == "" {
		e.code = http.StatusText(resp.StatusCode)
	}
	return e
}

// serviceEndpoint is where svc's requests go: the configured endpoint
// (endpoint), else the regional public one, under amazonaws.com.cn in
// China and with the -fips prefix when AWS_USE_FIPS_ENDPOINT is true.
func serviceEndpoint(svc service, region string, getenv func(string) string) (*url.URL, error) {
	if raw := endpoint(getenv, svc.endpointVar); raw != nil {
		u, err := url.Parse(*raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q must be an absolute http or https URL", *raw)
		}
		if u.Path == "" {
			u.Path = "/"
		}
		return u, nil
	}
	if !awsclient.ValidRegion(region) {
		return nil, fmt.Errorf("region %q is not a valid AWS region", region)
	}
	host := svc.signingName
	if strings.EqualFold(strings.TrimSpace(getenv(envUseFIPS)), "true") {
		host += "-fips"
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return &url.URL{Scheme: "https", Host: host + "." + region + "." + domain, Path: "/"}, nil
}
