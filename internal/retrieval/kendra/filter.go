package kendra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kendra/types"
)

// Limits Kendra puts on an AttributeFilter, quoted from the model's
// documentation of the shape (shared/spec/aws-models/kendra): "You cannot
// filter more than a depth of 2" and "more than 10 attribute filters in a
// given list for AndAllFilters or OrAllFilters" is a ValidationException.
const (
	maxFilterDepth = 2
	maxFilterList  = 10
)

// languageKey is the reserved attribute of a document's language
// (https://docs.aws.amazon.com/kendra/latest/dg/in-adding-languages.html).
const languageKey = "_language_code"

// The members of the AttributeFilter and DocumentAttributeValue shapes of
// the Kendra model, spelled as on the wire.
const (
	opAnd     = "AndAllFilters"
	opOr      = "OrAllFilters"
	opNot     = "NotFilter"
	opEquals  = "EqualsTo"
	opAll     = "ContainsAll"
	opAny     = "ContainsAny"
	opGreater = "GreaterThan"
	opGreatEq = "GreaterThanOrEquals"
	opLess    = "LessThan"
	opLessEq  = "LessThanOrEquals"

	valString = "StringValue"
	valList   = "StringListValue"
	valLong   = "LongValue"
	valDate   = "DateValue"
)

var (
	filterOps = []string{opAnd, opOr, opNot, opEquals, opAll, opAny, opGreater, opGreatEq, opLess, opLessEq}
	valueKeys = []string{valString, valList, valLong, valDate}
)

// parseFilter decodes an AttributeFilter from its JSON wire form into the
// SDK's type. Empty or null is no filter. Member names are matched exactly
// (encoding/json would accept "equalsto"), and each filter and value must
// set exactly one member: "You can only provide one attribute filter"
// (RetrieveRequest.AttributeFilter in the model).
func parseFilter(raw json.RawMessage) (*types.AttributeFilter, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil
	}
	f, err := decodeFilter(raw, "AttributeFilter")
	if err != nil {
		return nil, err
	}
	return &f, nil
}

func decodeFilter(raw json.RawMessage, path string) (types.AttributeFilter, error) {
	var f types.AttributeFilter
	key, v, err := onlyMember(raw, path, filterOps)
	if err != nil {
		return f, err
	}
	p := path + "." + key
	switch key {
	case opAnd:
		f.AndAllFilters, err = decodeList(v, p)
	case opOr:
		f.OrAllFilters, err = decodeList(v, p)
	case opNot:
		var not types.AttributeFilter
		not, err = decodeFilter(v, p)
		f.NotFilter = &not
	case opEquals:
		f.EqualsTo, err = decodeAttribute(v, p, valueKeys)
	case opAll:
		// "This filter is only applicable to StringListValue" (model).
		f.ContainsAll, err = decodeAttribute(v, p, []string{valList})
	case opAny:
		f.ContainsAny, err = decodeAttribute(v, p, []string{valList})
	case opGreater, opGreatEq, opLess, opLessEq:
		// "Use with the document attribute type Date or Long" (model).
		var a *types.DocumentAttribute
		a, err = decodeAttribute(v, p, []string{valLong, valDate})
		setOrdered(&f, key, a)
	}
	return f, err
}

func setOrdered(f *types.AttributeFilter, op string, a *types.DocumentAttribute) {
	switch op {
	case opGreater:
		f.GreaterThan = a
	case opGreatEq:
		f.GreaterThanOrEquals = a
	case opLess:
		f.LessThan = a
	case opLessEq:
		f.LessThanOrEquals = a
	}
}

