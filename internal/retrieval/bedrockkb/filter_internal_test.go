package bedrockkb

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
)

// render turns the SDK's union back into its JSON form, the document
// values marshalled by the SDK's own document encoder.
func render(t *testing.T, f types.RetrievalFilter) any {
	t.Helper()
	list := func(fs []types.RetrievalFilter) []any {
		out := make([]any, len(fs))
		for i := range fs {
			out[i] = render(t, fs[i])
		}
		return out
	}
	var op string
	var a types.FilterAttribute
	switch v := f.(type) {
	case *types.RetrievalFilterMemberAndAll:
		return map[string]any{"andAll": list(v.Value)}
	case *types.RetrievalFilterMemberOrAll:
		return map[string]any{"orAll": list(v.Value)}
	case *types.RetrievalFilterMemberEquals:
		op, a = "equals", v.Value
	case *types.RetrievalFilterMemberNotEquals:
		op, a = "notEquals", v.Value
	case *types.RetrievalFilterMemberGreaterThan:
		op, a = "greaterThan", v.Value
	case *types.RetrievalFilterMemberGreaterThanOrEquals:
		op, a = "greaterThanOrEquals", v.Value
	case *types.RetrievalFilterMemberLessThan:
		op, a = "lessThan", v.Value
	case *types.RetrievalFilterMemberLessThanOrEquals:
		op, a = "lessThanOrEquals", v.Value
	case *types.RetrievalFilterMemberIn:
		op, a = "in", v.Value
	case *types.RetrievalFilterMemberNotIn:
		op, a = "notIn", v.Value
	case *types.RetrievalFilterMemberStartsWith:
		op, a = "startsWith", v.Value
	case *types.RetrievalFilterMemberListContains:
		op, a = "listContains", v.Value
	case *types.RetrievalFilterMemberStringContains:
		op, a = "stringContains", v.Value
	default:
		t.Fatalf("unexpected member %T", f)
	}
	b, err := a.Value.MarshalSmithyDocument()
	if err != nil {
		t.Fatalf("marshal %s value: %v", op, err)
	}
	return map[string]any{op: map[string]any{"key": *a.Key, "value": json.RawMessage(b)}}
}

// TestParseFilter round-trips every operator through the SDK's types:
// what the SDK will send is what was configured.
func TestParseFilter(t *testing.T) {
	for _, in := range []string{
		`{"equals":{"key":"team","value":"docs"}}`,
		`{"equals":{"key":"public","value":true}}`,
		`{"notEquals":{"key":"team","value":"docs"}}`,
		`{"greaterThan":{"key":"year","value":1989}}`,
		`{"greaterThanOrEquals":{"key":"year","value":2.5}}`,
		`{"lessThan":{"key":"id","value":9007199254740993}}`,
		`{"lessThanOrEquals":{"key":"ratio","value":-1e-7}}`,
		`{"in":{"key":"animal","value":["cat","dog",3]}}`,
		`{"notIn":{"key":"animal","value":["cat"]}}`,
		`{"startsWith":{"key":"animal","value":"ca"}}`,
		`{"listContains":{"key":"animals","value":"cat"}}`,
		`{"stringContains":{"key":"animal","value":"at"}}`,
		`{"andAll":[{"equals":{"key":"a","value":1}},{"orAll":[{"in":{"key":"b","value":["x"]}},{"notEquals":{"key":"c","value":false}}]}]}`,
	} {
		t.Run(in, func(t *testing.T) {
			f, err := parseFilter(json.RawMessage(in))
			if err != nil {
				t.Fatalf("parseFilter: %v", err)
			}
			got, err := json.Marshal(render(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != in {
				t.Errorf("got %s, want %s", got, in)
			}
		})
	}
	for _, none := range []string{``, `null`, " \n"} {
		if f, err := parseFilter(json.RawMessage(none)); f != nil || err != nil {
			t.Errorf("parseFilter(%q): got %v, %v; want no filter", none, f, err)
		}
	}
}

// TestParseFilterRefuses checks each malformed filter is refused with a
// message naming the place.
func TestParseFilterRefuses(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not an object", `"equals"`, "Filter: want a JSON object"},
		{"empty", `{}`, "sets 0 members"},
		{"two members", `{"equals":{"key":"a","value":1},"in":{"key":"a","value":[1]}}`, "sets 2 members (equals, in), a RetrievalFilter is a union of exactly one"},
		{"wrong case", `{"Equals":{"key":"a","value":1}}`, `Filter: unknown member "Equals"`},
		{"unknown operator", `{"like":{"key":"a","value":"x%"}}`, `unknown member "like"`},
		{"andAll of one", `{"andAll":[{"equals":{"key":"a","value":1}}]}`, "Filter.andAll: has 1 filters, the API wants at least 2"},
		{"orAll not a list", `{"orAll":{"equals":{"key":"a","value":1}}}`, "Filter.orAll: want a JSON array of filters"},
		{"capital key", `{"equals":{"Key":"a","value":1}}`, `Filter.equals: unknown member "Key"`},
		{"no key", `{"equals":{"value":1}}`, "Filter.equals.key: want a string of 1 to 100 characters"},
		{"long key", `{"equals":{"key":"` + strings.Repeat("k", 101) + `","value":1}}`, "Filter.equals.key: want a string of 1 to 100"},
		{"no value", `{"equals":{"key":"a"}}`, "Filter.equals.value: want a string, number or boolean"},
		{"null value", `{"equals":{"key":"a","value":null}}`, "Filter.equals.value: want a string, number or boolean"},
		{"object value", `{"equals":{"key":"a","value":{"x":1}}}`, "want a string, number or boolean"},
		{"in a scalar", `{"in":{"key":"a","value":"cat"}}`, "Filter.in.value: want a non-empty array"},
		{"in nothing", `{"notIn":{"key":"a","value":[]}}`, "Filter.notIn.value: want a non-empty array"},
		{"in lists", `{"in":{"key":"a","value":[["x"]]}}`, "want a non-empty array of strings, numbers or booleans"},
		{"greater than a string", `{"greaterThan":{"key":"year","value":"1989"}}`, "Filter.greaterThan.value: want a number"},
		{"starts with a number", `{"startsWith":{"key":"a","value":1}}`, "Filter.startsWith.value: want a string"},
		{
			"deep", `{"andAll":[{"equals":{"key":"a","value":1}},{"orAll":[{"equals":{"key":"b","value":1}},{"lessThan":{"key":"c","value":true}}]}]}`,
			"Filter.andAll[1].orAll[1].lessThan.value: want a number",
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
