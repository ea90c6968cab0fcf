package kendra_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kendra/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval/awsretrievaltest"
	"github.com/outcrop/outcrop/internal/retrieval/kendra"
	"github.com/outcrop/outcrop/internal/retrieval/kendra/kendratest"
)

func created() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC) }

func fixtures() []kendratest.Document {
	return []kendratest.Document{
		{
			ID: "refunds", Title: "Refund policy", URI: "https://shop.example/refunds",
			Text: "Refunds are issued within 14 days of a return, in Europe too.",
			Attributes: map[string]kendratest.Value{
				"_language_code": kendratest.String("en"),
				"tags":           kendratest.StringList("money", "returns"),
				"revision":       kendratest.Long(3),
				"_created_at":    kendratest.Date(created()),
			},
		},
		{
			ID: "exchanges", Title: "Exchanges",
			Text:       "Exchanges follow the refunds rules for returns.",
			Attributes: map[string]kendratest.Value{"_language_code": kendratest.String("en")},
		},
		{
			ID: "reembolsos", Title: "Reembolsos", Text: "Los refunds se emiten en 14 días.",
			Attributes: map[string]kendratest.Value{"_language_code": kendratest.String("es")},
		},
		{ID: "unrated", Text: "Refunds issued, without a confidence.", Confidence: "NOT_AVAILABLE"},
	}
}

