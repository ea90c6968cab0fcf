package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// nativeChatRequest is the body of POST /chat.
type nativeChatRequest struct {
	// Mode is "chat" (the default) or "embed".
	Mode string `json:"mode"`
	// Model is the model name; default Native.ChatModel or EmbeddingModel.
	Model string `json:"model"`
	// Payload is the model-native body of chat mode, and the embedding
	// parameters of embed mode (dimensions, input_type...).
	Payload json.RawMessage `json:"payload"`
	// Stream asks chat mode for NDJSON.
	Stream bool `json:"stream"`
	// Text is what embed mode embeds.
	Text *string `json:"text"`
}

// nativeAnswer is the body of a non-streaming chat-mode answer.
type nativeAnswer struct {
	Answer     string        `json:"answer"`
	Usage      *openai.Usage `json:"usage"`
	Model      string        `json:"model"`
	StopReason string        `json:"stop_reason,omitempty"`
	// Raw is the model's own answer, for bodies whose text the gateway
	// cannot read (an unknown family, a tool call).
	Raw json.RawMessage `json:"raw,omitempty"`
}

// nativeLine is one NDJSON line of a streamed chat-mode answer.
type nativeLine struct {
	Text       string          `json:"text"`
	IsFinal    bool            `json:"is_final"`
	Usage      *openai.Usage   `json:"usage,omitempty"`
	Model      string          `json:"model,omitempty"`
	StopReason string          `json:"stop_reason,omitempty"`
	Error      json.RawMessage `json:"error,omitempty"`
}

// nativeChat serves POST /chat.
func (s *Server) nativeChat(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req nativeChatRequest
	if err := decodeNative(body, &req); err != nil {
		return err
	}
	switch req.Mode {
	case "", "chat":
		return s.nativeInvoke(w, r, &req)
	case "embed":
		return s.nativeEmbed(w, r, &req)
	}
	return paramError("mode", "invalid_value", "Invalid 'mode': %q is not one of \"chat\" or \"embed\".", req.Mode)
}

// nativeInvoke serves chat mode: the payload goes to the model unchanged.
func (s *Server) nativeInvoke(w http.ResponseWriter, r *http.Request, req *nativeChatRequest) error {
	if len(req.Payload) == 0 || string(req.Payload) == "null" {
		return paramError("payload", "missing_required_parameter", "Missing required parameter: 'payload' (the model-native request body).")
	}
	if req.Payload[0] != '{' {
		return paramError("payload", "invalid_type", "Invalid type for 'payload': expected an object (the model-native request body).")
	}
	model := req.Model
	if model == "" {
		model = s.native.ChatModel
	}
	if model == "" {
		return paramError("model", "missing_required_parameter", "Missing required parameter: 'model' (no native.chat_model is configured).")
	}
	ctx := r.Context()
	sc := middleware.ScopeFrom(ctx)
	sc.Model, sc.Stream = model, req.Stream
	rt, err := s.strictModel(r, "model", model)
	if err != nil {
		return err
	}
	if err := s.admitOne(ctx, w, model, rt, access.EstimateNative(req.Payload)); err != nil {
		return err
	}
	nreq := &provider.NativeRequest{Body: req.Payload}
	if k := sc.Principal; k != nil && k.Key != nil && k.Key.GuardrailID != "" {
		nreq.GuardrailID, nreq.GuardrailVersion = k.Key.GuardrailID, k.Key.GuardrailVersion
	}
	if req.Stream {
		st, out, err := provider.InvokeStream(ctx, rt, nreq)
		noteOutcome(w, sc, out)
		if err != nil {
			return err
		}
		return s.writeNDJSON(w, r, st, model)
	}
	ans, out, err := provider.Invoke(ctx, rt, nreq)
	noteOutcome(w, sc, out)
	if err != nil {
		return err
	}
	sc.Usage = ans.Usage
	resp := nativeAnswer{Answer: ans.Text, Usage: ans.Usage, Model: model, StopReason: ans.StopReason}
	if ans.Format == "" || ans.Text == "" {
		// An unknown body shape, or an answer without text (a tool call):
		// the model's own answer is the only one.
		resp.Raw = ans.Raw
	}
	return writeJSON(w, resp)
}

