package kendra

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kendra/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var sdkTypes = cmpopts.IgnoreUnexported(types.AttributeFilter{}, types.DocumentAttribute{}, types.DocumentAttributeValue{})

func str(k, v string) *types.DocumentAttribute {
	return &types.DocumentAttribute{Key: aws.String(k), Value: &types.DocumentAttributeValue{StringValue: aws.String(v)}}
}

// TestParseFilter checks the JSON wire form decodes to the SDK's types.
func TestParseFilter(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		json string
		want *types.AttributeFilter
	}{
		{"none", ``, nil},
		{"null", `null`, nil},
		{
			"equals", `{"EqualsTo":{"Key":"_language_code","Value":{"StringValue":"en"}}}`,
			&types.AttributeFilter{EqualsTo: str("_language_code", "en")},
		},
		{
			"nested", `{"AndAllFilters":[{"EqualsTo":{"Key":"a","Value":{"StringValue":"x"}}},
			{"OrAllFilters":[{"ContainsAny":{"Key":"tags","Value":{"StringListValue":["p","q"]}}},
			{"NotFilter":{"EqualsTo":{"Key":"b","Value":{"StringValue":"y"}}}}]}]}`,
			&types.AttributeFilter{AndAllFilters: []types.AttributeFilter{
				{EqualsTo: str("a", "x")},
				{OrAllFilters: []types.AttributeFilter{
					{ContainsAny: &types.DocumentAttribute{Key: aws.String("tags"), Value: &types.DocumentAttributeValue{StringListValue: []string{"p", "q"}}}},
					{NotFilter: &types.AttributeFilter{EqualsTo: str("b", "y")}},
				}},
			}},
		},
		{
			"long", `{"GreaterThan":{"Key":"rev","Value":{"LongValue":9007199254740993}}}`,
			&types.AttributeFilter{GreaterThan: &types.DocumentAttribute{Key: aws.String("rev"), Value: &types.DocumentAttributeValue{LongValue: aws.Int64(9007199254740993)}}},
		},
		{
			"date in epoch seconds", `{"LessThan":{"Key":"_created_at","Value":{"DateValue":1714521600}}}`,
			&types.AttributeFilter{LessThan: &types.DocumentAttribute{Key: aws.String("_created_at"), Value: &types.DocumentAttributeValue{DateValue: aws.Time(day)}}},
		},
		{
			"date in RFC 3339", `{"LessThanOrEquals":{"Key":"_created_at","Value":{"DateValue":"2024-05-01T02:00:00+02:00"}}}`,
			&types.AttributeFilter{LessThanOrEquals: &types.DocumentAttribute{Key: aws.String("_created_at"), Value: &types.DocumentAttributeValue{DateValue: aws.Time(day)}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFilter(json.RawMessage(tt.json))
			if err != nil {
				t.Fatalf("parseFilter: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, sdkTypes, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("filter (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseFilterRefuses checks each malformed filter is refused with a
// message naming the place.
func TestParseFilterRefuses(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not an object", `[1]`, "AttributeFilter: want a JSON object"},
		{"empty object", `{}`, "sets 0 members"},
		{"two operations", `{"EqualsTo":{"Key":"a","Value":{"StringValue":"x"}},"NotFilter":{"EqualsTo":{"Key":"a","Value":{"StringValue":"x"}}}}`, "sets 2 members (EqualsTo, NotFilter)"},
		{"wrong case", `{"equalsTo":{"Key":"a","Value":{"StringValue":"x"}}}`, `AttributeFilter: unknown member "equalsTo"`},
		{"unknown attribute member", `{"EqualsTo":{"Key":"a","Value":{"StringValue":"x"},"Extra":1}}`, `AttributeFilter.EqualsTo: unknown member "Extra"`},
		{"no key", `{"EqualsTo":{"Value":{"StringValue":"x"}}}`, "AttributeFilter.EqualsTo.Key: want a non-empty string"},
		{"no value", `{"EqualsTo":{"Key":"a"}}`, "AttributeFilter.EqualsTo.Value: is required"},
		{"two values", `{"EqualsTo":{"Key":"a","Value":{"StringValue":"x","LongValue":1}}}`, "AttributeFilter.EqualsTo.Value: sets 2 members"},
		{"unknown value", `{"EqualsTo":{"Key":"a","Value":{"BoolValue":true}}}`, `unknown member "BoolValue"`},
		{"empty string", `{"EqualsTo":{"Key":"a","Value":{"StringValue":""}}}`, "StringValue: want a non-empty string"},
		{"fractional long", `{"EqualsTo":{"Key":"a","Value":{"LongValue":1.5}}}`, "LongValue: want an integer"},
		{"bad date", `{"EqualsTo":{"Key":"a","Value":{"DateValue":"yesterday"}}}`, "DateValue: want epoch seconds or an RFC 3339 date"},
		{"contains with a string", `{"ContainsAny":{"Key":"a","Value":{"StringValue":"x"}}}`, "StringValue is not allowed here (want StringListValue)"},
		{"ordered string", `{"GreaterThan":{"Key":"a","Value":{"StringValue":"x"}}}`, "want LongValue or DateValue"},
		{"empty list", `{"AndAllFilters":[]}`, "AttributeFilter.AndAllFilters: is empty"},
		{"list not an array", `{"OrAllFilters":{}}`, "want a JSON array of filters"},
		{
			"deep member", `{"AndAllFilters":[{"NotFilter":{"EqualsTo":{"Key":"a","Value":{"StringListValue":"x"}}}}]}`,
			"AttributeFilter.AndAllFilters[0].NotFilter.EqualsTo.Value.StringListValue: want a non-empty array of strings",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFilter(json.RawMessage(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestFilterLimits checks Kendra's depth and list limits, the language
// filter included.
func TestFilterLimits(t *testing.T) {
	leaf := types.AttributeFilter{EqualsTo: str("a", "x")}
	ten := make([]types.AttributeFilter, 10)
	for i := range ten {
		ten[i] = leaf
	}
	tests := []struct {
		name   string
		filter *types.AttributeFilter
		lang   string
		want   string // "" for accepted
	}{
		{"depth 2", &types.AttributeFilter{AndAllFilters: []types.AttributeFilter{{OrAllFilters: []types.AttributeFilter{leaf}}}}, "", ""},
		{"depth 3", &types.AttributeFilter{NotFilter: &types.AttributeFilter{AndAllFilters: []types.AttributeFilter{{OrAllFilters: []types.AttributeFilter{leaf}}}}}, "", "nests 3 logical operators"},
		{"language joins an AND", &types.AttributeFilter{AndAllFilters: []types.AttributeFilter{{OrAllFilters: []types.AttributeFilter{leaf}}}}, "en", ""},
		{"language wraps an OR", &types.AttributeFilter{OrAllFilters: []types.AttributeFilter{{NotFilter: &leaf}}}, "en", "nests 3 logical operators"},
		{"ten", &types.AttributeFilter{OrAllFilters: ten}, "", ""},
		{"ten and the language", &types.AttributeFilter{AndAllFilters: ten}, "en", "a list of 11 filters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.filter
			if tt.lang != "" {
				f = withLanguage(f, tt.lang)
			}
			err := checkLimits(f)
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestWithLanguageLeavesFilterAlone checks the configured filter is not
// changed by folding the language in.
func TestWithLanguageLeavesFilterAlone(t *testing.T) {
	f := &types.AttributeFilter{AndAllFilters: make([]types.AttributeFilter, 1, 4)}
	f.AndAllFilters[0] = types.AttributeFilter{EqualsTo: str("a", "x")}
	got := withLanguage(f, "es")
	if len(f.AndAllFilters) != 1 || len(got.AndAllFilters) != 2 || cap(f.AndAllFilters) != 4 {
		t.Fatalf("got %d and %d filters, want 1 and 2", len(f.AndAllFilters), len(got.AndAllFilters))
	}
	f.AndAllFilters = append(f.AndAllFilters, types.AttributeFilter{EqualsTo: str("b", "y")})
	if diff := cmp.Diff(str(languageKey, "es"), got.AndAllFilters[1].EqualsTo, sdkTypes); diff != "" {
		t.Errorf("language filter (-want +got):\n%s", diff)
	}
}

// TestConfidenceScore checks the documented bucket scores.
func TestConfidenceScore(t *testing.T) {
	for c, want := range map[string]float64{
		"VERY_HIGH": 1, "HIGH": 0.75, "MEDIUM": 0.5, "LOW": 0.25, "NOT_AVAILABLE": 0, "": 0, "SOMETHING_NEW": 0,
	} {
		if got := ConfidenceScore(c); got != want {
			t.Errorf("ConfidenceScore(%q): got %v, want %v", c, got, want)
		}
	}
}
