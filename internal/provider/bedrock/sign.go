package bedrock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// SigningName is the SigV4 service name of Bedrock Runtime (and of the
// control plane): "bedrock", not the endpoint prefix "bedrock-runtime".
const SigningName = "bedrock"

// authenticator sets one attempt's authentication headers. It is called
// for every attempt: a SigV4 signature is dated, and the credentials may
// have been refreshed since the last one.
type authenticator interface {
	authenticate(ctx context.Context, req *http.Request, payloadHash string) error
	// prepare returns what is computed once per call for all its attempts:
	// the SigV4 payload hash, or "" when the scheme needs none.
	prepare(body []byte) string
}

// bearerAuth sends a Bedrock API key: `Authorization: Bearer <key>`, no
// signature.
type bearerAuth struct{ header string }

func newBearerAuth(key string) *bearerAuth { return &bearerAuth{header: "Bearer " + key} }

func (a *bearerAuth) prepare([]byte) string { return "" }

func (a *bearerAuth) authenticate(_ context.Context, req *http.Request, _ string) error {
	req.Header["Authorization"] = []string{a.header}
	return nil
}

// sigv4Auth signs with AWS credentials. The credentials provider is a
// cache (aws.CredentialsCache) that refreshes them before they expire.
type sigv4Auth struct {
	creds  aws.CredentialsProvider
	signer *v4.Signer
	region string
	now    func() time.Time
}

func newSigV4Auth(creds aws.CredentialsProvider, region string) *sigv4Auth {
	if _, ok := creds.(*aws.CredentialsCache); !ok {
		creds = aws.NewCredentialsCache(creds, cacheOptions)
	}
	return &sigv4Auth{creds: creds, signer: v4.NewSigner(), region: region, now: time.Now}
}

// credentialsExpiryWindow is how long before their expiry temporary
// credentials are refreshed, so that a request is never signed with
// credentials that expire in flight.
const credentialsExpiryWindow = 5 * time.Minute

func cacheOptions(o *aws.CredentialsCacheOptions) {
	o.ExpiryWindow = credentialsExpiryWindow
	o.ExpiryWindowJitterFrac = 0.2
}

// prepare returns the payload hash: hex SHA-256 of the body.
func (a *sigv4Auth) prepare(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// authenticate signs req; payloadHash comes from prepare.
func (a *sigv4Auth) authenticate(ctx context.Context, req *http.Request, payloadHash string) error {
	creds, err := a.creds.Retrieve(ctx)
	if err != nil {
		return credentialsError(err)
	}
	if err := a.signer.SignHTTP(ctx, creds, req, payloadHash, SigningName, a.region, a.now()); err != nil {
		return credentialsError(err)
	}
	return nil
}

// credentialsError is a failure to obtain credentials or to sign: the
// gateway's problem, never the client's, and reported without details
// (the cause, logged, says which source failed).
func credentialsError(err error) *provider.UpstreamError {
	return &provider.UpstreamError{
		Status: http.StatusInternalServerError,
		Err: &openai.Error{
			Status:  http.StatusInternalServerError,
			Type:    openai.TypeServer,
			Message: "the gateway could not obtain AWS credentials for Bedrock",
		},
		Cause: fmt.Errorf("bedrock credentials: %w", err),
	}
}

// loadDefaultConfig runs the AWS SDK's default configuration chain:
// credentials from the environment, the shared profile (SSO included), web
// identity (IRSA), ECS and EC2 roles, cached and refreshed before expiry;
// and the region from the shared profile when none was given.
func loadDefaultConfig(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithCredentialsCacheOptions(cacheOptions)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}