func decodeList(raw json.RawMessage, path string) ([]types.AttributeFilter, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, fmt.Errorf("%s: want a JSON array of filters", path)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: is empty", path)
	}
	out := make([]types.AttributeFilter, len(items))
	for i, item := range items {
		f, err := decodeFilter(item, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// decodeAttribute decodes a DocumentAttribute whose value may only be of
// the allowed kinds.
func decodeAttribute(raw json.RawMessage, path string, allowed []string) (*types.DocumentAttribute, error) {
	obj, err := members(raw, path)
	if err != nil {
		return nil, err
	}
	for k := range obj {
		if k != "Key" && k != "Value" {
			return nil, fmt.Errorf("%s: unknown member %q (want Key and Value)", path, k)
		}
	}
	var key string
	if err := json.Unmarshal(obj["Key"], &key); err != nil || key == "" {
		return nil, fmt.Errorf("%s.Key: want a non-empty string", path)
	}
	if len(key) > 200 {
		return nil, fmt.Errorf("%s.Key: longer than Kendra's 200 characters", path)
	}
	if _, ok := obj["Value"]; !ok {
		return nil, fmt.Errorf("%s.Value: is required", path)
	}
	v, err := decodeValue(obj["Value"], path+".Value", allowed)
	if err != nil {
		return nil, err
	}
	return &types.DocumentAttribute{Key: aws.String(key), Value: v}, nil
}

func decodeValue(raw json.RawMessage, path string, allowed []string) (*types.DocumentAttributeValue, error) {
	key, v, err := onlyMember(raw, path, valueKeys)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(allowed, key) {
		return nil, fmt.Errorf("%s: %s is not allowed here (want %s)", path, key, strings.Join(allowed, " or "))
	}
	p := path + "." + key
	var out types.DocumentAttributeValue
	switch key {
	case valString:
		var s string
		if err := json.Unmarshal(v, &s); err != nil || s == "" {
			return nil, fmt.Errorf("%s: want a non-empty string", p)
		}
		out.StringValue = &s
	case valList:
		var l []string
		if err := json.Unmarshal(v, &l); err != nil || len(l) == 0 {
			return nil, fmt.Errorf("%s: want a non-empty array of strings", p)
		}
		out.StringListValue = l
	case valLong:
		var n int64
		if err := json.Unmarshal(v, &n); err != nil {
			return nil, fmt.Errorf("%s: want an integer", p)
		}
		out.LongValue = &n
	case valDate:
		t, err := decodeDate(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out.DateValue = &t
	}
	return &out, nil
}

// decodeDate reads a DateValue: epoch seconds, as awsJson writes
// timestamps (the SDK's serializers.go uses FormatEpochSeconds), or an
// RFC 3339 string, friendlier in a config file.
func decodeDate(raw json.RawMessage) (time.Time, error) {
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		return time.UnixMilli(int64(secs * 1000)).UTC(), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want epoch seconds or an RFC 3339 date")
}

// onlyMember returns the one member of the JSON object raw, which must be
// one of allowed.
func onlyMember(raw json.RawMessage, path string, allowed []string) (string, json.RawMessage, error) {
	obj, err := members(raw, path)
	if err != nil {
		return "", nil, err
	}
	for k := range obj {
		if !slices.Contains(allowed, k) {
			return "", nil, fmt.Errorf("%s: unknown member %q (want one of %s)", path, k, strings.Join(allowed, ", "))
		}
	}
	if len(obj) != 1 {
		return "", nil, fmt.Errorf("%s: sets %d members (%s), want exactly one of %s",
			path, len(obj), strings.Join(slices.Sorted(maps.Keys(obj)), ", "), strings.Join(allowed, ", "))
	}
	var key string
	for k := range obj {
		key = k
	}
	return key, obj[key], nil
}

func members(raw json.RawMessage, path string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%s: want a JSON object", path)
	}
	return obj, nil
}

// withLanguage ANDs an EqualsTo on the language attribute to f, inside f's
// own AndAllFilters when it has one, so as not to add a level of depth.
func withLanguage(f *types.AttributeFilter, lang string) *types.AttributeFilter {
	eq := types.AttributeFilter{EqualsTo: &types.DocumentAttribute{
		Key: aws.String(languageKey), Value: &types.DocumentAttributeValue{StringValue: aws.String(lang)},
	}}
	switch {
	case f == nil:
		return &eq
	case f.AndAllFilters != nil:
		return &types.AttributeFilter{AndAllFilters: append(slices.Clone(f.AndAllFilters), eq)}
	default:
		return &types.AttributeFilter{AndAllFilters: []types.AttributeFilter{*f, eq}}
	}
}

// checkLimits refuses what Kendra would: a filter nested deeper than 2
// logical operators (the model's example, AndAllFilters holding an
// OrAllFilters, "is filtering with a depth of 2"), or a list of more than
// 10.
func checkLimits(f *types.AttributeFilter) error {
	if d := depth(f); d > maxFilterDepth {
		return fmt.Errorf("AttributeFilter: nests %d logical operators, Kendra allows %d", d, maxFilterDepth)
	}
	var check func(f *types.AttributeFilter) error
	check = func(f *types.AttributeFilter) error {
		for _, list := range [][]types.AttributeFilter{f.AndAllFilters, f.OrAllFilters} {
			if len(list) > maxFilterList {
				return fmt.Errorf("AttributeFilter: a list of %d filters, Kendra allows %d", len(list), maxFilterList)
			}
			for i := range list {
				if err := check(&list[i]); err != nil {
					return err
				}
			}
		}
		if f.NotFilter != nil {
			return check(f.NotFilter)
		}
		return nil
	}
	return check(f)
}

// depth counts the logical operators (AndAllFilters, OrAllFilters,
// NotFilter) on the longest path from f to a leaf.
func depth(f *types.AttributeFilter) int {
	children := slices.Concat(f.AndAllFilters, f.OrAllFilters)
	if f.NotFilter != nil {
		children = append(children, *f.NotFilter)
	}
	if len(children) == 0 {
		return 0
	}
	d := 0
	for i := range children {
		d = max(d, depth(&children[i]))
	}
	return d + 1
}
