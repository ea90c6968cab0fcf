package bedrockkbtest

import (
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Fixed values the emulator uses by default.
const (
	// Region is the default region.
	Region = "us-east-1"
	// Service is the SigV4 signing name of bedrock-agent-runtime: "bedrock",
	// not the endpoint prefix (the model's signingName; the SDK's auth.go
	// and endpoints.go).
	Service = "bedrock"
	// KnowledgeBaseID is the knowledge base that always exists.
	KnowledgeBaseID = "KBTEST0001"
	// DataSourceID is the x-amz-bedrock-kb-data-source-id of every chunk.
	DataSourceID = "DSTEST0001"

	// AccessKeyID and SecretAccessKey are the long-term credentials the
	// emulator accepts by default.
	AccessKeyID     = "AKIDBEDROCKKBTEST"
	SecretAccessKey = "outcrop/bedrockkb/test/secret/key/000000"
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
	kbs map[string][]Document
}

func defaultOptions() options {
	return options{
		Options: awstest.DefaultOptions(Region, DefaultCredentials()),
		kbs:     map[string][]Document{KnowledgeBaseID: nil},
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

// WithDocuments adds documents to the knowledge base KnowledgeBaseID.
func WithDocuments(docs ...Document) Option { return WithKnowledgeBase(KnowledgeBaseID, docs...) }

// WithKnowledgeBase creates the knowledge base id, if new, and adds
// documents to it. An ID the API would refuse (not 1 to 10 letters and
// digits) can never be reached.
func WithKnowledgeBase(id string, docs ...Document) Option {
	return func(o *options) { o.kbs[id] = append(o.kbs[id], docs...) }
}

// WithFailures queues failures: each answers one Retrieve that passed
// authentication and validation, in order, instead of its results.
func WithFailures(f ...Failure) Option {
	return func(o *options) { o.Failures = append(o.Failures, f...) }
}
