package bedrockkbtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	smithydocument "github.com/aws/smithy-go/document"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/awstest"
	"github.com/outcrop/outcrop/internal/retrieval/bedrockkb/bedrockkbtest"
)

// fixtures are a small knowledge base about a shop's policies.
func fixtures() []bedrockkbtest.Document {
	return []bedrockkbtest.Document{
		{
			Text:     "Refunds are issued within 14 days of a return.",
			Location: bedrockkbtest.Location{URI: "s3://shop-docs/policies/refunds.md"},
			Metadata: map[string]any{"team": "support", "year": 2024, "public": true, "tags": []string{"money", "returns"}},
			ChunkID:  "1%3A0%3Arefunds",
		},
		{
			Text:     "Shipping takes two days; returns ship free.",
			Location: bedrockkbtest.Location{Type: bedrockkbtest.LocationWeb, URI: "https://shop.example/shipping"},
			Metadata: map[string]any{"team": "logistics", "year": 2021, "tags": []string{"delivery"}},
		},
		{
			Text:     "Escalated refunds go to the finance desk.",
			Location: bedrockkbtest.Location{Type: bedrockkbtest.LocationCustom, URI: "escalations-42"},
			Metadata: map[string]any{"team": "finance", "year": 2019},
		},
	}
}

// client is the official SDK client aimed at s, without retries unless
// attempts says otherwise, and without backoff.
func client(s *bedrockkbtest.Server, attempts int) *bedrockagentruntime.Client {
	return bedrockagentruntime.NewFromConfig(s.AWSConfig(), func(o *bedrockagentruntime.Options) {
		o.Retryer = awstest.Retryer(attempts)
	})
}

func retrieve(ctx context.Context, c *bedrockagentruntime.Client, query string, vs *types.KnowledgeBaseVectorSearchConfiguration) (*bedrockagentruntime.RetrieveOutput, error) {
	in := &bedrockagentruntime.RetrieveInput{
		KnowledgeBaseId: aws.String(bedrockkbtest.KnowledgeBaseID),
		RetrievalQuery:  &types.KnowledgeBaseQuery{Text: aws.String(query)},
	}
	if vs != nil {
		in.RetrievalConfiguration = &types.KnowledgeBaseRetrievalConfiguration{VectorSearchConfiguration: vs}
	}
	return c.Retrieve(ctx, in)
}

// metadataOf decodes a result's metadata documents.
func metadataOf(t *testing.T, m map[string]document.Interface) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range m {
		var x any
		if err := v.UnmarshalSmithyDocument(&x); err != nil {
			t.Fatalf("metadata %s: %v", k, err)
		}
		out[k] = x
	}
	return out
}

// TestSDKParsesRetrieve shows the official client decoding what the
// emulator serves: content, score, location members, metadata documents.
func TestSDKParsesRetrieve(t *testing.T) {
	s := bedrockkbtest.New(t, bedrockkbtest.WithDocuments(fixtures()...))
	out, err := retrieve(context.Background(), client(s, 1), "How are refunds issued?", nil)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if len(out.RetrievalResults) != 2 {
		t.Fatalf("got %d results, want 2", len(out.RetrievalResults))
	}
	first := out.RetrievalResults[0]
	if aws.ToString(first.Content.Text) != "Refunds are issued within 14 days of a return." || first.Content.Type != types.RetrievalResultContentTypeText || aws.ToFloat64(first.Score) != 1 {
		t.Errorf("got content %q %s score %v, want the refunds chunk, TEXT, 1", aws.ToString(first.Content.Text), first.Content.Type, aws.ToFloat64(first.Score))
	}
	if first.Location.Type != types.RetrievalResultLocationTypeS3 || aws.ToString(first.Location.S3Location.Uri) != "s3://shop-docs/policies/refunds.md" {
		t.Errorf("got location %+v, want S3 s3://shop-docs/policies/refunds.md", first.Location)
	}
	want := map[string]any{
		"team": "support", "year": smithydocument.Number("2024"), "public": true, "tags": []any{"money", "returns"},
		bedrockkbtest.MetaChunkID: "1%3A0%3Arefunds", bedrockkbtest.MetaDataSource: bedrockkbtest.DataSourceID,
		bedrockkbtest.MetaSourceURI: "s3://shop-docs/policies/refunds.md",
	}
	if diff := cmp.Diff(want, metadataOf(t, first.Metadata)); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	second := out.RetrievalResults[1]
	if aws.ToFloat64(second.Score) != 0.5 || second.Location.Type != types.RetrievalResultLocationTypeCustom || aws.ToString(second.Location.CustomDocumentLocation.Id) != "escalations-42" {
		t.Errorf("got score %v location %+v, want 0.5 CUSTOM escalations-42", aws.ToFloat64(second.Score), second.Location)
	}
	if _, ok := second.Metadata[bedrockkbtest.MetaSourceURI]; ok {
		t.Errorf("got %s on a custom document, want it only for S3", bedrockkbtest.MetaSourceURI)
	}
}

