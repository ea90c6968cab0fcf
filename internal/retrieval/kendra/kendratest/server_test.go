package kendratest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kendra"
	"github.com/aws/aws-sdk-go-v2/service/kendra/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/outcrop/outcrop/internal/awstest"
	"github.com/outcrop/outcrop/internal/retrieval/kendra/kendratest"
)

// published is the fixtures' date, with the protocol's millisecond
// precision.
func published() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC) }

// fixtures are a small index about a shop's policies.
func fixtures() []kendratest.Document {
	return []kendratest.Document{
		{
			ID: "refunds", Title: "Refund policy", URI: "https://shop.example/refunds",
			Text: "Refunds are issued within 14 days of a return.",
			Attributes: map[string]kendratest.Value{
				"_language_code": kendratest.String("en"),
				"_category":      kendratest.String("policy"),
				"tags":           kendratest.StringList("money", "returns"),
				"revision":       kendratest.Long(3),
				"_created_at":    kendratest.Date(published()),
			},
		},
		{
			ID: "shipping", Title: "Shipping",
			Text: "Orders ship within two days; returns ship free.",
			Attributes: map[string]kendratest.Value{
				"_language_code": kendratest.String("en"),
				"_category":      kendratest.String("faq"),
				"tags":           kendratest.StringList("delivery"),
				"revision":       kendratest.Long(7),
			},
		},
		{
			ID: "reembolsos", Title: "Reembolsos",
			Text: "Los refunds se emiten en 14 días.",
			Attributes: map[string]kendratest.Value{
				"_language_code": kendratest.String("es"),
				"_category":      kendratest.String("policy"),
			},
		},
	}
}

// client is the official SDK client aimed at s, without retries unless
// attempts says otherwise, and without backoff.
func client(s *kendratest.Server, attempts int) *kendra.Client {
	return kendra.NewFromConfig(s.AWSConfig(), func(o *kendra.Options) {
		o.Retryer = awstest.Retryer(attempts)
	})
}

func retrieve(ctx context.Context, c *kendra.Client, query string, mod ...func(*kendra.RetrieveInput)) (*kendra.RetrieveOutput, error) {
	in := &kendra.RetrieveInput{IndexId: aws.String(kendratest.IndexID), QueryText: aws.String(query)}
	for _, m := range mod {
		m(in)
	}
	return c.Retrieve(ctx, in)
}

// TestSDKParsesRetrieve shows the official client decoding what the
// emulator serves: order, buckets, attributes of every kind.
func TestSDKParsesRetrieve(t *testing.T) {
	s := kendratest.New(t, kendratest.WithDocuments(fixtures()...))
	out, err := retrieve(context.Background(), client(s, 1), "How are refunds issued?")
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if out.QueryId == nil || len(*out.QueryId) != 36 {
		t.Errorf("got QueryId %v, want 36 characters", out.QueryId)
	}
	if len(out.ResultItems) != 2 {
		t.Fatalf("got %d items, want 2 (refunds, reembolsos)", len(out.ResultItems))
	}
	want := types.RetrieveResultItem{
		DocumentId: aws.String("refunds"), DocumentTitle: aws.String("Refund policy"),
		Content:     aws.String("Refunds are issued within 14 days of a return."),
		DocumentURI: aws.String("https://shop.example/refunds"),
		DocumentAttributes: []types.DocumentAttribute{
			{Key: aws.String("_category"), Value: &types.DocumentAttributeValue{StringValue: aws.String("policy")}},
			{Key: aws.String("_created_at"), Value: &types.DocumentAttributeValue{DateValue: aws.Time(published())}},
			{Key: aws.String("_language_code"), Value: &types.DocumentAttributeValue{StringValue: aws.String("en")}},
			{Key: aws.String("revision"), Value: &types.DocumentAttributeValue{LongValue: aws.Int64(3)}},
			{Key: aws.String("tags"), Value: &types.DocumentAttributeValue{StringListValue: []string{"money", "returns"}}},
		},
		ScoreAttributes: &types.ScoreAttributes{ScoreConfidence: types.ScoreConfidenceVeryHigh},
	}
	opts := cmp.Options{
		cmpopts.IgnoreUnexported(types.RetrieveResultItem{}, types.DocumentAttribute{}, types.DocumentAttributeValue{}, types.ScoreAttributes{}),
		cmpopts.IgnoreFields(types.RetrieveResultItem{}, "Id"),
	}
	if diff := cmp.Diff(want, out.ResultItems[0], opts); diff != "" {
		t.Errorf("first item (-want +got):\n%s", diff)
	}
	if id := aws.ToString(out.ResultItems[0].Id); !strings.HasPrefix(id, *out.QueryId+"-") || len(id) > 73 {
		t.Errorf("got Id %q, want the QueryId's prefix and at most 73 characters", id)
	}
	second := out.ResultItems[1]
	if aws.ToString(second.DocumentId) != "reembolsos" || second.ScoreAttributes.ScoreConfidence != types.ScoreConfidenceMedium || second.DocumentURI != nil {
		t.Errorf("got second %s %s URI %v, want reembolsos MEDIUM without URI",
			aws.ToString(second.DocumentId), second.ScoreAttributes.ScoreConfidence, second.DocumentURI)
	}
}

