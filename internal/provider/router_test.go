package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

func dep(name, model string, p Provider) *Deployment {
	return &Deployment{Name: name, Model: model, Provider: p}
}

func TestNewRouterErrors(t *testing.T) {
	p := &chatOnly{}
	tests := []struct {
		name    string
		routes  []*Route
		aliases map[string]string
		wantErr string
	}{
		{
			"duplicate model",
			[]*Route{{Name: "a", Deployments: []*Deployment{dep("d1", "x", p)}}, {Name: "a", Deployments: []*Deployment{dep("d2", "y", p)}}},
			nil, `model "a" defined twice`,
		},
		{"no deployments", []*Route{{Name: "a"}}, nil, `model "a" has no deployment`},
		{"empty deployments", []*Route{{Name: "a", Deployments: []*Deployment{}}}, nil, `model "a" has no deployment`},
		{
			"alias shadows model",
			[]*Route{{Name: "a", Deployments: []*Deployment{dep("d1", "x", p)}}, {Name: "b", Deployments: []*Deployment{dep("d2", "y", p)}}},
			map[string]string{"b": "a"},
			`alias "b" shadows a model`,
		},
		{
			"alias to unknown",
			[]*Route{{Name: "a", Deployments: []*Deployment{dep("d1", "x", p)}}},
			map[string]string{"c": "missing"},
			`alias "c" names unknown model "missing"`,
		},
		{
			"alias to alias",
			[]*Route{{Name: "a", Deployments: []*Deployment{dep("d1", "x", p)}}},
			map[string]string{"b": "a", "c": "b"},
			`alias "c" names unknown model "b"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRouter(tt.routes, tt.aliases)
			if err == nil {
				t.Fatalf("got router %v, want error %q", r, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// testRouter has models "gpt-b" and "gpt-a" (in that order) and aliases.
func testRouter(t *testing.T) (*Router, *Route, *Route) {
	t.Helper()
	p := &chatOnly{}
	b := &Route{Name: "gpt-b", OwnedBy: "openai", Created: 2, Deployments: []*Deployment{dep("b1", "gpt-b-2025", p)}}
	a := &Route{Name: "gpt-a", OwnedBy: "azure", Created: 1, Deployments: []*Deployment{dep("a1", "a-deploy", p), dep("a2", "gpt-a", p)}}
	r, err := NewRouter([]*Route{b, a}, map[string]string{"fast": "gpt-a", "best": "gpt-b", "gpt-a-latest": "gpt-a"})
	if err != nil {
		t.Fatal(err)
	}
	return r, a, b
}

func TestRouterLookup(t *testing.T) {
	r, a, b := testRouter(t)
	tests := []struct {
		model string
		want  *Route
	}{
		{"gpt-a", a},
		{"gpt-b", b},
		{"fast", a},
		{"best", b},
		{"gpt-a-latest", a},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, err := r.Lookup(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got route %q, want %q", got.Name, tt.want.Name)
			}
		})
	}
}

func TestRouterLookupUnknown(t *testing.T) {
	r, _, _ := testRouter(t)
	for _, model := range []string{"gpt-c", "", "GPT-A", "a-deploy"} {
		rt, err := r.Lookup(model)
		if rt != nil {
			t.Errorf("%q: got route %q, want nil", model, rt.Name)
		}
		var e *openai.Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: got %T %v, want *openai.Error", model, err, err)
		}
		if e.Status != http.StatusNotFound || e.Code != "model_not_found" {
			t.Errorf("%q: got %d %q, want 404 model_not_found", model, e.Status, e.Code)
		}
		if !strings.Contains(e.Message, "`"+model+"`") {
			t.Errorf("%q: got message %q, want it to name the model", model, e.Message)
		}
	}
}

func TestRouterModels(t *testing.T) {
	r, _, _ := testRouter(t)
	want := []openai.Model{
		{ID: "best", Object: "model", Created: 2, OwnedBy: "openai"},
		{ID: "fast", Object: "model", Created: 1, OwnedBy: "azure"},
		{ID: "gpt-a", Object: "model", Created: 1, OwnedBy: "azure"},
		{ID: "gpt-a-latest", Object: "model", Created: 1, OwnedBy: "azure"},
		{ID: "gpt-b", Object: "model", Created: 2, OwnedBy: "openai"},
	}
	if diff := cmp.Diff(want, r.Models()); diff != "" {
		t.Errorf("Models mismatch (-want +got):\n%s", diff)
	}
}

// outcomeSummary is an Outcome reduced to names, for comparison.
type outcomeSummary struct {
	Served string
	Failed []string
}

func summarize(o Outcome) outcomeSummary {
	var s outcomeSummary
	if o.Deployment != nil {
		s.Served = o.Deployment.Name
	}
	for _, f := range o.Failures {
		s.Failed = append(s.Failed, f.Deployment)
	}
	return s
}

func TestChatCompletionFallback(t *testing.T) {
	e429, e400, e503 := upstream(http.StatusTooManyRequests), upstream(http.StatusBadRequest), upstream(http.StatusServiceUnavailable)
	tests := []struct {
		name string
		// errs are the first and second deployments' failures.
		errs        [2]error
		cancelFirst bool
		wantCalls   []string
		wantOutcome outcomeSummary
		wantErr     error // nil: the response of wantOutcome.Served
	}{
		{
			"first serves",
			[2]error{nil, nil},
			false,
			[]string{"p1:model-1"},
			outcomeSummary{Served: "d1"},
			nil,
		},
		{
			"429 falls back",
			[2]error{e429, nil},
			false,
			[]string{"p1:model-1", "p2:model-2"},
			outcomeSummary{Served: "d2", Failed: []string{"d1"}},
			nil,
		},
		{
			"wrapped 503 falls back",
			[2]error{fmt.Errorf("post: %w", e503), nil},
			false,
			[]string{"p1:model-1", "p2:model-2"},
			outcomeSummary{Served: "d2", Failed: []string{"d1"}},
			nil,
		},
		{
			"400 does not fall back",
			[2]error{e400, nil},
			false,
			[]string{"p1:model-1"},
			outcomeSummary{Failed: []string{"d1"}},
			e400,
		},
		{
			"unclassified error does not fall back",
			[2]error{errOther, nil},
			false,
			[]string{"p1:model-1"},
			outcomeSummary{Failed: []string{"d1"}},
			errOther,
		},
		{
			"canceled does not fall back",
			[2]error{context.Canceled, nil},
			true,
			[]string{"p1:model-1"},
			outcomeSummary{Failed: []string{"d1"}},
			context.Canceled,
		},
		{
			// The client left while the first deployment failed in a
			// retryable way: nobody is waiting for a second attempt.
			"retryable after cancel does not fall back",
			[2]error{e503, nil},
			true,
			[]string{"p1:model-1"},
			outcomeSummary{Failed: []string{"d1"}},
			e503,
		},
		{
			"all fail",
			[2]error{e429, e503},
			false,
			[]string{"p1:model-1", "p2:model-2"},
			outcomeSummary{Failed: []string{"d1", "d2"}},
			e503,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log := &callLog{}
			p1 := &chatOnly{name: "p1", log: log, err: tt.errs[0]}
			if tt.cancelFirst {
				p1.before = cancel
			}
			p2 := &chatOnly{name: "p2", log: log, err: tt.errs[1]}
			rt := &Route{Name: "public", Deployments: []*Deployment{dep("d1", "model-1", p1), dep("d2", "model-2", p2)}}
			req := &openai.ChatCompletionRequest{Model: "public", Raw: []byte(`{"model":"public"}`)}

			resp, out, err := ChatCompletion(ctx, rt, req)

			if diff := cmp.Diff(tt.wantOutcome, summarize(out)); diff != "" {
				t.Errorf("outcome mismatch (-want +got):\n%s", diff)
			}
			checkCalls(t, log, tt.wantCalls, req)
			if req.Model != "public" {
				t.Errorf("caller's request model became %q, want public", req.Model)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got error %v, want %v", err, tt.wantErr)
				}
				if resp != nil {
					t.Errorf("got response %v with an error", resp)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if want := "p" + tt.wantOutcome.Served[1:]; resp.ID != want {
				t.Errorf("got response from %q, want %q", resp.ID, want)
			}
			for i, f := range out.Failures {
				if !errors.Is(f.Err, tt.errs[i]) {
					t.Errorf("failure %d: got %v, want %v", i, f.Err, tt.errs[i])
				}
			}
		})
	}
}

// checkCalls compares the calls the fakes received with want, and checks
// that each got its own copy of the caller's request with Raw kept.
func checkCalls(t *testing.T, log *callLog, want []string, orig *openai.ChatCompletionRequest) {
	t.Helper()
	if diff := cmp.Diff(want, callNames(log)); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	for _, c := range log.calls {
		got, ok := c.req.(*openai.ChatCompletionRequest)
		if !ok {
			t.Fatalf("got request %T, want *openai.ChatCompletionRequest", c.req)
		}
		if got == orig {
			t.Errorf("%s received the caller's request, want a copy", c.Provider)
		}
		if string(got.Raw) != string(orig.Raw) {
			t.Errorf("%s got Raw %q, want %q", c.Provider, got.Raw, orig.Raw)
		}
	}
}

func TestEmbeddingsCapability(t *testing.T) {
	tests := []struct {
		name        string
		providers   func(*callLog) []Provider
		wantCalls   []string
		wantOutcome outcomeSummary
		wantStatus  int // 0: success
	}{
		{
			"skips provider without embeddings",
			func(l *callLog) []Provider {
				return []Provider{&chatOnly{name: "p1", log: l}, &full{chatOnly: chatOnly{name: "p2", log: l}}}
			},
			[]string{"p2:model-2"},
			outcomeSummary{Served: "d2", Failed: []string{"d1"}},
			0,
		},
		{
			"none has embeddings",
			func(l *callLog) []Provider {
				return []Provider{&chatOnly{name: "p1", log: l}, &chatOnly{name: "p2", log: l}}
			},
			nil,
			outcomeSummary{Failed: []string{"d1", "d2"}},
			http.StatusBadRequest,
		},
		{
			// A 429 from the one deployment that can serve the request is
			// what the client must see, not "unsupported".
			"throttled then unsupported",
			func(l *callLog) []Provider {
				return []Provider{&full{chatOnly: chatOnly{name: "p1", log: l, err: upstream(429)}}, &chatOnly{name: "p2", log: l}}
			},
			[]string{"p1:model-1"},
			outcomeSummary{Failed: []string{"d1", "d2"}},
			http.StatusTooManyRequests,
		},
		{
			"unsupported then throttled",
			func(l *callLog) []Provider {
				return []Provider{&chatOnly{name: "p1", log: l}, &full{chatOnly: chatOnly{name: "p2", log: l, err: upstream(429)}}}
			},
			[]string{"p2:model-2"},
			outcomeSummary{Failed: []string{"d1", "d2"}},
			http.StatusTooManyRequests,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &callLog{}
			ps := tt.providers(log)
			rt := &Route{Name: "emb", Deployments: []*Deployment{dep("d1", "model-1", ps[0]), dep("d2", "model-2", ps[1])}}
			req := &openai.EmbeddingRequest{Model: "emb"}
			resp, out, err := Embeddings(context.Background(), rt, req)
			if diff := cmp.Diff(tt.wantOutcome, summarize(out)); diff != "" {
				t.Errorf("outcome mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, callNames(log)); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if req.Model != "emb" {
				t.Errorf("caller's request model became %q", req.Model)
			}
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if resp.Model != "model-2" {
					t.Errorf("got response for %q, want model-2", resp.Model)
				}
				return
			}
			checkStatus(t, err, tt.wantStatus)
			if tt.wantStatus == http.StatusBadRequest {
				checkUnsupported(t, err, "emb", "embeddings")
			}
		})
	}
}

func callNames(l *callLog) []string {
	var out []string
	for _, c := range l.calls {
		out = append(out, c.Provider+":"+c.Model)
	}
	return out
}

// checkStatus checks that err carries the HTTP status want, as an
// *openai.Error or an *UpstreamError.
func checkStatus(t *testing.T, err error, want int) {
	t.Helper()
	var ue *UpstreamError
	var oe *openai.Error
	switch {
	case errors.As(err, &ue):
		if ue.Status != want {
			t.Errorf("got upstream status %d, want %d", ue.Status, want)
		}
	case errors.As(err, &oe):
		if oe.Status != want {
			t.Errorf("got status %d, want %d", oe.Status, want)
		}
	default:
		t.Errorf("got %T %v, want an error with status %d", err, err, want)
	}
}

// checkUnsupported checks the 400 for a model no deployment can serve.
func checkUnsupported(t *testing.T, err error, model, what string) {
	t.Helper()
	var e *openai.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *openai.Error", err, err)
	}
	want := &openai.Error{
		Status:  http.StatusBadRequest,
		Type:    openai.TypeInvalidRequest,
		Param:   "model",
		Code:    "unsupported_model",
		Message: fmt.Sprintf("The model `%s` does not support %s.", model, what),
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}

func TestCompletionCapability(t *testing.T) {
	log := &callLog{}
	rt := &Route{Name: "legacy", Deployments: []*Deployment{
		dep("d1", "model-1", &chatOnly{name: "p1", log: log}),
		dep("d2", "model-2", &full{chatOnly: chatOnly{name: "p2", log: log}}),
	}}
	req := &openai.CompletionRequest{Model: "legacy"}
	resp, out, err := Completion(context.Background(), rt, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID != "p2" || resp.Model != "model-2" {
		t.Errorf("got response %q for %q, want p2 for model-2", resp.ID, resp.Model)
	}
	if diff := cmp.Diff(outcomeSummary{Served: "d2", Failed: []string{"d1"}}, summarize(out)); diff != "" {
		t.Errorf("outcome mismatch (-want +got):\n%s", diff)
	}
	if req.Model != "legacy" {
		t.Errorf("caller's request model became %q", req.Model)
	}

	chatOnlyRoute := &Route{Name: "chatty", Deployments: []*Deployment{dep("d1", "m", &chatOnly{name: "p1", log: log})}}
	_, _, err = Completion(context.Background(), chatOnlyRoute, req)
	checkUnsupported(t, err, "chatty", "legacy completions")
	_, _, err = CompletionStreamOn(context.Background(), chatOnlyRoute, req)
	checkUnsupported(t, err, "chatty", "legacy completions")
}

func TestCallSuccessValue(t *testing.T) {
	// Call returns the serving deployment's value and stops there.
	rt := &Route{Name: "r", Deployments: []*Deployment{dep("d1", "m1", nil), dep("d2", "m2", nil), dep("d3", "m3", nil)}}
	var tried []string
	v, out, err := Call(context.Background(), rt, func(_ context.Context, d *Deployment) (string, error) {
		tried = append(tried, d.Name)
		if d.Name == "d1" {
			return "", upstream(http.StatusBadGateway)
		}
		return d.Model, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v != "m2" {
		t.Errorf("got %q, want m2", v)
	}
	if diff := cmp.Diff([]string{"d1", "d2"}, tried); diff != "" {
		t.Errorf("tried mismatch (-want +got):\n%s", diff)
	}
	if out.Deployment != rt.Deployments[1] {
		t.Errorf("got deployment %v, want d2", out.Deployment)
	}
}
