package bedrock

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/upstreamhttp"
)

// Default limits; see Config.
const (
	// DefaultResponseHeaderTimeout bounds the wait for a response's
	// headers: for Converse, the whole answer. Ten minutes is also the
	// official OpenAI SDKs' request timeout, so a client rarely waits
	// longer anyway.
	DefaultResponseHeaderTimeout = 10 * time.Minute
	// DefaultStreamIdleTimeout bounds the silence between two events of a
	// stream. Reasoning models stream their reasoning, so even they are
	// never silent for minutes.
	DefaultStreamIdleTimeout = 5 * time.Minute
)

// Config configures a Client. The zero value of each optional field means
// its documented default.
type Config struct {
	// Name identifies the deployment in errors and logs, e.g. "bedrock".
	Name string
	// Region is the AWS region, e.g. "us-east-1". Empty: AWS_REGION, then
	// AWS_DEFAULT_REGION, then (with SigV4) the shared profile's region.
	// Required unless Endpoint and an API key are both set.
	Region string
	// Endpoint is the base URL of Bedrock Runtime, e.g. a VPC endpoint
	// "https://vpce-0123-abcd.bedrock-runtime.us-east-1.vpce.amazonaws.com"
	// or a proxy. Empty: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, then
	// AWS_ENDPOINT_URL (both ignored when
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), then
	// https://bedrock-runtime.{region}.amazonaws.com.
	Endpoint string
	// APIKey is a Bedrock API key, sent as `Authorization: Bearer <key>`
	// instead of a SigV4 signature. Empty: Credentials when set, else
	// AWS_BEARER_TOKEN_BEDROCK, else SigV4 with the default credentials
	// chain. A key is only sent over https, or plain http to a loopback
	// host.
	APIKey string
	// Credentials sign requests with SigV4 when no API key is used. Nil:
	// the AWS SDK's default chain (environment, shared profile and SSO,
	// web identity, ECS and EC2 roles), which reads the process
	// environment and files, not Getenv. Either way credentials are cached
	// and refreshed five minutes before they expire.
	Credentials aws.CredentialsProvider
	// Transport sends the requests. Nil: upstreamhttp.Default, shared by
	// every Client made without one.
	Transport http.RoundTripper
	// Getenv reads the region, endpoint and API key variables. Nil:
	// os.Getenv.
	Getenv func(string) string
	// MaxAttempts caps the attempts of one call, the first included:
	// throttling, 5xx answers and failed connections are retried with
	// exponential backoff and full jitter. Zero: DefaultMaxAttempts (3); 1
	// disables retries.
	MaxAttempts int
	// MaxRetryTime caps the time from the first attempt after which no
	// retry starts. Zero: DefaultMaxRetryTime (20s).
	MaxRetryTime time.Duration
	// Timeout caps a whole call, retries and the stream included. Zero: no
	// cap (the caller's context still applies).
	Timeout time.Duration
	// ResponseHeaderTimeout caps the wait for each attempt's response
	// headers. Zero: DefaultResponseHeaderTimeout; negative: no cap.
	ResponseHeaderTimeout time.Duration
	// StreamIdleTimeout caps the wait for each event of a stream; a stream
	// silent for longer ends with a 504. Zero: DefaultStreamIdleTimeout;
	// negative: no cap.
	StreamIdleTimeout time.Duration
	// Catalog supplies each model's default and maximum output tokens.
	// Nil: DefaultCatalog(). A model it does not know gets no maxTokens
	// unless the client sets one, leaving the model's own default.
	Catalog *Catalog
	// Guardrail, when set, applies a Bedrock guardrail to every chat
	// request (guardrailConfig).
	Guardrail *GuardrailConfig
	// RequestMetadata is sent with every chat request as requestMetadata,
	// which Bedrock records in its invocation logs, e.g. {"app": "chat"};
	// the client's user and metadata complete it without overriding it.
	RequestMetadata map[string]string
	// PromptCaching is the prompt-caching policy. Empty: CacheOnRequest
	// (cache points where the client's cache_control markers ask).
	PromptCaching CachePolicy
	// UnsupportedParams says what to do with a parameter Bedrock cannot
	// honour (logprobs, penalties...). Empty: ParamsReject (a 400).
	UnsupportedParams ParamPolicy
	// Profiles returns the cross-region inference profile that serves a
	// foundation model. When Bedrock refuses a bare model ID because the
	// model has no on-demand throughput, the request is retried once with
	// that profile, and later requests go to the profile directly. When it
	// is nil or knows no profile, the system-defined profile of the
	// region's geography is tried ("us." + model ID in us-east-1). The app
	// wires it to model discovery when that runs.
	Profiles func(modelID string) (profileID string, ok bool)
	// NoCrossRegion turns that retry off: a model Bedrock serves only
	// through a cross-region profile is then refused with Bedrock's own
	// error, since such a profile may run the request in another region
	// (ENABLE_CROSS_REGION_INFERENCE=false is often a data-residency
	// rule).
	NoCrossRegion bool
	// BaseModel returns the foundation model behind an ID the catalogue
	// cannot resolve by itself (an application inference profile ARN), for
	// its output limits. Nil: none.
	BaseModel func(modelID string) (string, bool)
	// Images downloads the http(s) image URLs of chat requests, which
	// are sent to Bedrock as bytes (see media_fetch.go). Nil: such URLs
	// are a 400 asking for a data URI.
	Images ImageFetcher
}