// admitOne applies the gate to a request for one model.
func (s *Server) admitOne(ctx context.Context, w http.ResponseWriter, model string, rt *provider.Route, est access.Estimate) error {
	if s.gate == nil {
		return nil
	}
	return s.gate.Admit(ctx, w.Header(), access.Admission{Model: model, Route: rt, Estimate: est})
}

// writeNDJSON writes a native stream as NDJSON: one flushed line per
// chunk, then a final line with usage. A failure after the first line is
// a final line with the error's body; a client that goes away cancels the
// upstream call through the request context.
func (s *Server) writeNDJSON(w http.ResponseWriter, r *http.Request, st provider.NativeStream, model string) error {
	defer st.Close()
	sc := middleware.ScopeFrom(r.Context())
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	write := func(l nativeLine) bool {
		b, err := json.Marshal(l)
		if err == nil {
			b = append(b, '\n')
			if _, err = w.Write(b); err == nil {
				err = rc.Flush()
			}
		}
		if err != nil {
			sc.ClientGone = true
			return false
		}
		return true
	}
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			// A stream that ends without its final chunk still ends with
			// a final line, so a reader never waits for one.
			write(nativeLine{IsFinal: true, Model: model})
			return nil
		}
		if err != nil {
			status, body, _ := classify(r.Context(), err, sc.RequestID)
			sc.Err = err
			if status == middleware.StatusClientClosed {
				sc.ClientGone = true
				return nil
			}
			l := nativeLine{IsFinal: true, Model: model}
			if m, ok, _ := jsonx.Find(body, "error"); ok {
				l.Error = m.Value(body)
			}
			write(l)
			return nil
		}
		if c.Final {
			sc.Usage = c.Usage
			write(nativeLine{IsFinal: true, Usage: c.Usage, Model: model, StopReason: c.StopReason})
			return nil
		}
		if sc.TTFT == 0 {
			sc.TTFT = time.Since(sc.Start)
		}
		if !write(nativeLine{Text: c.Text}) {
			return nil
		}
	}
}

// nativeEmbed serves embed mode: text embedded with the embedding model,
// through the cache.
func (s *Server) nativeEmbed(w http.ResponseWriter, r *http.Request, req *nativeChatRequest) error {
	if req.Text == nil {
		return paramError("text", "missing_required_parameter", "Missing required parameter: 'text' (what embed mode embeds).")
	}
	if *req.Text == "" {
		return paramError("text", "invalid_value", "Invalid 'text': it must not be empty.")
	}
	if req.Stream {
		return paramError("stream", "invalid_value", "Embed mode does not stream.")
	}
	model := req.Model
	if model == "" {
		model = s.native.EmbeddingModel
	}
	if model == "" {
		return paramError("model", "missing_required_parameter", "Missing required parameter: 'model' (no native.embedding_model is configured).")
	}
	// The payload's parameters and the text make an embeddings request,
	// so that they are checked as /v1/embeddings checks them.
	params := []byte(`{}`)
	if len(req.Payload) > 0 && string(req.Payload) != "null" {
		if req.Payload[0] != '{' {
			return paramError("payload", "invalid_type", "Invalid type for 'payload': expected an object (embedding parameters such as dimensions).")
		}
		params = req.Payload
	}
	mb, _ := json.Marshal(model)
	tb, _ := json.Marshal(*req.Text)
	ebody, err := jsonx.Set(params, "model", mb)
	if err == nil {
		ebody, err = jsonx.Set(ebody, "input", tb)
	}
	if err != nil {
		return paramError("payload", "invalid_json", "Invalid 'payload': %v.", err)
	}
	ereq, err := openai.DecodeEmbeddingRequest(ebody)
	if err != nil {
		return err
	}
	if ereq.EncodingFormat == "base64" {
		return paramError("payload.encoding_format", "invalid_value", "Embed mode returns floats; leave 'encoding_format' unset.")
	}
	ctx := r.Context()
	sc := middleware.ScopeFrom(ctx)
	sc.Model = model
	rt, err := s.strictModel(r, "model", model)
	if err != nil {
		return err
	}
	if err := s.admitOne(ctx, w, model, rt, access.EstimateEmbedding(ereq)); err != nil {
		return err
	}
	emb, err := s.embed(ctx, rt, ereq)
	if emb != nil {
		noteOutcome(w, sc, emb.Outcome)
	}
	if err != nil {
		return err
	}
	sc.Usage = emb.Usage
	if len(emb.Vectors) != 1 {
		return &provider.UpstreamError{Status: http.StatusBadGateway, Err: &openai.Error{
			Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "The upstream returned no embedding.",
		}}
	}
	v := emb.Vectors[0]
	return writeJSON(w, struct {
		Embedding  []float32     `json:"embedding"`
		Dimensions int           `json:"dimensions"`
		Model      string        `json:"model"`
		Usage      *openai.Usage `json:"usage,omitempty"`
	}{v, len(v), model, emb.Usage})
}