// newRetriever starts an emulator and a Retriever aimed at it with static
// credentials and no retries unless cfg says otherwise.
func newRetriever(t *testing.T, cfg kendra.Config, opts ...kendratest.Option) (*kendra.Retriever, *kendratest.Server) {
	t.Helper()
	s := kendratest.New(t, append([]kendratest.Option{kendratest.WithDocuments(fixtures()...)}, opts...)...)
	if cfg.IndexID == "" {
		cfg.IndexID = kendratest.IndexID
	}
	if cfg.Region == "" {
		cfg.Region = s.Region()
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = s.URL()
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 1
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider(kendratest.AccessKeyID, kendratest.SecretAccessKey, "")
	r, err := kendra.New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r, s
}

// TestRetrieveMapsHits checks the mapping of every field, the score
// buckets included, in Kendra's order.
func TestRetrieveMapsHits(t *testing.T) {
	r, s := newRetriever(t, kendra.Config{})
	got, err := r.Retrieve(context.Background(), retrieval.Query{Text: "Are refunds issued within Europe?"})
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	want := []retrieval.Hit{
		{
			Text: "Refunds are issued within 14 days of a return, in Europe too.", Score: 1,
			Source: "https://shop.example/refunds", Title: "Refund policy",
			Metadata: map[string]string{
				"_language_code": "en", "tags": "money, returns", "revision": "3",
				"_created_at": "2025-03-14T09:26:53Z",
			},
		},
		{Text: "Refunds issued, without a confidence.", Score: 0, Source: "unrated"},
		{Text: "Exchanges follow the refunds rules for returns.", Score: 0.25, Source: "exchanges", Title: "Exchanges", Metadata: map[string]string{"_language_code": "en"}},
		{Text: "Los refunds se emiten en 14 días.", Score: 0.25, Source: "reembolsos", Title: "Reembolsos", Metadata: map[string]string{"_language_code": "es"}},
	}
	for i := range got {
		if !strings.HasPrefix(got[i].ID, "9a8b7c6d-") {
			t.Errorf("hit %d: got ID %q, want Kendra's result ID", i, got[i].ID)
		}
		got[i].ID = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Service != "kendra" || reqs[0].Region != "us-east-1" {
		t.Errorf("got records %+v, want one signed for kendra in us-east-1", reqs)
	}
}

// TestRetrieveTopKAndMinScore checks the PageSize sent and the score
// floor.
func TestRetrieveTopKAndMinScore(t *testing.T) {
	tests := []struct {
		name     string
		pageSize int
		q        retrieval.Query
		wantSent float64
		wantHits []string
	}{
		{"default page size", 0, retrieval.Query{Text: "refunds"}, 10, []string{"https://shop.example/refunds", "exchanges", "reembolsos", "unrated"}},
		{"configured page size", 2, retrieval.Query{Text: "refunds"}, 2, []string{"https://shop.example/refunds", "exchanges"}},
		{"top k", 2, retrieval.Query{Text: "refunds", TopK: 1}, 1, []string{"https://shop.example/refunds"}},
		{"top k above Kendra's limit", 0, retrieval.Query{Text: "refunds", TopK: 500}, 100, []string{"https://shop.example/refunds", "exchanges", "reembolsos", "unrated"}},
		{"min score", 0, retrieval.Query{Text: "refunds issued", MinScore: 0.75}, 10, []string{"https://shop.example/refunds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := newRetriever(t, kendra.Config{PageSize: tt.pageSize})
			hits, err := r.Retrieve(context.Background(), tt.q)
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			got := awsretrievaltest.Sources(hits)
			if diff := cmp.Diff(tt.wantHits, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
			if body := lastBody(t, s); body["PageSize"] != tt.wantSent {
				t.Errorf("got PageSize %v sent, want %v", body["PageSize"], tt.wantSent)
			}
		})
	}
}

// TestRetrieveFilter checks that the configured AttributeFilter and
// language reach Kendra and filter the hits.
func TestRetrieveFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		lang   string
		want   []string
		sent   string
	}{
		{
			"filter", `{"ContainsAny":{"Key":"tags","Value":{"StringListValue":["money"]}}}`, "",
			[]string{"https://shop.example/refunds"},
			`{"ContainsAny":{"Key":"tags","Value":{"StringListValue":["money"]}}}`,
		},
		{
			"language", "", "es",
			[]string{"reembolsos"},
			`{"EqualsTo":{"Key":"_language_code","Value":{"StringValue":"es"}}}`,
		},
		{
			"filter and language", `{"NotFilter":{"EqualsTo":{"Key":"revision","Value":{"LongValue":3}}}}`, "en",
			[]string{"exchanges"},
			`{"AndAllFilters":[{"NotFilter":{"EqualsTo":{"Key":"revision","Value":{"LongValue":3}}}},{"EqualsTo":{"Key":"_language_code","Value":{"StringValue":"en"}}}]}`,
		},
		{
			"date as RFC 3339", `{"GreaterThanOrEquals":{"Key":"_created_at","Value":{"DateValue":"2025-03-14T09:26:53Z"}}}`, "",
			[]string{"https://shop.example/refunds"},
			`{"GreaterThanOrEquals":{"Key":"_created_at","Value":{"DateValue":1741944413}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := newRetriever(t, kendra.Config{AttributeFilter: json.RawMessage(tt.filter), LanguageCode: tt.lang})
			hits, err := r.Retrieve(context.Background(), retrieval.Query{Text: "refunds"})
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			got := awsretrievaltest.Sources(hits)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
			var want any
			if err := json.Unmarshal([]byte(tt.sent), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, lastBody(t, s)["AttributeFilter"]); diff != "" {
				t.Errorf("AttributeFilter sent (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRetrieveErrors checks Kendra's refusals come back as *Error with
// status and code, and the query never in the message.
func TestRetrieveErrors(t *testing.T) {
	const secret = "where is my parcel 4711"
	tests := []struct {
		name       string
		cfg        kendra.Config
		failures   []kendratest.Failure
		wantStatus int
		wantCode   string
		typed      func(error) bool
	}{
		{"unknown index", kendra.Config{IndexID: "00000000-0000-0000-0000-000000000000"}, nil, 400, kendratest.CodeResourceNotFound, isType[*types.ResourceNotFoundException]},
		{"throttled", kendra.Config{}, kendratest.Throttled(1), 400, kendratest.CodeThrottling, isType[*types.ThrottlingException]},
		{"access denied", kendra.Config{}, []kendratest.Failure{{Code: kendratest.CodeAccessDenied}}, 400, kendratest.CodeAccessDenied, isType[*types.AccessDeniedException]},
		{"internal, quoting the query", kendra.Config{}, []kendratest.Failure{{Code: kendratest.CodeInternalServer, Message: "failed on '" + secret + "'"}}, 500, kendratest.CodeInternalServer, isType[*types.InternalServerException]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := newRetriever(t, tt.cfg, kendratest.WithFailures(tt.failures...))
			_, err := r.Retrieve(context.Background(), retrieval.Query{Text: secret})
			awsretrievaltest.CheckRefusal(t, err, awsretrievaltest.Refusal{
				Op: "kendra retrieve", Status: tt.wantStatus, Code: tt.wantCode, Query: secret, Typed: tt.typed,
			})
			if n := len(s.Requests()); n != 1 {
				t.Errorf("got %d requests, want 1 (MaxAttempts 1)", n)
			}
		})
	}
}

// TestRetrieveRetriesThrottling checks the SDK's retryer is on, bounded
// by MaxAttempts.
func TestRetrieveRetriesThrottling(t *testing.T) {
	r, s := newRetriever(t, kendra.Config{MaxAttempts: 2}, kendratest.WithFailures(kendratest.Throttled(1)...))
	awsretrievaltest.CheckRetried(t, r, retrieval.Query{Text: "refunds"}, s.Requests, 2)
}

// TestRetrieveBadQueries checks what is refused before any request.
func TestRetrieveBadQueries(t *testing.T) {
	r, s := newRetriever(t, kendra.Config{})
	awsretrievaltest.CheckBadQueries(t, r, s.Requests, retrieval.Query{Text: ""}, retrieval.Query{Text: " \n"}, retrieval.Query{Text: "refunds", TopK: -1})
}

// TestNewFromEnvironment checks the region and endpoint read through
// getenv, and the signing region that follows.
func TestNewFromEnvironment(t *testing.T) {
	s := kendratest.New(t, kendratest.WithRegion("eu-west-1"), kendratest.WithDocuments(fixtures()...))
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_KENDRA": s.URL()}
	r, err := kendra.New(context.Background(), kendra.Config{
		IndexID:     kendratest.IndexID,
		Credentials: credentials.NewStaticCredentialsProvider(kendratest.AccessKeyID, kendratest.SecretAccessKey, ""),
	}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := r.Retrieve(context.Background(), retrieval.Query{Text: "refunds"}); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Region != "eu-west-1" || reqs[0].Service != "kendra" {
		t.Errorf("got records %+v, want one signed for kendra in eu-west-1", reqs)
	}
}

// TestNewRefusesBadConfig checks New reports every problem at once.
func TestNewRefusesBadConfig(t *testing.T) {
	_, err := kendra.New(context.Background(), kendra.Config{
		IndexID: "short", PageSize: 101, Endpoint: "localhost:4566", LanguageCode: "english!",
		AttributeFilter: json.RawMessage(`{"equalsTo":{"Key":"k","Value":{"StringValue":"v"}}}`),
	}, nil)
	if err == nil {
		t.Fatal("got no error, want one")
	}
	if err := (kendra.Config{IndexID: kendratest.IndexID, PageSize: 100, LanguageCode: "pt-BR"}).Validate(); err != nil {
		t.Errorf("Validate of a good config: got %v, want nil", err)
	}
	for _, want := range []string{`IndexID "short"`, "PageSize 101", `Endpoint "localhost:4566"`, `LanguageCode "english!"`, `unknown member "equalsTo"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to mention %q", err, want)
		}
	}
}

func lastBody(t *testing.T, s *kendratest.Server) map[string]any {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request recorded")
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
		t.Fatalf("body %s: %v", reqs[len(reqs)-1].Body, err)
	}
	return body
}

func isType[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
}
