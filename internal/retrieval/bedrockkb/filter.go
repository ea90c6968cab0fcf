package bedrockkb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	smithydocument "github.com/aws/smithy-go/document"
)

// The members of the RetrievalFilter union, spelled as on the wire (the
// SDK's serializers.go, awsRestjson1_serializeDocumentRetrievalFilter).
const (
	opAndAll         = "andAll"
	opOrAll          = "orAll"
	opEquals         = "equals"
	opNotEquals      = "notEquals"
	opGreater        = "greaterThan"
	opGreaterEq      = "greaterThanOrEquals"
	opLess           = "lessThan"
	opLessEq         = "lessThanOrEquals"
	opIn             = "in"
	opNotIn          = "notIn"
	opStartsWith     = "startsWith"
	opListContains   = "listContains"
	opStringContains = "stringContains"
)

var filterOps = []string{
	opAndAll, opOrAll, opEquals, opNotEquals, opGreater, opGreaterEq, opLess, opLessEq,
	opIn, opNotIn, opStartsWith, opListContains, opStringContains,
}

// Limits of the model: a RetrievalFilterList has at least 2 members, a
// FilterAttribute key 1 to 100 characters (botocore's
// bedrock-agent-runtime service-2.json).
const (
	minFilterList = 2
	maxFilterKey  = 100
)

// valueKind is what a filter operator compares with, from the examples of
// the RetrievalFilter members in the model's documentation.
type valueKind int

const (
	kindScalar valueKind = iota // a string, number or boolean
	kindNumber
	kindString
	kindList // a non-empty array of scalars
)

func kindOf(op string) valueKind {
	switch op {
	case opGreater, opGreaterEq, opLess, opLessEq:
		return kindNumber
	case opStartsWith, opStringContains:
		return kindString
	case opIn, opNotIn:
		return kindList
	}
	return kindScalar
}

// parseFilter decodes a RetrievalFilter from its JSON wire form into the
// SDK's union. Empty or null is no filter. Member names are matched
// exactly, each filter sets exactly one member (it is a union), andAll and
// orAll take at least 2 filters.
func parseFilter(raw json.RawMessage) (types.RetrievalFilter, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil
	}
	return decodeFilter(raw, "Filter")
}

func decodeFilter(raw json.RawMessage, path string) (types.RetrievalFilter, error) {
	key, v, err := onlyMember(raw, path)
	if err != nil {
		return nil, err
	}
	p := path + "." + key
	if key == opAndAll || key == opOrAll {
		list, err := decodeList(v, p)
		if err != nil {
			return nil, err
		}
		if key == opAndAll {
			return &types.RetrievalFilterMemberAndAll{Value: list}, nil
		}
		return &types.RetrievalFilterMemberOrAll{Value: list}, nil
	}
	a, err := decodeAttribute(v, p, kindOf(key))
	if err != nil {
		return nil, err
	}
	return member(key, a), nil
}

// member wraps a in the union member op names.
func member(op string, a types.FilterAttribute) types.RetrievalFilter {
	switch op {
	case opEquals:
		return &types.RetrievalFilterMemberEquals{Value: a}
	case opNotEquals:
		return &types.RetrievalFilterMemberNotEquals{Value: a}
	case opGreater:
		return &types.RetrievalFilterMemberGreaterThan{Value: a}
	case opGreaterEq:
		return &types.RetrievalFilterMemberGreaterThanOrEquals{Value: a}
	case opLess:
		return &types.RetrievalFilterMemberLessThan{Value: a}
	case opLessEq:
		return &types.RetrievalFilterMemberLessThanOrEquals{Value: a}
	case opIn:
		return &types.RetrievalFilterMemberIn{Value: a}
	case opNotIn:
		return &types.RetrievalFilterMemberNotIn{Value: a}
	case opStartsWith:
		return &types.RetrievalFilterMemberStartsWith{Value: a}
	case opListContains:
		return &types.RetrievalFilterMemberListContains{Value: a}
	default: // opStringContains
		return &types.RetrievalFilterMemberStringContains{Value: a}
	}
}

func decodeList(raw json.RawMessage, path string) ([]types.RetrievalFilter, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, fmt.Errorf("%s: want a JSON array of filters", path)
	}
	if len(items) < minFilterList {
		return nil, fmt.Errorf("%s: has %d filters, the API wants at least %d", path, len(items), minFilterList)
	}
	out := make([]types.RetrievalFilter, len(items))
	for i, item := range items {
		f, err := decodeFilter(item, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// decodeAttribute decodes a FilterAttribute. Its value is a document in
// the SDK: it is passed through as decoded JSON, numbers kept as their
// literal (smithy document.Number, written verbatim by the SDK's document
// encoder) so that no precision is lost.
func decodeAttribute(raw json.RawMessage, path string, kind valueKind) (types.FilterAttribute, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return types.FilterAttribute{}, fmt.Errorf("%s: want a JSON object", path)
	}
	for k := range obj {
		if k != "key" && k != "value" {
			return types.FilterAttribute{}, fmt.Errorf("%s: unknown member %q (want key and value)", path, k)
		}
	}
	var key string
	if err := json.Unmarshal(obj["key"], &key); err != nil || key == "" || len(key) > maxFilterKey {
		return types.FilterAttribute{}, fmt.Errorf("%s.key: want a string of 1 to %d characters", path, maxFilterKey)
	}
	dec := json.NewDecoder(bytes.NewReader(obj["value"]))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || !kindMatches(kind, v) {
		return types.FilterAttribute{}, fmt.Errorf("%s.value: want %s", path, kindName(kind))
	}
	return types.FilterAttribute{Key: aws.String(key), Value: document.NewLazyDocument(toDocument(v))}, nil
}

func kindMatches(kind valueKind, v any) bool {
	switch kind {
	case kindNumber:
		_, ok := v.(json.Number)
		return ok
	case kindString:
		_, ok := v.(string)
		return ok
	case kindList:
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			return false
		}
		return !slices.ContainsFunc(l, func(x any) bool { return !isScalar(x) })
	}
	return isScalar(v)
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, json.Number, bool:
		return true
	}
	return false
}

func kindName(kind valueKind) string {
	switch kind {
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindList:
		return "a non-empty array of strings, numbers or booleans"
	}
	return "a string, number or boolean"
}

// toDocument converts decoded JSON for the SDK's document encoder, which
// would write a json.Number (a string kind) as a quoted string.
func toDocument(v any) any {
	switch x := v.(type) {
	case json.Number:
		return smithydocument.Number(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = toDocument(x[i])
		}
		return out
	}
	return v
}

// onlyMember returns the one member of the JSON object raw, which must be
// a RetrievalFilter member.
func onlyMember(raw json.RawMessage, path string) (string, json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return "", nil, fmt.Errorf("%s: want a JSON object", path)
	}
	for k := range obj {
		if !slices.Contains(filterOps, k) {
			return "", nil, fmt.Errorf("%s: unknown member %q (want one of %s)", path, k, strings.Join(filterOps, ", "))
		}
	}
	if len(obj) != 1 {
		return "", nil, fmt.Errorf("%s: sets %d members (%s), a RetrievalFilter is a union of exactly one",
			path, len(obj), strings.Join(slices.Sorted(maps.Keys(obj)), ", "))
	}
	var key string
	for k := range obj {
		key = k
	}
	return key, obj[key], nil
}