// embed embeds req's strings through the Embedder, or with the route's
// model directly when there is none.
func (s *Server) embed(ctx context.Context, rt *provider.Route, req *openai.EmbeddingRequest) (*Embedded, error) {
	if s.native != nil && s.native.Embedder != nil {
		return s.native.Embedder.Embed(ctx, rt, req)
	}
	return EmbedDirect(ctx, rt, req)
}

// EmbedDirect embeds req with the route's model, uncached.
func EmbedDirect(ctx context.Context, rt *provider.Route, req *openai.EmbeddingRequest) (*Embedded, error) {
	resp, out, err := provider.Embeddings(ctx, rt, req)
	if err != nil {
		return &Embedded{Outcome: out}, err
	}
	vecs, err := embeddingVectors(resp)
	if err != nil {
		return &Embedded{Outcome: out}, err
	}
	return &Embedded{Vectors: vecs, Usage: resp.Usage, Outcome: out}, nil
}

// embeddingVectors reads the vectors of an embeddings response, typed or
// relayed (Raw, floats or base64), in input order.
func embeddingVectors(resp *openai.EmbeddingResponse) ([][]float32, error) {
	if resp.Raw == nil {
		out := make([][]float32, len(resp.Data))
		for _, e := range resp.Data {
			if e.Index < 0 || e.Index >= len(out) || e.Vector == nil {
				return nil, badUpstream("The upstream's embeddings are out of order or empty.")
			}
			out[e.Index] = e.Vector
		}
		return out, nil
	}
	var doc struct {
		Data []struct {
			Index     int             `json:"index"`
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.Raw, &doc); err != nil {
		return nil, badUpstream("The upstream's embeddings could not be read.")
	}
	out := make([][]float32, len(doc.Data))
	for _, e := range doc.Data {
		if e.Index < 0 || e.Index >= len(out) {
			return nil, badUpstream("The upstream's embeddings are out of order.")
		}
		var v []float32
		var b64 string
		if err := json.Unmarshal(e.Embedding, &v); err != nil {
			if json.Unmarshal(e.Embedding, &b64) != nil {
				return nil, badUpstream("The upstream's embeddings could not be read.")
			}
			if v, err = openai.DecodeBase64Vector(b64); err != nil {
				return nil, badUpstream("The upstream's embeddings could not be read.")
			}
		}
		if len(v) == 0 {
			return nil, badUpstream("The upstream returned an empty embedding.")
		}
		out[e.Index] = v
	}
	return out, nil
}

func badUpstream(msg string) error {
	return &provider.UpstreamError{Status: http.StatusBadGateway, Err: &openai.Error{
		Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: msg,
	}}
}
