package awssecretstest

import (
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Fixed values the emulator uses by default.
const (
	// Region is the default region.
	Region = "us-east-1"
	// AccountID is the account every ARN names.
	AccountID = "123456789012"

	// AccessKeyID and SecretAccessKey are the long-term credentials the
	// emulator accepts by default.
	AccessKeyID     = "AKIDMASTERKEYTEST"
	SecretAccessKey = "outcrop/masterkey/test/secret/key/000000"
)

// Option configures a Server.
type Option func(*options)

type options struct {
	awstest.Options
	params  []Parameter
	secrets []Secret
	denied  []string
}

func defaultOptions() options {
	return options{Options: awstest.DefaultOptions(Region, DefaultCredentials())}
}

// WithAddr sets the listen address; default "127.0.0.1:0" (a free port).
func WithAddr(addr string) Option { return func(o *options) { o.Addr = addr } }

// WithRegion sets the region requests must be signed for and that ARNs
// name; default Region.
func WithRegion(region string) Option { return func(o *options) { o.Region = region } }

// WithCredentials replaces the accepted SigV4 credentials (default
// DefaultCredentials). Server.Env and Server.AWSConfig use the first.
func WithCredentials(creds ...Credentials) Option {
	return func(o *options) { o.Credentials = append([]Credentials(nil), creds...) }
}

// WithoutAuth accepts requests without checking their signature (Recorded
// still says what they carried).
func WithoutAuth() Option { return func(o *options) { o.NoAuth = true } }

// WithClock sets the clock SigV4 dates are checked against (±5 minutes)
// and that dates default to; default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.Now = now } }

// WithFailures queues failures: each answers one request that passed
// authentication and the protocol's checks, in order, instead of the
// operation's answer. An empty Message is the code.
func WithFailures(f ...Failure) Option {
	return func(o *options) { o.Failures = append(o.Failures, f...) }
}

// WithParameters adds Parameter Store parameters; a later one with the
// same name replaces an earlier one.
func WithParameters(params ...Parameter) Option {
	return func(o *options) { o.params = append(o.params, params...) }
}

// WithSecrets adds Secrets Manager secrets; a later one with the same
// name replaces an earlier one.
func WithSecrets(secrets ...Secret) Option {
	return func(o *options) { o.secrets = append(o.secrets, secrets...) }
}

// WithDenied makes requests for these parameter or secret names (or ARNs,
// as sent) fail with AccessDeniedException, as when the caller's IAM
// policy does not allow ssm:GetParameter or secretsmanager:GetSecretValue
// on them.
func WithDenied(ids ...string) Option {
	return func(o *options) { o.denied = append(o.denied, ids...) }
}
