package bedrocktest

import "time"

// Option configures a Server.
type Option func(*options)

type options struct {
	addr          string
	tls           bool
	region        string
	creds         []Credentials
	bearer        []string
	noAuth        bool
	now           func() time.Time
	replies       []Reply
	fallback      *Reply
	responder     Responder
	models        []FoundationModel
	profiles      []InferenceProfile
	appProfiles   bool
	anyModel      bool
	answer        string
	seed          uint64
	noPadding     bool
	headerLatency time.Duration
	errorForm     ErrorForm
	noRecord      bool
	pageSize      int
}

// DefaultHeaderLatency is waited before every response header. The AWS
// SDK closes its request body as soon as response headers arrive, and
// Go's transport may then tear down a connection whose response is still
// streaming; a loopback server that answers within microseconds makes
// that race likely (issue 3). A few milliseconds let the client finish
// writing first.
const DefaultHeaderLatency = 2 * time.Millisecond

// DefaultPageSize is ListInferenceProfiles' page size when the request
// sets no maxResults; small enough that the default catalogue needs two
// pages.
const DefaultPageSize = 10

func defaultOptions() options {
	return options{
		addr:          "127.0.0.1:0",
		region:        Region,
		creds:         []Credentials{LongTermCredentials(), TemporaryCredentials()},
		bearer:        []string{BearerToken},
		now:           time.Now,
		seed:          1,
		headerLatency: DefaultHeaderLatency,
		pageSize:      DefaultPageSize,
	}
}

// WithAddr sets the listen address; default "127.0.0.1:0" (a free port).
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithTLS serves HTTPS (with HTTP/2), which the AWS SDK requires for
// bearer tokens; use Server.Client for a client that trusts it.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithRegion sets the region requests must be signed for and that the
// catalogue's ARNs name; default Region ("us-east-1").
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithCredentials replaces the accepted SigV4 credentials (default
// LongTermCredentials and TemporaryCredentials).
func WithCredentials(creds ...Credentials) Option {
	return func(o *options) { o.creds = creds }
}

// WithBearerTokens replaces the accepted bearer tokens (Bedrock API keys);
// default BearerToken. With none, every bearer token is refused.
func WithBearerTokens(tokens ...string) Option {
	return func(o *options) { o.bearer = tokens }
}

// WithoutAuth accepts requests without checking their signature or token
// (Recorded.Auth still says what they carried).
func WithoutAuth() Option { return func(o *options) { o.noAuth = true } }

// WithClock sets the clock SigV4 dates are checked against (±5 minutes);
// default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReplies queues replies: each request that passes the checks takes
// the first queued reply that applies to its operation (see
// Reply.Operation). Server.Push queues more.
func WithReplies(replies ...Reply) Option {
	return func(o *options) { o.replies = append(o.replies, replies...) }
}

// WithDefault answers every request that no queued reply covers with r
// (subject to r.Operation), e.g. Reply{EventDelay: time.Millisecond}.
func WithDefault(r Reply) Option { return func(o *options) { o.fallback = &r } }

// Request is what a Responder sees of a runtime request that passed the
// emulator's checks (credentials, model, request validation).
type Request struct {
	// Operation is OpConverse, OpConverseStream, OpInvokeModel,
	// OpInvokeModelWithResponseStream or OpCountTokens.
	Operation string
	// ModelID is the model or profile identifier of the path, decoded.
	ModelID string
	// Body is the request body as sent.
	Body []byte
}

// Responder picks the reply to a runtime request from what it asks, for
// tests whose answers depend on the conversation (a tool call, then an
// answer to its result). ok false leaves the request to the default
// reply. It is called from the requests' goroutines, concurrently.
type Responder func(req Request) (rep Reply, ok bool)

// WithResponder consults f for every runtime request that no queued reply
// covers, before the default reply (WithDefault).
func WithResponder(f Responder) Option { return func(o *options) { o.responder = f } }

// WithModels replaces the foundation-model catalogue (default
// DefaultModels()); with none the catalogue is empty.
func WithModels(models ...FoundationModel) Option {
	return func(o *options) { o.models = append([]FoundationModel{}, models...) }
}

// WithProfiles replaces the inference-profile catalogue (default
// DefaultProfiles(region)); with none it is empty. Profiles with no ARN
// get one for the region.
func WithProfiles(profiles ...InferenceProfile) Option {
	return func(o *options) { o.profiles = append([]InferenceProfile{}, profiles...) }
}

// WithApplicationProfiles adds DefaultApplicationProfiles(region) to the
// profile catalogue.
func WithApplicationProfiles() Option { return func(o *options) { o.appProfiles = true } }

// WithAnyModel makes the runtime accept model IDs outside the catalogue,
// as on-demand text models, instead of answering ValidationException
// MsgInvalidModel.
func WithAnyModel() Option { return func(o *options) { o.anyModel = true } }

// WithAnswer sets the canned assistant text, instead of EchoAnswer of the
// last user text.
func WithAnswer(text string) Option { return func(o *options) { o.answer = text } }

// WithSeed seeds the random lengths of the "p" padding; default 1. The
// same seed and request order give the same bytes.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithoutPadding leaves the "p" member out of event payloads.
func WithoutPadding() Option { return func(o *options) { o.noPadding = true } }

// WithHeaderLatency sets the wait before every response header; default
// DefaultHeaderLatency. Zero answers at once, which exposes clients to
// the connection race DefaultHeaderLatency describes.
func WithHeaderLatency(d time.Duration) Option { return func(o *options) { o.headerLatency = d } }

// WithErrorForm sets how error answers carry their code; default
// FormHeader.
func WithErrorForm(f ErrorForm) Option { return func(o *options) { o.errorForm = f } }

// WithPageSize sets ListInferenceProfiles' page size when the request
// sets no maxResults; default DefaultPageSize.
func WithPageSize(n int) Option { return func(o *options) { o.pageSize = n } }

// WithoutRecording stops the emulator from keeping what it receives
// (Requests stays empty; Arrivals and Canceled still report), for
// benchmarks and load tests.
func WithoutRecording() Option { return func(o *options) { o.noRecord = true } }