// Client calls Bedrock Runtime. It is safe for concurrent use.
type Client struct {
	cfg      Config
	t        transport
	profiles profileRoutes
}

// New returns a Client for cfg, or an error naming every invalid field.
// With SigV4 and no Credentials it runs the AWS SDK's default
// configuration chain, which may read files; credentials themselves are
// fetched on first use.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	c := &Client{cfg: cfg}
	if err := c.init(ctx); err != nil {
		return nil, fmt.Errorf("bedrock %s: %w", cfg.Name, err)
	}
	return c, nil
}

func (c *Client) init(ctx context.Context) error {
	cfg := &c.cfg
	var errs []error
	if cfg.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts %d must not be negative", cfg.MaxAttempts))
	}
	if cfg.MaxRetryTime < 0 || cfg.Timeout < 0 {
		errs = append(errs, errors.New("max retry time and timeout must not be negative"))
	}
	auth, region, err := resolveAuth(ctx, cfg)
	if err != nil {
		errs = append(errs, err)
	}
	base, err := resolveEndpoint(cfg.Endpoint, region, cfg.Getenv)
	if err != nil {
		errs = append(errs, err)
	}
	if _, bearer := auth.(*bearerAuth); bearer && base != nil {
		if err := checkBearerEndpoint(base); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	cfg.Region = region
	if !cfg.NoCrossRegion {
		c.profiles.find = chainProfiles(cfg.Profiles, geographyProfiles(region))
	}
	if cfg.Catalog == nil {
		cfg.Catalog = DefaultCatalog()
	}
	c.t = transport{
		name:          cfg.Name,
		base:          base,
		auth:          auth,
		rt:            cfg.Transport,
		retry:         newRetryPolicy(orDefault(cfg.MaxAttempts, DefaultMaxAttempts), orDefault(cfg.MaxRetryTime, DefaultMaxRetryTime)),
		timeout:       cfg.Timeout,
		headerTimeout: limit(cfg.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		idleTimeout:   limit(cfg.StreamIdleTimeout, DefaultStreamIdleTimeout),
	}
	if c.t.rt == nil {
		c.t.rt = upstreamhttp.Default()
	}
	c.t.initLimits()
	return nil
}

// resolveAuth picks the authentication, in order: the configured API key,
// the configured credentials, AWS_BEARER_TOKEN_BEDROCK, the default
// credentials chain. It returns the region too, which the chain may
// supply.
func resolveAuth(ctx context.Context, cfg *Config) (authenticator, string, error) {
	region := resolveRegion(cfg.Region, cfg.Getenv)
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" && cfg.Credentials == nil {
		key = strings.TrimSpace(cfg.Getenv(EnvBearerToken))
	}
	if key != "" {
		// The region only names the default endpoint (resolveEndpoint
		// says when it is missing).
		return newBearerAuth(key), region, nil
	}
	creds := cfg.Credentials
	if creds == nil || region == "" {
		awsCfg, err := loadDefaultConfig(ctx, region)
		if err != nil {
			return nil, region, err
		}
		if creds == nil {
			creds = awsCfg.Credentials
		}
		if region == "" {
			region = awsCfg.Region
		}
	}
	if creds == nil {
		return nil, region, errors.New("no AWS credentials provider")
	}
	if region == "" {
		return nil, "", errors.New("region is required for SigV4 (set it, or AWS_REGION)")
	}
	return newSigV4Auth(creds, region), region, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// limit applies a timeout's convention: zero is the default, negative is
// none (returned as zero).
func limit(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Name returns the configured name.
func (c *Client) Name() string { return c.cfg.Name }

// Region returns the region requests are signed for.
func (c *Client) Region() string { return c.cfg.Region }

// Endpoint returns the base URL requests go to.
func (c *Client) Endpoint() string { return c.t.base.String() }

// Response is a Bedrock answer read whole.
type Response struct {
	// Body is the response body: JSON for Converse and CountTokens, the
	// model's native bytes for InvokeModel.
	Body []byte
	// Header holds the response headers (InvokeModel returns token counts
	// in X-Amzn-Bedrock-Input-Token-Count and friends).
	Header http.Header
	// RequestID is Bedrock's request ID (x-amzn-RequestId).
	RequestID string
}

// errStreamingOp and errNotStreamingOp reject the wrong method for an
// operation.
var (
	errStreamingOp    = errors.New("streaming operation: use Stream")
	errNotStreamingOp = errors.New("not a streaming operation: use Call")
)

func isStreaming(op Operation) bool { return op == OpConverseStream || op == OpInvokeStream }

// Call sends body to op on modelID and returns the answer, retrying
// throttling and server errors. modelID is a model ID, an inference
// profile ID or an ARN. Failures are *provider.UpstreamError values whose
// Cause is an *APIError when Bedrock answered.
func (c *Client) Call(ctx context.Context, op Operation, modelID string, body []byte) (*Response, error) {
	if isStreaming(op) {
		return nil, c.t.wrap(errStreamingOp)
	}
	return c.call(ctx, &outRequest{op: op, modelID: modelID, body: body, hash: c.t.auth.prepare(body)})
}

// call is Call for a prepared request.
func (c *Client) call(ctx context.Context, r *outRequest) (*Response, error) {
	cl := c.t.newCall(ctx)
	resp, err := c.t.send(cl, r)
	if err != nil {
		return nil, err
	}
	defer cl.release()
	defer resp.Body.Close()
	data, err := readBody(resp.Body, resp.ContentLength, maxBody)
	if errors.Is(err, errTooLarge) {
		return nil, c.t.wrap(&provider.UpstreamError{
			Status: http.StatusBadGateway,
			Err:    &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "the upstream's answer is too large"},
			Cause:  err,
		})
	}
	if err != nil {
		return nil, c.t.fail(cl, err)
	}
	return &Response{Body: data, Header: resp.Header, RequestID: resp.Header.Get("X-Amzn-RequestId")}, nil
}

// Stream sends body to a streaming op on modelID and returns the event
// stream once Bedrock accepted it (status 200) and its first frame
// arrived. Failures before that are retried like Call's and returned
// here, and so is a retryable exception in place of the first event
// (Bedrock may answer 200 and then throttle): nothing has reached the
// client yet. Later failures come from Recv and are never retried, since
// events may have reached the client.
func (c *Client) Stream(ctx context.Context, op Operation, modelID string, body []byte) (*EventStream, error) {
	if !isStreaming(op) {
		return nil, c.t.wrap(errNotStreamingOp)
	}
	return c.stream(ctx, &outRequest{op: op, modelID: modelID, body: body, hash: c.t.auth.prepare(body), stream: true})
}

// stream is Stream for a prepared request.
func (c *Client) stream(ctx context.Context, r *outRequest) (*EventStream, error) {
	start := c.t.retry.now()
	deadline, _ := ctx.Deadline()
	for attempt := 1; ; attempt++ {
		cl := c.t.newCall(ctx)
		resp, err := c.t.send(cl, r) //nolint:bodyclose // the EventStream owns the body and closes it
		if err != nil {
			return nil, err
		}
		es := newEventStream(&c.t, cl, resp)
		err = es.peek()
		cause, retry := firstFrameRetry(err)
		if !retry {
			return es, nil // an event, or a final failure Recv returns
		}
		wait, ok := c.t.retry.wait(attempt, c.t.retry.now().Sub(start), 0, deadline)
		if !ok {
			return es, nil
		}
		provider.RecordRetry(ctx, provider.Retry{Attempt: attempt, Cause: cause, Wait: wait})
		if err := c.t.retry.sleep(ctx, wait); err != nil {
			return nil, c.t.fail(cl, err)
		}
	}
}

// firstFrameRetry reports whether a stream whose first frame failed with
// err is worth opening again: an exception frame Bedrock marks retryable
// (throttling, service unavailable, internal error, model not ready),
// the same codes an HTTP answer is retried on.
func firstFrameRetry(err error) (cause string, retry bool) {
	var api *APIError
	if err == nil || !errors.As(err, &api) {
		return "", false
	}
	cls, ok := classify(api.Code)
	return api.Code + " (first event)", ok && cls.retry
}

// Interface guard.
var _ provider.Provider = (*Client)(nil)

// ChatCompletion serves a chat request with Converse. The request's Model
// is the Bedrock model ID (the router rewrote it); the answer carries the
// name the client used (ClientModel).
func (c *Client) ChatCompletion(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error) {
	req, err := c.fetchImages(ctx, req)
	if err != nil {
		return nil, err
	}
	body, err := c.converseBody(req)
	if err != nil {
		return nil, err
	}
	resp, err := callWithProfile(ctx, &c.profiles, req.Model, func(ctx context.Context, id string) (*Response, error) {
		return c.Call(ctx, OpConverse, id, body)
	})
	if err != nil {
		return nil, err
	}
	provider.RecordRequestID(ctx, resp.RequestID)
	var cr ConverseResponse
	if !cr.decodeFast(resp.Body) {
		cr = ConverseResponse{}
		if err := json.Unmarshal(resp.Body, &cr); err != nil {
			return nil, c.t.wrap(badAnswer(err, resp.RequestID))
		}
	}
	out, err := FromConverse(&cr, c.meta(req))
	if err != nil {
		return nil, c.t.wrap(badAnswer(err, resp.RequestID))
	}
	return out, nil
}

// ChatCompletionStream serves a chat request with ConverseStream. It
// returns once Bedrock accepted the request; the events are translated as
// they are read.
func (c *Client) ChatCompletionStream(ctx context.Context, req *openai.ChatCompletionRequest) (provider.ChatStream, error) {
	req, err := c.fetchImages(ctx, req)
	if err != nil {
		return nil, err
	}
	body, err := c.converseBody(req)
	if err != nil {
		return nil, err
	}
	es, err := callWithProfile(ctx, &c.profiles, req.Model, func(ctx context.Context, id string) (*EventStream, error) {
		return c.Stream(ctx, OpConverseStream, id, body)
	})
	if err != nil {
		return nil, err
	}
	provider.RecordRequestID(ctx, es.RequestID())
	return &chatStream{es: es, tr: NewStreamTranslator(c.meta(req)), name: c.cfg.Name}, nil
}

// converseBody translates req into a Converse body. A request Bedrock
// cannot serve is the client's *openai.Error (400), returned as is.
func (c *Client) converseBody(req *openai.ChatCompletionRequest) ([]byte, error) {
	conv, err := ToConverse(req, c.requestOptions(req))
	if err != nil {
		return nil, err
	}
	body, err := marshalConverse(conv)
	if err != nil {
		return nil, c.t.wrap(fmt.Errorf("encode converse request: %w", err))
	}
	return body, nil
}

// DefaultMaxTokens is the output cap sent to Bedrock for model when a
// request sets none, so that the gateway's budget reservation for such a
// request is the cap the answer really has (access.OutputCapper).
func (c *Client) DefaultMaxTokens(model string) int {
	return c.requestOptions(&openai.ChatCompletionRequest{Model: model}).DefaultMaxTokens
}

// requestOptions is what translating req needs beyond it: the model's
// catalogue entry and the deployment's settings.
func (c *Client) requestOptions(req *openai.ChatCompletionRequest) RequestOptions {
	info, ok := c.cfg.Catalog.Lookup(req.Model)
	if !ok && c.cfg.BaseModel != nil {
		if base, found := c.cfg.BaseModel(req.Model); found {
			info, _ = c.cfg.Catalog.Lookup(base)
		}
	}
	opts := RequestOptions{
		DefaultMaxTokens: info.DefaultMaxTokens,
		MaxOutputTokens:  info.MaxOutputTokens,
		Guardrail:        c.cfg.Guardrail,
		RequestMetadata:  c.cfg.RequestMetadata,
		Model:            info,

		PromptCaching:     c.cfg.PromptCaching,
		UnsupportedParams: c.cfg.UnsupportedParams,
	}
	if op := req.Operator; op != nil {
		opts.Guardrail, opts.RequestMetadata = operatorSettings(op, opts.Guardrail, opts.RequestMetadata)
	}
	return opts
}

// operatorSettings applies a virtual key's settings: its guardrail
// replaces the deployment's (keeping the deployment's trace and stream
// mode), and its metadata joins the deployment's, whose pairs win; the
// client's come after both (requestMetadata).
func operatorSettings(op *openai.Operator, g *GuardrailConfig, md map[string]string) (*GuardrailConfig, map[string]string) {
	if op.GuardrailID != "" {
		ng := GuardrailConfig{GuardrailIdentifier: op.GuardrailID, GuardrailVersion: op.GuardrailVersion}
		if g != nil {
			ng.Trace, ng.StreamProcessingMode = g.Trace, g.StreamProcessingMode
		}
		g = &ng
	}
	if len(op.Metadata) > 0 {
		out := make(map[string]string, len(md)+len(op.Metadata))
		keys := make([]string, 0, len(op.Metadata))
		for k := range op.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if len(out) < maxMetadataPairs {
				if mk := metadataString(k); mk != "" {
					out[mk] = metadataString(op.Metadata[k])
				}
			}
		}
		for k, v := range md {
			out[k] = v
		}
		md = out
	}
	return g, md
}