// TestSDKFilters checks the AttributeFilter operators the emulator
// evaluates, sent by the official client.
func TestSDKFilters(t *testing.T) {
	s := kendratest.New(t, kendratest.WithDocuments(fixtures()...))
	c := client(s, 1)
	str := func(k, v string) *types.DocumentAttribute {
		return &types.DocumentAttribute{Key: aws.String(k), Value: &types.DocumentAttributeValue{StringValue: aws.String(v)}}
	}
	list := func(k string, v ...string) *types.DocumentAttribute {
		return &types.DocumentAttribute{Key: aws.String(k), Value: &types.DocumentAttributeValue{StringListValue: v}}
	}
	long := func(k string, n int64) *types.DocumentAttribute {
		return &types.DocumentAttribute{Key: aws.String(k), Value: &types.DocumentAttributeValue{LongValue: aws.Int64(n)}}
	}
	tests := []struct {
		name   string
		filter types.AttributeFilter
		want   []string
	}{
		{"equals", types.AttributeFilter{EqualsTo: str("_language_code", "es")}, []string{"reembolsos"}},
		{"contains any", types.AttributeFilter{ContainsAny: list("tags", "delivery", "gifts")}, []string{"shipping"}},
		{"contains any on a string", types.AttributeFilter{ContainsAny: list("_category", "faq", "other")}, []string{"shipping"}},
		{"contains all", types.AttributeFilter{ContainsAll: list("tags", "money", "returns")}, []string{"refunds"}},
		{"and", types.AttributeFilter{AndAllFilters: []types.AttributeFilter{
			{EqualsTo: str("_category", "policy")}, {EqualsTo: str("_language_code", "en")},
		}}, []string{"refunds"}},
		{"or", types.AttributeFilter{OrAllFilters: []types.AttributeFilter{
			{EqualsTo: str("_category", "faq")}, {EqualsTo: str("_language_code", "es")},
		}}, []string{"shipping", "reembolsos"}},
		{"not", types.AttributeFilter{NotFilter: &types.AttributeFilter{EqualsTo: str("_category", "policy")}}, []string{"shipping"}},
		{"greater than", types.AttributeFilter{GreaterThan: long("revision", 3)}, []string{"shipping"}},
		{"less than or equals", types.AttributeFilter{LessThanOrEquals: long("revision", 3)}, []string{"refunds"}},
		{"date", types.AttributeFilter{GreaterThanOrEquals: &types.DocumentAttribute{
			Key: aws.String("_created_at"), Value: &types.DocumentAttributeValue{DateValue: aws.Time(published())},
		}}, []string{"refunds"}},
		{"depth 2", types.AttributeFilter{AndAllFilters: []types.AttributeFilter{
			{EqualsTo: str("_language_code", "en")},
			{OrAllFilters: []types.AttributeFilter{{EqualsTo: str("_category", "faq")}, {ContainsAny: list("tags", "money")}}},
		}}, []string{"shipping", "refunds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := retrieve(context.Background(), c, "refunds returns ship", func(in *kendra.RetrieveInput) {
				in.AttributeFilter = &tt.filter
			})
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			var got []string
			for _, it := range out.ResultItems {
				got = append(got, aws.ToString(it.DocumentId))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPaging checks PageSize (cut at 100, not refused) and PageNumber.
func TestPaging(t *testing.T) {
	var docs []kendratest.Document
	for range 120 {
		docs = append(docs, kendratest.Document{Text: "returns"})
	}
	s := kendratest.New(t, kendratest.WithDocuments(docs...))
	c := client(s, 1)
	tests := []struct {
		size, page *int32
		want       int
		first      string
	}{
		{nil, nil, 10, "doc-1"},
		{aws.Int32(500), nil, 100, "doc-1"},
		{aws.Int32(50), aws.Int32(3), 20, "doc-101"},
		{aws.Int32(50), aws.Int32(4), 0, ""},
	}
	for _, tt := range tests {
		out, err := retrieve(context.Background(), c, "returns", func(in *kendra.RetrieveInput) {
			in.PageSize, in.PageNumber = tt.size, tt.page
		})
		if err != nil {
			t.Fatalf("Retrieve: %v", err)
		}
		first := ""
		if len(out.ResultItems) > 0 {
			first = aws.ToString(out.ResultItems[0].DocumentId)
		}
		if len(out.ResultItems) != tt.want || first != tt.first {
			t.Errorf("size %v page %v: got %d items from %q, want %d from %q",
				aws.ToInt32(tt.size), aws.ToInt32(tt.page), len(out.ResultItems), first, tt.want, tt.first)
		}
	}
}

// TestSDKParsesErrors shows the official client mapping each error the
// emulator answers to its modelled type, with the status Kendra uses.
func TestSDKParsesErrors(t *testing.T) {
	deep := types.AttributeFilter{NotFilter: &types.AttributeFilter{AndAllFilters: []types.AttributeFilter{
		{OrAllFilters: []types.AttributeFilter{{EqualsTo: &types.DocumentAttribute{
			Key: aws.String("k"), Value: &types.DocumentAttributeValue{StringValue: aws.String("v")},
		}}}},
	}}}
	long := types.AttributeFilter{OrAllFilters: make([]types.AttributeFilter, 11)}
	for i := range long.OrAllFilters {
		long.OrAllFilters[i] = types.AttributeFilter{EqualsTo: &types.DocumentAttribute{
			Key: aws.String("k"), Value: &types.DocumentAttributeValue{LongValue: aws.Int64(int64(i))},
		}}
	}
	tests := []struct {
		name       string
		failure    *kendratest.Failure
		mod        func(*kendra.RetrieveInput)
		wantCode   string
		wantStatus int
		wantMsg    string
		typed      func(error) bool
	}{
		{
			"unknown index", nil, func(in *kendra.RetrieveInput) { in.IndexId = aws.String("00000000-0000-0000-0000-000000000000") },
			kendratest.CodeResourceNotFound, 400, "does not exist", isType[*types.ResourceNotFoundException],
		},
		{
			"short index ID", nil, func(in *kendra.RetrieveInput) { in.IndexId = aws.String("abc") },
			kendratest.CodeValidation, 400, "Value 'abc' at 'indexId' failed to satisfy constraint", isType[*types.ValidationException],
		},
		{
			"empty query", nil, func(in *kendra.RetrieveInput) { in.QueryText = aws.String(" ") },
			kendratest.CodeValidation, 400, "query text can't be empty", isType[*types.ValidationException],
		},
		{
			"page size 0", nil, func(in *kendra.RetrieveInput) { in.PageSize = aws.Int32(0) },
			kendratest.CodeValidation, 400, "1 validation error detected: Value '0' at 'pageSize'", isType[*types.ValidationException],
		},
		{
			"filter too deep", nil, func(in *kendra.RetrieveInput) { in.AttributeFilter = &deep },
			kendratest.CodeValidation, 400, kendratest.MsgFilterDepth, isType[*types.ValidationException],
		},
		{
			"filter list too long", nil, func(in *kendra.RetrieveInput) { in.AttributeFilter = &long },
			kendratest.CodeValidation, 400, kendratest.MsgFilterLength, isType[*types.ValidationException],
		},
		{"two operations", nil, func(in *kendra.RetrieveInput) {
			in.AttributeFilter = &types.AttributeFilter{EqualsTo: long.OrAllFilters[0].EqualsTo, LessThan: long.OrAllFilters[1].EqualsTo}
		}, kendratest.CodeValidation, 400, "exactly one operation", isType[*types.ValidationException]},
		{
			"throttled", &kendratest.Throttled(1)[0], nil,
			kendratest.CodeThrottling, 400, kendratest.MsgThrottling, isType[*types.ThrottlingException],
		},
		{
			"access denied", &kendratest.Failure{Code: kendratest.CodeAccessDenied}, nil,
			kendratest.CodeAccessDenied, 400, kendratest.MsgAccessDenied, isType[*types.AccessDeniedException],
		},
		{
			"quota", &kendratest.Failure{Code: kendratest.CodeServiceQuotaExceeded}, nil,
			kendratest.CodeServiceQuotaExceeded, 400, "", isType[*types.ServiceQuotaExceededException],
		},
		{
			"internal", &kendratest.Failure{Code: kendratest.CodeInternalServer, Message: "boom"}, nil,
			kendratest.CodeInternalServer, 500, "boom", isType[*types.InternalServerException],
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := kendratest.New(t, kendratest.WithDocuments(fixtures()...))
			if tt.failure != nil {
				s.Fail(*tt.failure)
			}
			var mods []func(*kendra.RetrieveInput)
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			_, err := retrieve(context.Background(), client(s, 1), "refunds", mods...)
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
	s := kendratest.New(t, kendratest.WithDocuments(fixtures()...), kendratest.WithFailures(kendratest.Throttled(2)...))
	out, err := retrieve(context.Background(), client(s, 3), "refunds")
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	reqs := s.Requests()
	if len(out.ResultItems) == 0 || len(reqs) != 3 || reqs[0].ErrorCode != kendratest.CodeThrottling || reqs[2].Status != 200 {
		t.Errorf("got %d items after %d requests %+v, want results on the third", len(out.ResultItems), len(reqs), reqs)
	}
}

func isType[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
}
