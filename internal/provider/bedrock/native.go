package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// Interface guard.
var _ provider.Passthrough = (*Client)(nil)

// maxInvokeBody is InvokeModel's body limit: the service model's Body
// shape allows 25,000,000 bytes (wire.md §1.2).
const maxInvokeBody = 25_000_000

// The guardrail bindings of InvokeModel and InvokeModelWithResponseStream
// (service model members guardrailIdentifier, guardrailVersion and trace;
// wire.md §1.2).
const (
	headerGuardrailID      = "X-Amzn-Bedrock-GuardrailIdentifier"
	headerGuardrailVersion = "X-Amzn-Bedrock-GuardrailVersion"
	headerTrace            = "X-Amzn-Bedrock-Trace"
)

// Invoke sends a model-native body to InvokeModel unchanged and reads the
// answer's text in the model family's format (see NativeFormatsOf), with
// retries, error classification and the inference-profile retry of
// ChatCompletion. An answer in no known format is returned with an empty
// Text and Format, and Raw set, so that the caller can still relay it.
// Usage comes from the body when its format has it, else from Bedrock's
// token-count headers.
func (c *Client) Invoke(ctx context.Context, req *provider.NativeRequest) (*provider.NativeAnswer, error) {
	r, err := c.nativeRequest(req, OpInvoke)
	if err != nil {
		return nil, err
	}
	resp, err := callWithProfile(ctx, &c.profiles, req.Model, func(ctx context.Context, id string) (*Response, error) {
		return c.call(ctx, r.to(id))
	})
	if err != nil {
		return nil, err
	}
	provider.RecordRequestID(ctx, resp.RequestID)
	out := &provider.NativeAnswer{Raw: resp.Body, RequestID: resp.RequestID}
	nt, err := DecodeNativeAnswer(c.nativeModel(req.Model), resp.Body)
	switch {
	case errors.Is(err, ErrUnknownFormat):
		// Raw is the answer; the empty Format says Text was not read.
	case err != nil:
		return nil, c.t.wrap(badAnswer(err, resp.RequestID))
	default:
		out.Text, out.Format, out.StopReason = nt.Text, string(nt.Format), nt.StopReason
	}
	u := nt.Usage
	if u == nil {
		u = headerUsage(resp.Header)
	}
	if u != nil {
		out.Usage = ToUsage(*u)
	}
	return out, nil
}

// InvokeStream sends a model-native body to InvokeModelWithResponseStream
// unchanged. It returns once Bedrock accepted the request and sent its
// first event (a retryable exception in its place is retried, as for
// ChatCompletionStream); the chunks' text is read as they arrive (see
// NativeStreamDecoder).
func (c *Client) InvokeStream(ctx context.Context, req *provider.NativeRequest) (provider.NativeStream, error) {
	r, err := c.nativeRequest(req, OpInvokeStream)
	if err != nil {
		return nil, err
	}
	es, err := callWithProfile(ctx, &c.profiles, req.Model, func(ctx context.Context, id string) (*EventStream, error) {
		return c.stream(ctx, r.to(id))
	})
	if err != nil {
		return nil, err
	}
	provider.RecordRequestID(ctx, es.RequestID())
	return &nativeStream{es: es, dec: NewNativeStreamDecoder(), name: c.cfg.Name}, nil
}

// nativeRequest checks req and prepares what every attempt sends; the
// model ID is set per target (see outRequest.to). A request that cannot be
// sent is the client's 400 *openai.Error. The body is never logged nor
// put in an error: it is the client's prompt.
func (c *Client) nativeRequest(req *provider.NativeRequest, op Operation) (*outRequest, error) {
	if req.Model == "" {
		return nil, openai.Errorf("model", "Missing required parameter: 'model'.")
	}
	if err := checkNativeBody(req.Body); err != nil {
		return nil, err
	}
	h, err := c.nativeGuardrail(req)
	if err != nil {
		return nil, err
	}
	return &outRequest{op: op, body: req.Body, hash: c.t.auth.prepare(req.Body), stream: op == OpInvokeStream, header: h}, nil
}

// to returns a copy of r for modelID.
func (r outRequest) to(modelID string) *outRequest {
	r.modelID = modelID
	return &r
}

// checkNativeBody refuses a body that is not one JSON object, which every
// model family's request is, and one over Bedrock's limit.
func checkNativeBody(body []byte) error {
	if len(body) > maxInvokeBody {
		return openai.Errorf("payload", "Invalid 'payload': Bedrock takes at most %d bytes, got %d.", maxInvokeBody, len(body))
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(body) {
		return openai.Errorf("payload", "Invalid 'payload': expected a JSON object, the model's native request body.")
	}
	return nil
}

// nativeGuardrail returns the guardrail headers of req: the request's
// guardrail when it names one, else the deployment's (Config.Guardrail),
// with the request's trace over the configured one. The configured
// stream processing mode has no header: InvokeModelWithResponseStream
// takes it in the body's amazon-bedrock-guardrailConfig, which is the
// caller's to write since the body is sent unchanged
// (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-invoke.html).
func (c *Client) nativeGuardrail(req *provider.NativeRequest) (http.Header, error) {
	var g GuardrailConfig
	if c.cfg.Guardrail != nil {
		g = *c.cfg.Guardrail
	}
	if req.GuardrailID != "" || req.GuardrailVersion != "" {
		g.GuardrailIdentifier, g.GuardrailVersion = req.GuardrailID, req.GuardrailVersion
	}
	if req.GuardrailTrace != "" {
		g.Trace = strings.ToLower(req.GuardrailTrace)
	}
	g.StreamProcessingMode = "" // not sent here; see above
	switch {
	case g.GuardrailIdentifier == "" && g.GuardrailVersion == "":
		return nil, nil // no guardrail, and no trace to ask for
	case g.GuardrailIdentifier == "":
		return nil, openai.Errorf("guardrail.guardrailIdentifier", "Invalid guardrail: a version without an identifier.")
	case g.GuardrailVersion == "":
		return nil, openai.Errorf("guardrail.guardrailVersion", "Invalid guardrail: the identifier needs a version (a number or \"DRAFT\").")
	}
	problems := guardrailProblems(g)
	for _, f := range []string{"guardrailIdentifier", "guardrailVersion", "trace"} {
		if why, bad := problems[f]; bad {
			return nil, openai.Errorf("guardrail."+f, "Invalid guardrail %s: %s.", f, why)
		}
	}
	h := http.Header{}
	h.Set(headerGuardrailID, g.GuardrailIdentifier)
	h.Set(headerGuardrailVersion, g.GuardrailVersion)
	if g.Trace != "" {
		// The header takes the service model's Trace enum, upper case:
		// ENABLED, DISABLED, ENABLED_FULL.
		h.Set(headerTrace, strings.ToUpper(g.Trace))
	}
	return h, nil
}

// nativeModel is the model ID whose family names the answer's format:
// modelID, or the foundation model behind it when only Config.BaseModel
// knows it (an application inference profile ARN).
func (c *Client) nativeModel(modelID string) string {
	if _, ok := NativeFormatsOf(modelID); ok || c.cfg.BaseModel == nil {
		return modelID
	}
	if base, ok := c.cfg.BaseModel(modelID); ok {
		return base
	}
	return modelID
}