// meta is what the answer carries that Bedrock does not send, and how the
// request was translated (see ResponseMeta.ForRequest).
func (c *Client) meta(req *openai.ChatCompletionRequest) ResponseMeta {
	model := req.ClientModel
	if model == "" {
		model = req.Model
	}
	m := ResponseMeta{ID: "chatcmpl-" + rand.Text(), Created: time.Now().Unix(), Model: model}
	return m.ForRequest(req, c.requestOptions(req))
}

// badAnswer is the 502 for an answer that does not parse.
func badAnswer(err error, requestID string) *provider.UpstreamError {
	return &provider.UpstreamError{
		Status:    http.StatusBadGateway,
		Err:       &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "the upstream sent an answer that could not be read"},
		RequestID: requestID,
		Cause:     err,
	}
}

// chatStream translates a ConverseStream's events into chunks. One event
// may give several chunks (the role chunk before the first content); they
// are handed out one per Recv.
type chatStream struct {
	es      *EventStream
	tr      *StreamTranslator
	name    string
	pending []*openai.ChatCompletionChunk
	// stopped is set at messageStop: the answer is complete, and the end
	// of the body is the end of the stream. An end before it is a 502.
	stopped bool
	err     error
}

// Recv returns the next chunk, io.EOF after the last.
func (s *chatStream) Recv() (*openai.ChatCompletionChunk, error) {
	for len(s.pending) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		ev, err := s.es.Recv()
		if err != nil {
			s.err = s.end(err)
			return nil, s.err
		}
		if ev.Type == EventMessageStop {
			s.stopped = true
		}
		if s.pending, err = s.tr.Translate(ev); err != nil {
			s.err = fmt.Errorf("bedrock %s: %w", s.name, badAnswer(err, s.es.RequestID()))
			_ = s.es.Close()
			return nil, s.err
		}
	}
	ch := s.pending[0]
	s.pending = s.pending[1:]
	return ch, nil
}

// end classifies the end of the event stream.
func (s *chatStream) end(err error) error {
	if !errors.Is(err, io.EOF) || s.stopped {
		return err
	}
	return fmt.Errorf("bedrock %s: %w", s.name, &provider.UpstreamError{
		Status:    http.StatusBadGateway,
		Err:       &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "the upstream ended the stream before the answer was complete"},
		RequestID: s.es.RequestID(),
		Cause:     errors.New("event stream ended before messageStop"),
	})
}

// Close releases the stream; see EventStream.Close.
func (s *chatStream) Close() error { return s.es.Close() }
