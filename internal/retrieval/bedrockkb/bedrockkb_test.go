package bedrockkb_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval/awsretrievaltest"
	"github.com/outcrop/outcrop/internal/retrieval/bedrockkb"
	"github.com/outcrop/outcrop/internal/retrieval/bedrockkb/bedrockkbtest"
)

func fixtures() []bedrockkbtest.Document {
	return []bedrockkbtest.Document{
		{
			Text:     "Refunds are issued within 14 days of a return, in Europe too.",
			Location: bedrockkbtest.Location{URI: "s3://shop-docs/policies/refunds.md"},
			Metadata: map[string]any{"team": "support", "year": 2024, "public": true, "tags": []string{"money", "returns"}},
			ChunkID:  "1%3A0%3Arefunds",
		},
		{
			Text:     "Refunds for shipping damage need a photo.",
			Location: bedrockkbtest.Location{Type: bedrockkbtest.LocationWeb, URI: "https://shop.example/damage"},
			Metadata: map[string]any{"team": "logistics", "year": 2021},
			ChunkID:  "1%3A0%3Adamage",
		},
		{
			Text:     "Escalated refunds go to the finance desk.",
			Location: bedrockkbtest.Location{Type: bedrockkbtest.LocationSharePoint, URI: "https://shop.sharepoint.com/finance"},
			Metadata: map[string]any{"team": "finance", "year": 2019},
			ChunkID:  "1%3A0%3Afinance",
		},
	}
}

