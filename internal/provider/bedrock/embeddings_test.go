package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// embedEmulator is an emulator that also serves Cohere Embed v4 and Nova
// embeddings.
func embedEmulator(t *testing.T, opts ...bedrocktest.Option) *bedrocktest.Server {
	t.Helper()
	models := append(bedrocktest.DefaultModels(), bedrocktest.ExtraEmbeddingModels()...)
	return bedrocktest.New(t, append([]bedrocktest.Option{bedrocktest.WithModels(models...)}, opts...)...)
}

// embedRequest is an embeddings request as the router passes it on.
func embedRequest(t *testing.T, body string) *openai.EmbeddingRequest {
	t.Helper()
	req, err := openai.DecodeEmbeddingRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ClientModel = "public-name"
	return req
}

// wantClientError checks that err is the client's 400 naming param.
func wantClientError(t *testing.T, err error, param string) {
	t.Helper()
	var oe *openai.Error
	if !errors.As(err, &oe) {
		t.Fatalf("got %v, want a 400 *openai.Error", err)
	}
	if oe.Status != http.StatusBadRequest || oe.Param != param {
		t.Errorf("got status %d param %q (%s), want 400 naming %q", oe.Status, oe.Param, oe.Message, param)
	}
}

// embeddingVector returns an embedding's vector, decoding base64.
func embeddingVector(t *testing.T, e openai.Embedding) []float32 {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		Embedding json.RawMessage `json:"embedding"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	var s string
	if json.Unmarshal(wire.Embedding, &s) == nil {
		v, err := openai.DecodeBase64Vector(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var v []float32
	if err := json.Unmarshal(wire.Embedding, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEmbeddingsEndToEnd(t *testing.T) {
	srv := embedEmulator(t)
	c, _ := emulatorClient(t, srv, Config{})
	inputs := []string{"hello world", "a second longer input"}
	tests := []struct {
		model string
		extra string
		dims  int
		// batched models take all inputs in one call.
		batched bool
	}{
		{model: "amazon.titan-embed-text-v1", dims: bedrocktest.TitanV1Dims},
		{model: "amazon.titan-embed-text-v2:0", extra: `,"dimensions":256`, dims: 256},
		{model: "cohere.embed-english-v3", dims: bedrocktest.CohereV3Dims, batched: true},
		{model: "cohere.embed-multilingual-v3", extra: `,"input_type":"search_query"`, dims: bedrocktest.CohereV3Dims, batched: true},
		{model: bedrocktest.CohereEmbedV4ID, extra: `,"dimensions":512`, dims: 512, batched: true},
		{model: bedrocktest.NovaEmbeddingsID, extra: `,"dimensions":384`, dims: 384},
	}
	for _, tt := range tests {
		for _, format := range []string{"float", "base64"} {
			t.Run(tt.model+"/"+format, func(t *testing.T) {
				in, _ := json.Marshal(inputs)
				req := embedRequest(t, fmt.Sprintf(`{"model":%q,"input":%s,"encoding_format":%q%s}`, tt.model, in, format, tt.extra))
				got, err := c.Embeddings(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if got.Object != openai.ObjectList || got.Model != "public-name" || len(got.Data) != len(inputs) {
					t.Fatalf("got object %q model %q with %d vectors, want list, public-name, %d", got.Object, got.Model, len(got.Data), len(inputs))
				}
				for i, e := range got.Data {
					want := bedrocktest.Embedding(tt.model, inputs[i], tt.dims, true)
					if e.Index != i || e.Base64 != (format == "base64") {
						t.Errorf("data[%d]: got index %d base64 %v", i, e.Index, e.Base64)
					}
					if diff := cmp.Diff(want, embeddingVector(t, e)); diff != "" {
						t.Errorf("data[%d] vector mismatch (-want +got):\n%s", i, diff)
					}
				}
				want := bedrocktest.Tokens(inputs[0]) + bedrocktest.Tokens(inputs[1])
				if got.Usage == nil || got.Usage.PromptTokens != want || got.Usage.TotalTokens != want {
					t.Errorf("got usage %+v, want %d prompt and total tokens", got.Usage, want)
				}
			})
		}
	}
}

func TestEmbeddingsCohereBatches(t *testing.T) {
	srv := embedEmulator(t)
	c, _ := emulatorClient(t, srv, Config{})
	const model = "cohere.embed-english-v3"
	inputs := make([]string, 200)
	for i := range inputs {
		inputs[i] = fmt.Sprintf("text number %d", i)
	}
	in, _ := json.Marshal(inputs)
	got, err := c.Embeddings(context.Background(), embedRequest(t, fmt.Sprintf(`{"model":%q,"input":%s}`, model, in)))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	var sent []string
	for _, r := range srv.Requests() {
		var body cohereEmbedRequest
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(body.Texts))
		sent = append(sent, body.Texts...)
	}
	slices.Sort(sizes)
	if diff := cmp.Diff([]int{8, 96, 96}, sizes); diff != "" {
		t.Errorf("batch sizes mismatch (-want +got):\n%s", diff)
	}
	slices.Sort(sent)
	if want := slices.Sorted(slices.Values(inputs)); !slices.Equal(sent, want) {
		t.Errorf("the batches did not send every input once")
	}
	if len(got.Data) != len(inputs) {
		t.Fatalf("got %d vectors, want %d", len(got.Data), len(inputs))
	}
	for i, e := range got.Data {
		if e.Index != i || !slices.Equal(e.Vector, bedrocktest.Embedding(model, inputs[i], bedrocktest.CohereV3Dims, true)) {
			t.Fatalf("data[%d] (index %d) is not input %d's vector: order lost", i, e.Index, i)
		}
	}
}

// inflightTransport counts the requests in flight and keeps the most seen.
type inflightTransport struct {
	rt       http.RoundTripper
	mu       sync.Mutex
	now, max int
}

func (tr *inflightTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr.mu.Lock()
	tr.now++
	tr.max = max(tr.max, tr.now)
	tr.mu.Unlock()
	defer func() {
		tr.mu.Lock()
		tr.now--
		tr.mu.Unlock()
	}()
	return tr.rt.RoundTrip(r)
}

func TestEmbeddingsConcurrencyBound(t *testing.T) {
	// Each answer waits, so that calls overlap when nothing holds them
	// back (the bound itself is proven exactly by TestFanOutBound).
	srv := embedEmulator(t, bedrocktest.WithDefault(bedrocktest.Reply{Latency: 5 * time.Millisecond}))
	tr := &inflightTransport{rt: &http.Transport{}}
	c, _ := emulatorClient(t, srv, Config{Transport: tr})
	const model = "amazon.titan-embed-text-v2:0"
	inputs := make([]string, 5*maxParallelCalls)
	for i := range inputs {
		inputs[i] = fmt.Sprintf("input %d", i)
	}
	in, _ := json.Marshal(inputs)
	got, err := c.Embeddings(context.Background(), embedRequest(t, fmt.Sprintf(`{"model":%q,"input":%s}`, model, in)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != len(inputs) {
		t.Errorf("got %d InvokeModel calls, want one per input (%d)", n, len(inputs))
	}
	if tr.max > maxParallelCalls {
		t.Errorf("got %d calls in flight at once, want at most %d", tr.max, maxParallelCalls)
	}
	for i, e := range got.Data {
		if e.Index != i || !slices.Equal(e.Vector, bedrocktest.Embedding(model, inputs[i], bedrocktest.TitanV2Dims, true)) {
			t.Fatalf("data[%d] is not input %d's vector", i, i)
		}
	}
}

func TestEmbeddingsErrors(t *testing.T) {
	srv := embedEmulator(t)
	c, _ := emulatorClient(t, srv, Config{})
	tests := []struct {
		name, body, param string
	}{
		{"chat model", `{"model":"anthropic.claude-3-haiku-20240307-v1:0","input":"x"}`, "model"},
		{"chat model through a profile", `{"model":"us.amazon.nova-lite-v1:0","input":"x"}`, "model"},
		{"unknown model", `{"model":"acme.embed-v1","input":"x"}`, "model"},
		{"dimensions unsupported", `{"model":"amazon.titan-embed-text-v1","input":"x","dimensions":512}`, "dimensions"},
		{"dimensions not offered", `{"model":"amazon.titan-embed-text-v2:0","input":"x","dimensions":768}`, "dimensions"},
		{"token input", `{"model":"cohere.embed-english-v3","input":[1,2,3]}`, "input"},
		{"input_type not a string", `{"model":"cohere.embed-english-v3","input":"x","input_type":3}`, "input_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Embeddings(context.Background(), embedRequest(t, tt.body))
			wantClientError(t, err, tt.param)
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("got %d calls to Bedrock, want none for requests refused before", n)
	}
}

func TestEmbeddingsUpstreamFailure(t *testing.T) {
	srv := embedEmulator(t)
	c, _ := emulatorClient(t, srv, Config{MaxAttempts: 1})
	srv.Push(bedrocktest.Reply{Operation: bedrocktest.OpInvokeModel, Error: &bedrocktest.Error{Code: bedrocktest.CodeValidation, Message: "Input is too long for requested model."}})
	req := embedRequest(t, `{"model":"amazon.titan-embed-text-v2:0","input":["a","b","c"]}`)
	_, err := c.Embeddings(context.Background(), req)
	ue := checkStatus(t, err, http.StatusBadRequest)
	if ue != nil && !strings.Contains(ue.Error(), "too long") {
		t.Errorf("got %v, want Bedrock's message", ue)
	}
}

func TestEmbeddingsBadAnswer(t *testing.T) {
	srv := embedEmulator(t)
	c, _ := emulatorClient(t, srv, Config{})
	srv.Push(bedrocktest.Reply{Operation: bedrocktest.OpInvokeModel, Body: []byte(`{"id":"x","embeddings":{"float":[[1]]}}`)})
	req := embedRequest(t, `{"model":"cohere.embed-english-v3","input":["a","b"]}`)
	_, err := c.Embeddings(context.Background(), req)
	_ = checkStatus(t, err, http.StatusBadGateway)
}

func TestPlanEmbeddingsBatches(t *testing.T) {
	inputs := make([]string, 2*cohereBatch+1)
	for i := range inputs {
		inputs[i] = fmt.Sprint(i)
	}
	req := &openai.EmbeddingRequest{Model: "cohere.embed-v4:0", Input: openai.EmbeddingInput{Strings: inputs, Count: len(inputs), Set: true}}
	plan, err := PlanEmbeddings(req, EmbedCohereV4)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for _, c := range plan.Calls {
		var body cohereEmbedRequest
		if err := json.Unmarshal(c.Body, &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Texts) != c.Count || body.Texts[0] != inputs[c.First] {
			t.Errorf("call at %d: body has %d texts from %q, want %d from %q", c.First, len(body.Texts), body.Texts[0], c.Count, inputs[c.First])
		}
		got = append(got, [2]int{c.First, c.Count})
	}
	if diff := cmp.Diff([][2]int{{0, cohereBatch}, {cohereBatch, cohereBatch}, {2 * cohereBatch, 1}}, got); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestEmbedFamilyOf(t *testing.T) {
	tests := []struct {
		id   string
		want EmbedFamily
		ok   bool
	}{
		{"amazon.titan-embed-text-v1", EmbedTitanV1, true},
		{"amazon.titan-embed-text-v2:0", EmbedTitanV2, true},
		{"arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0", EmbedTitanV2, true},
		{"cohere.embed-english-v3", EmbedCohereV3, true},
		{"cohere.embed-multilingual-v3", EmbedCohereV3, true},
		{"us.cohere.embed-v4:0", EmbedCohereV4, true},
		{"amazon.nova-2-multimodal-embeddings-v1:0", EmbedNova, true},
		{"amazon.nova-2-lite-v1:0", "", false},
		{"amazon.titan-embed-image-v1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := EmbedFamilyOf(tt.id)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
