package openaitest

// Option configures a Server.
type Option func(*options)

type options struct {
	addr        string
	tls         bool
	apiKey      string
	replies     []Reply
	fallback    *Reply
	cassettes   []*Cassette
	models      []string
	strict      bool
	deployments map[string]bool
	answer      string
	noRecord    bool
}

// DefaultAnswer is the canned assistant text.
const DefaultAnswer = "Hello! I am the OpenAI emulator. How can I help you today?"

// defaultModels are listed by GET /v1/models unless WithModels is given.
func defaultModels() []string {
	return []string{"gpt-4o-mini", "gpt-4o", "gpt-5-nano", "gpt-3.5-turbo-instruct", "text-embedding-3-small", "text-embedding-3-large"}
}

func defaultOptions() options {
	return options{addr: "127.0.0.1:0", models: defaultModels(), answer: DefaultAnswer}
}

// WithAddr sets the listen address; default "127.0.0.1:0" (a free port).
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithTLS serves HTTPS with HTTP/2; use Server.Client for a client that
// trusts it.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithAPIKey requires key: as `Authorization: Bearer <key>` on the OpenAI
// surface (else 401 invalid_api_key), and as `api-key: <key>` (or a bearer
// token) on the Azure surfaces (else Azure's 401).
func WithAPIKey(key string) Option { return func(o *options) { o.apiKey = key } }

// WithReplies queues replies: the n-th request gets the n-th reply, and
// requests after them are answered as if none were queued. Server.Push
// queues more.
func WithReplies(replies ...Reply) Option {
	return func(o *options) { o.replies = append(o.replies, replies...) }
}

// WithDefault answers every request that no queued reply or cassette
// covers with r, e.g. Reply{ChunkDelay: time.Millisecond} or a 503.
func WithDefault(r Reply) Option { return func(o *options) { o.fallback = &r } }

// WithCassette replays c: a request whose method and path match a
// recorded one gets the recorded answer (each interaction once, in order;
// the last match again once all were used).
func WithCassette(c *Cassette) Option {
	return func(o *options) { o.cassettes = append(o.cassettes, c) }
}

// WithModels sets the models GET /v1/models lists and makes the canned
// endpoints answer 404 model_not_found for any other model. Without it
// every model is accepted.
func WithModels(ids ...string) Option {
	return func(o *options) { o.models, o.strict = ids, true }
}

// WithDeployments restricts the Azure classic surface to these deployment
// names; others get 404 DeploymentNotFound. Without it every name exists.
func WithDeployments(names ...string) Option {
	return func(o *options) {
		o.deployments = make(map[string]bool, len(names))
		for _, n := range names {
			o.deployments[n] = true
		}
	}
}

// WithAnswer sets the canned assistant text, streamed word by word.
func WithAnswer(text string) Option { return func(o *options) { o.answer = text } }

// WithoutRecording stops the emulator from keeping what it receives
// (Requests stays empty; Arrivals and Canceled still report), for
// benchmarks and load tests that send many requests.
func WithoutRecording() Option { return func(o *options) { o.noRecord = true } }