// TestSDKFilters checks every RetrievalFilter operator, sent by the
// official client with document values.
func TestSDKFilters(t *testing.T) {
	s := bedrockkbtest.New(t, bedrockkbtest.WithDocuments(fixtures()...))
	c := client(s, 1)
	attr := func(k string, v any) types.FilterAttribute {
		return types.FilterAttribute{Key: aws.String(k), Value: document.NewLazyDocument(v)}
	}
	tests := []struct {
		name   string
		filter types.RetrievalFilter
		want   []string // the chunks' locations' URIs
	}{
		{"equals", &types.RetrievalFilterMemberEquals{Value: attr("team", "support")}, []string{"s3://shop-docs/policies/refunds.md"}},
		{"equals a number", &types.RetrievalFilterMemberEquals{Value: attr("year", 2021)}, []string{"https://shop.example/shipping"}},
		{"not equals", &types.RetrievalFilterMemberNotEquals{Value: attr("team", "support")}, []string{"https://shop.example/shipping", "escalations-42"}},
		{"not equals an absent key", &types.RetrievalFilterMemberNotEquals{Value: attr("public", true)}, []string{"https://shop.example/shipping", "escalations-42"}},
		{"greater than", &types.RetrievalFilterMemberGreaterThan{Value: attr("year", 2021)}, []string{"s3://shop-docs/policies/refunds.md"}},
		{"greater than or equals", &types.RetrievalFilterMemberGreaterThanOrEquals{Value: attr("year", 2021)}, []string{"https://shop.example/shipping", "s3://shop-docs/policies/refunds.md"}},
		{"less than", &types.RetrievalFilterMemberLessThan{Value: attr("year", 2021)}, []string{"escalations-42"}},
		{"less than or equals", &types.RetrievalFilterMemberLessThanOrEquals{Value: attr("year", 2021.0)}, []string{"https://shop.example/shipping", "escalations-42"}},
		{"in", &types.RetrievalFilterMemberIn{Value: attr("team", []string{"finance", "logistics"})}, []string{"https://shop.example/shipping", "escalations-42"}},
		{"not in", &types.RetrievalFilterMemberNotIn{Value: attr("team", []string{"finance", "logistics"})}, []string{"s3://shop-docs/policies/refunds.md"}},
		{"starts with", &types.RetrievalFilterMemberStartsWith{Value: attr("team", "fin")}, []string{"escalations-42"}},
		{"list contains", &types.RetrievalFilterMemberListContains{Value: attr("tags", "delivery")}, []string{"https://shop.example/shipping"}},
		{"string contains", &types.RetrievalFilterMemberStringContains{Value: attr("team", "port")}, []string{"s3://shop-docs/policies/refunds.md"}},
		{"string contains in a list", &types.RetrievalFilterMemberStringContains{Value: attr("tags", "eliv")}, []string{"https://shop.example/shipping"}},
		{"and all", &types.RetrievalFilterMemberAndAll{Value: []types.RetrievalFilter{
			&types.RetrievalFilterMemberGreaterThan{Value: attr("year", 2020)},
			&types.RetrievalFilterMemberEquals{Value: attr("public", true)},
		}}, []string{"s3://shop-docs/policies/refunds.md"}},
		{"or all", &types.RetrievalFilterMemberOrAll{Value: []types.RetrievalFilter{
			&types.RetrievalFilterMemberEquals{Value: attr("team", "finance")},
			&types.RetrievalFilterMemberListContains{Value: attr("tags", "delivery")},
		}}, []string{"https://shop.example/shipping", "escalations-42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := retrieve(context.Background(), c, "refunds returns ship escalations", &types.KnowledgeBaseVectorSearchConfiguration{Filter: tt.filter})
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			var got []string
			for _, r := range out.RetrievalResults {
				got = append(got, uri(r.Location))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
		})
	}
}

func uri(l *types.RetrievalResultLocation) string {
	switch {
	case l.S3Location != nil:
		return aws.ToString(l.S3Location.Uri)
	case l.WebLocation != nil:
		return aws.ToString(l.WebLocation.Url)
	case l.CustomDocumentLocation != nil:
		return aws.ToString(l.CustomDocumentLocation.Id)
	}
	return ""
}

// TestNumberOfResults checks the default and the limit of results.
func TestNumberOfResults(t *testing.T) {
	var docs []bedrockkbtest.Document
	for range 120 {
		docs = append(docs, bedrockkbtest.Document{Text: "returns"})
	}
	s := bedrockkbtest.New(t, bedrockkbtest.WithDocuments(docs...))
	for _, tt := range []struct {
		n    *int32
		want int
	}{{nil, 5}, {aws.Int32(1), 1}, {aws.Int32(100), 100}} {
		out, err := retrieve(context.Background(), client(s, 1), "returns", &types.KnowledgeBaseVectorSearchConfiguration{NumberOfResults: tt.n})
		if err != nil {
			t.Fatalf("Retrieve: %v", err)
		}
		if len(out.RetrievalResults) != tt.want {
			t.Errorf("numberOfResults %v: got %d results, want %d", aws.ToInt32(tt.n), len(out.RetrievalResults), tt.want)
		}
	}
}

// TestSDKParsesErrors shows the official client mapping each error the
// emulator answers to its modelled type, with the modelled status.
func TestSDKParsesErrors(t *testing.T) {
	one := &types.RetrievalFilterMemberAndAll{Value: []types.RetrievalFilter{
		&types.RetrievalFilterMemberEquals{Value: types.FilterAttribute{Key: aws.String("team"), Value: document.NewLazyDocument("x")}},
	}}
	tests := []struct {
		name       string
		failure    *bedrockkbtest.Failure
		kb         string
		vs         *types.KnowledgeBaseVectorSearchConfiguration
		wantCode   string
		wantStatus int
		wantMsg    string
		typed      func(error) bool
	}{
		{"unknown knowledge base", nil, "KBNOPE0001", nil, bedrockkbtest.CodeResourceNotFound, 404, "KBNOPE0001", isType[*types.ResourceNotFoundException]},
		{"knowledge base ID too long", nil, "KB12345678901", nil, bedrockkbtest.CodeValidation, 400, "Value 'KB12345678901' at 'knowledgeBaseId'", isType[*types.ValidationException]},
		{"knowledge base ID with a slash", nil, "KB/1", nil, bedrockkbtest.CodeValidation, 400, "regular expression pattern", isType[*types.ValidationException]},
		{
			"zero results", nil, "", &types.KnowledgeBaseVectorSearchConfiguration{NumberOfResults: aws.Int32(0)},
			bedrockkbtest.CodeValidation, 400, "'retrievalConfiguration.vectorSearchConfiguration.numberOfResults' failed to satisfy constraint: Member must have value greater than or equal to 1", isType[*types.ValidationException],
		},
		{
			"too many results", nil, "", &types.KnowledgeBaseVectorSearchConfiguration{NumberOfResults: aws.Int32(101)},
			bedrockkbtest.CodeValidation, 400, "less than or equal to 100", isType[*types.ValidationException],
		},
		{
			"unknown search type", nil, "", &types.KnowledgeBaseVectorSearchConfiguration{OverrideSearchType: "KEYWORD"},
			bedrockkbtest.CodeValidation, 400, "enum value set: [HYBRID, SEMANTIC]", isType[*types.ValidationException],
		},
		{
			"andAll of one", nil, "", &types.KnowledgeBaseVectorSearchConfiguration{Filter: one},
			bedrockkbtest.CodeValidation, 400, "filter.andAll' failed to satisfy constraint: Member must have length greater than or equal to 2", isType[*types.ValidationException],
		},
		{"throttled", &bedrockkbtest.Throttled(1)[0], "", nil, bedrockkbtest.CodeThrottling, 429, bedrockkbtest.MsgThrottling, isType[*types.ThrottlingException]},
		{"access denied", &bedrockkbtest.Failure{Code: bedrockkbtest.CodeAccessDenied}, "", nil, bedrockkbtest.CodeAccessDenied, 403, bedrockkbtest.MsgAccessDenied, isType[*types.AccessDeniedException]},
		{"quota", &bedrockkbtest.Failure{Code: bedrockkbtest.CodeServiceQuotaExceeded}, "", nil, bedrockkbtest.CodeServiceQuotaExceeded, 400, "", isType[*types.ServiceQuotaExceededException]},
		{"conflict", &bedrockkbtest.Failure{Code: bedrockkbtest.CodeConflict}, "", nil, bedrockkbtest.CodeConflict, 409, "", isType[*types.ConflictException]},
		{"dependency", &bedrockkbtest.Failure{Code: bedrockkbtest.CodeDependencyFailed}, "", nil, bedrockkbtest.CodeDependencyFailed, 424, "", isType[*types.DependencyFailedException]},
		{"bad gateway", &bedrockkbtest.Failure{Code: bedrockkbtest.CodeBadGateway}, "", nil, bedrockkbtest.CodeBadGateway, 502, "", isType[*types.BadGatewayException]},
		{"internal", &bedrockkbtest.Failure{Code: bedrockkbtest.CodeInternalServer, Message: "boom"}, "", nil, bedrockkbtest.CodeInternalServer, 500, "boom", isType[*types.InternalServerException]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bedrockkbtest.New(t, bedrockkbtest.WithDocuments(fixtures()...))
			if tt.failure != nil {
				s.Fail(*tt.failure)
			}
			kb := bedrockkbtest.KnowledgeBaseID
			if tt.kb != "" {
				kb = tt.kb
			}
			in := &bedrockagentruntime.RetrieveInput{
				KnowledgeBaseId: aws.String(kb),
				RetrievalQuery:  &types.KnowledgeBaseQuery{Text: aws.String("refunds")},
			}
			if tt.vs != nil {
				in.RetrievalConfiguration = &types.KnowledgeBaseRetrievalConfiguration{VectorSearchConfiguration: tt.vs}
			}
			_, err := client(s, 1).Retrieve(context.Background(), in)
			awstest.CheckAPIError(t, err, tt.wantCode, tt.wantMsg, tt.wantStatus)
			if !tt.typed(err) {
				t.Errorf("got %T, want the SDK's modelled error type", err)
			}
		})
	}
}

// TestSDKRetriesThrottling shows the SDK's retryer treating the
// emulator's ThrottlingException as a throttle and succeeding after it.
func TestSDKRetriesThrottling(t *testing.T) {
	s := bedrockkbtest.New(t, bedrockkbtest.WithDocuments(fixtures()...), bedrockkbtest.WithFailures(bedrockkbtest.Throttled(2)...))
	out, err := retrieve(context.Background(), client(s, 3), "refunds", nil)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	reqs := s.Requests()
	if len(out.RetrievalResults) == 0 || len(reqs) != 3 || reqs[0].Status != 429 || reqs[2].Status != 200 {
		t.Errorf("got %d results after %d requests %+v, want results on the third", len(out.RetrievalResults), len(reqs), reqs)
	}
}

func isType[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
}
