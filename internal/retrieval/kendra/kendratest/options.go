package kendratest

import (
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Fixed values the emulator uses by default.
const (
	// Region is the default region.
	Region = "us-east-1"
	// Service is Kendra's SigV4 signing name (the model's signingName, and
	// the SDK's auth.go).
	Service = "kendra"
	// IndexID is the index that always exists: 36 characters, as Kendra's
	// model requires.
	IndexID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

	// AccessKeyID and SecretAccessKey are the long-term credentials the
	// emulator accepts by default.
	AccessKeyID     = "AKIDKENDRATEST"
	SecretAccessKey = "outcrop/kendra/test/secret/key/00000000"
)

// Credentials is one AWS identity the emulator accepts.
type Credentials = awstest.Credentials

// DefaultCredentials returns AccessKeyID and SecretAccessKey.
func DefaultCredentials() Credentials {
	return Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
}

// Option configures a Server.
type Option func(*options)

type options struct {
	awstest.Options
	indexes map[string][]Document
}

func defaultOptions() options {
	return options{
		Options: awstest.DefaultOptions(Region, DefaultCredentials()),
		indexes: map[string][]Document{IndexID: nil},
	}
}

// WithAddr sets the listen address; default "127.0.0.1:0" (a free port).
func WithAddr(addr string) Option { return func(o *options) { o.Addr = addr } }

// WithRegion sets the region requests must be signed for; default Region.
func WithRegion(region string) Option { return func(o *options) { o.Region = region } }

// WithCredentials replaces the accepted SigV4 credentials (default
// DefaultCredentials). Server.AWSConfig uses the first.
func WithCredentials(creds ...Credentials) Option {
	return func(o *options) { o.Credentials = append([]Credentials(nil), creds...) }
}

// WithoutAuth accepts requests without checking their signature (Recorded
// still says what they carried).
func WithoutAuth() Option { return func(o *options) { o.NoAuth = true } }

// WithClock sets the clock SigV4 dates are checked against (±5 minutes);
// default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.Now = now } }

// WithDocuments adds documents to the index IndexID.
func WithDocuments(docs ...Document) Option { return WithIndex(IndexID, docs...) }

// WithIndex creates the index id, if new, and adds documents to it. An ID
// Kendra would refuse (not 36 characters) can never be reached.
func WithIndex(id string, docs ...Document) Option {
	return func(o *options) { o.indexes[id] = append(o.indexes[id], docs...) }
}

// WithFailures queues failures: each answers one Retrieve that passed
// authentication and validation, in order, instead of its results.
func WithFailures(f ...Failure) Option {
	return func(o *options) { o.Failures = append(o.Failures, f...) }
}