// newRetriever starts an emulator and a Retriever aimed at it with static
// credentials and no retries unless cfg says otherwise.
func newRetriever(t *testing.T, cfg bedrockkb.Config, opts ...bedrockkbtest.Option) (*bedrockkb.Retriever, *bedrockkbtest.Server) {
	t.Helper()
	s := bedrockkbtest.New(t, append([]bedrockkbtest.Option{bedrockkbtest.WithDocuments(fixtures()...)}, opts...)...)
	if cfg.KnowledgeBaseID == "" {
		cfg.KnowledgeBaseID = bedrockkbtest.KnowledgeBaseID
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
	cfg.Credentials = credentials.NewStaticCredentialsProvider(bedrockkbtest.AccessKeyID, bedrockkbtest.SecretAccessKey, "")
	r, err := bedrockkb.New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r, s
}

// TestRetrieveMapsHits checks the mapping of every field, in the
// service's order.
func TestRetrieveMapsHits(t *testing.T) {
	r, s := newRetriever(t, bedrockkb.Config{})
	got, err := r.Retrieve(context.Background(), retrieval.Query{Text: "Are refunds issued within Europe?"})
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	want := []retrieval.Hit{
		{
			ID: "1%3A0%3Arefunds", Text: "Refunds are issued within 14 days of a return, in Europe too.", Score: 1,
			Source: "s3://shop-docs/policies/refunds.md",
			Metadata: map[string]string{
				"team": "support", "year": "2024", "public": "true", "tags": `["money","returns"]`,
				bedrockkb.MetaChunkID: "1%3A0%3Arefunds", bedrockkb.MetaDataSource: bedrockkbtest.DataSourceID,
				bedrockkb.MetaSourceURI: "s3://shop-docs/policies/refunds.md",
			},
		},
		{
			ID: "1%3A0%3Adamage", Text: "Refunds for shipping damage need a photo.", Score: 0.25,
			Source: "https://shop.example/damage",
			Metadata: map[string]string{
				"team": "logistics", "year": "2021",
				bedrockkb.MetaChunkID: "1%3A0%3Adamage", bedrockkb.MetaDataSource: bedrockkbtest.DataSourceID,
			},
		},
		{
			ID: "1%3A0%3Afinance", Text: "Escalated refunds go to the finance desk.", Score: 0.25,
			Source: "https://shop.sharepoint.com/finance",
			Metadata: map[string]string{
				"team": "finance", "year": "2019",
				bedrockkb.MetaChunkID: "1%3A0%3Afinance", bedrockkb.MetaDataSource: bedrockkbtest.DataSourceID,
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Service != "bedrock" || reqs[0].Region != "us-east-1" {
		t.Errorf("got records %+v, want one signed for bedrock in us-east-1", reqs)
	}
}

// TestRetrieveTopKAndMinScore checks the numberOfResults sent and the
// score floor.
func TestRetrieveTopKAndMinScore(t *testing.T) {
	all := []string{"s3://shop-docs/policies/refunds.md", "https://shop.example/damage", "https://shop.sharepoint.com/finance"}
	tests := []struct {
		name     string
		topK     int
		q        retrieval.Query
		wantSent float64
		wantHits []string
	}{
		{"default top k", 0, retrieval.Query{Text: "refunds"}, 5, all},
		{"configured top k", 2, retrieval.Query{Text: "refunds"}, 2, all[:2]},
		{"query top k", 2, retrieval.Query{Text: "refunds", TopK: 1}, 1, all[:1]},
		{"top k above the limit", 0, retrieval.Query{Text: "refunds", TopK: 500}, 100, all},
		{"min score", 0, retrieval.Query{Text: "refunds issued", MinScore: 0.75}, 5, all[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := newRetriever(t, bedrockkb.Config{TopK: tt.topK})
			hits, err := r.Retrieve(context.Background(), tt.q)
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			got := awsretrievaltest.Sources(hits)
			if diff := cmp.Diff(tt.wantHits, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
			if n := search(t, s)["numberOfResults"]; n != tt.wantSent {
				t.Errorf("got numberOfResults %v sent, want %v", n, tt.wantSent)
			}
		})
	}
}

// TestRetrieveFilter checks the configured filter and search type reach
// the service as written, numbers included, and filter the hits.
func TestRetrieveFilter(t *testing.T) {
	tests := []struct {
		name, filter, searchType string
		want                     []string
	}{
		{"equals", `{"equals":{"key":"team","value":"finance"}}`, "", []string{"https://shop.sharepoint.com/finance"}},
		{
			"andAll", `{"andAll":[{"in":{"key":"team","value":["support","logistics"]}},{"greaterThan":{"key":"year","value":2022}}]}`, "SEMANTIC",
			[]string{"s3://shop-docs/policies/refunds.md"},
		},
		{
			"big number", `{"lessThan":{"key":"year","value":9007199254740993}}`, "HYBRID",
			[]string{"s3://shop-docs/policies/refunds.md", "https://shop.example/damage", "https://shop.sharepoint.com/finance"},
		},
		{
			"orAll", `{"orAll":[{"startsWith":{"key":"team","value":"log"}},{"listContains":{"key":"tags","value":"money"}}]}`, "",
			[]string{"s3://shop-docs/policies/refunds.md", "https://shop.example/damage"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := newRetriever(t, bedrockkb.Config{Filter: json.RawMessage(tt.filter), SearchType: tt.searchType})
			hits, err := r.Retrieve(context.Background(), retrieval.Query{Text: "refunds"})
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			got := awsretrievaltest.Sources(hits)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
			reqs := s.Requests()
			var body struct {
				RetrievalConfiguration struct {
					VectorSearchConfiguration struct {
						Filter             json.RawMessage `json:"filter"`
						OverrideSearchType string          `json:"overrideSearchType"`
					} `json:"vectorSearchConfiguration"`
				} `json:"retrievalConfiguration"`
			}
			if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
				t.Fatal(err)
			}
			vs := body.RetrievalConfiguration.VectorSearchConfiguration
			if string(vs.Filter) != tt.filter || vs.OverrideSearchType != tt.searchType {
				t.Errorf("got filter %s search type %q sent, want %s %q", vs.Filter, vs.OverrideSearchType, tt.filter, tt.searchType)
			}
		})
	}
}

// TestRetrieveErrors checks the service's refusals come back as *Error
// with status and code, and the query never in the message.
func TestRetrieveErrors(t *testing.T) {
	const secret = "where is my parcel 4711"
	tests := []struct {
		name       string
		cfg        bedrockkb.Config
		failures   []bedrockkbtest.Failure
		wantStatus int
		wantCode   string
		typed      func(error) bool
	}{
		{"unknown knowledge base", bedrockkb.Config{KnowledgeBaseID: "KBNOPE0001"}, nil, 404, bedrockkbtest.CodeResourceNotFound, isType[*types.ResourceNotFoundException]},
		{"throttled", bedrockkb.Config{}, bedrockkbtest.Throttled(1), 429, bedrockkbtest.CodeThrottling, isType[*types.ThrottlingException]},
		{"access denied", bedrockkb.Config{}, []bedrockkbtest.Failure{{Code: bedrockkbtest.CodeAccessDenied}}, 403, bedrockkbtest.CodeAccessDenied, isType[*types.AccessDeniedException]},
		{"validation, quoting the query", bedrockkb.Config{}, []bedrockkbtest.Failure{{Code: bedrockkbtest.CodeValidation, Message: "cannot search '" + secret + "'"}}, 400, bedrockkbtest.CodeValidation, isType[*types.ValidationException]},
		{"bad gateway", bedrockkb.Config{}, []bedrockkbtest.Failure{{Code: bedrockkbtest.CodeBadGateway}}, 502, bedrockkbtest.CodeBadGateway, isType[*types.BadGatewayException]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := newRetriever(t, tt.cfg, bedrockkbtest.WithFailures(tt.failures...))
			_, err := r.Retrieve(context.Background(), retrieval.Query{Text: secret})
			awsretrievaltest.CheckRefusal(t, err, awsretrievaltest.Refusal{
				Op: "bedrock knowledge base retrieve", Status: tt.wantStatus, Code: tt.wantCode, Query: secret, Typed: tt.typed,
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
	r, s := newRetriever(t, bedrockkb.Config{MaxAttempts: 2}, bedrockkbtest.WithFailures(bedrockkbtest.Throttled(1)...))
	awsretrievaltest.CheckRetried(t, r, retrieval.Query{Text: "refunds"}, s.Requests, 2)
}

// TestRetrieveBadQueries checks what is refused before any request.
func TestRetrieveBadQueries(t *testing.T) {
	r, s := newRetriever(t, bedrockkb.Config{})
	awsretrievaltest.CheckBadQueries(t, r, s.Requests, retrieval.Query{Text: ""}, retrieval.Query{Text: "\t"}, retrieval.Query{Text: "refunds", TopK: -3})
}

// TestNewFromEnvironment checks the region and endpoint read through
// getenv, and the signing region that follows.
func TestNewFromEnvironment(t *testing.T) {
	s := bedrockkbtest.New(t, bedrockkbtest.WithRegion("ap-southeast-2"), bedrockkbtest.WithDocuments(fixtures()...))
	env := map[string]string{
		"AWS_DEFAULT_REGION": "ap-southeast-2", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME": s.URL(),
	}
	r, err := bedrockkb.New(context.Background(), bedrockkb.Config{
		KnowledgeBaseID: bedrockkbtest.KnowledgeBaseID,
		Credentials:     credentials.NewStaticCredentialsProvider(bedrockkbtest.AccessKeyID, bedrockkbtest.SecretAccessKey, ""),
	}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := r.Retrieve(context.Background(), retrieval.Query{Text: "refunds"}); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Region != "ap-southeast-2" || reqs[0].Service != "bedrock" {
		t.Errorf("got records %+v, want one signed for bedrock in ap-southeast-2", reqs)
	}
}

// TestNewRefusesBadConfig checks New reports every problem at once.
func TestNewRefusesBadConfig(t *testing.T) {
	_, err := bedrockkb.New(context.Background(), bedrockkb.Config{
		KnowledgeBaseID: "kb-1", TopK: 101, SearchType: "hybrid", Endpoint: "ftp://x",
		Filter: json.RawMessage(`{"Equals":{"key":"team","value":"docs"}}`),
	}, nil)
	if err == nil {
		t.Fatal("got no error, want one")
	}
	if err := (bedrockkb.Config{KnowledgeBaseID: "KB1", TopK: 100, SearchType: "HYBRID"}).Validate(); err != nil {
		t.Errorf("Validate of a good config: got %v, want nil", err)
	}
	for _, want := range []string{`KnowledgeBaseID "kb-1"`, "TopK 101", `SearchType "hybrid"`, `Endpoint "ftp://x"`, `unknown member "Equals"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to mention %q", err, want)
		}
	}
}

// search returns the last request's vectorSearchConfiguration.
func search(t *testing.T, s *bedrockkbtest.Server) map[string]any {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request recorded")
	}
	var body struct {
		RetrievalConfiguration struct {
			VectorSearchConfiguration map[string]any `json:"vectorSearchConfiguration"`
		} `json:"retrievalConfiguration"`
	}
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
		t.Fatalf("body %s: %v", reqs[len(reqs)-1].Body, err)
	}
	return body.RetrievalConfiguration.VectorSearchConfiguration
}

func isType[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
}
