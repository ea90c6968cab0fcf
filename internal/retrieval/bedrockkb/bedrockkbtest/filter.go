package bedrockkbtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/outcrop/outcrop/internal/awstest"
)

// minFilterList is the least a RetrievalFilterList holds (the model's
// "min":2).
const minFilterList = 2

// retrievalFilter is the RetrievalFilter union of the model: one member
// set.
type retrievalFilter struct {
	AndAll              []retrievalFilter `json:"andAll"`
	OrAll               []retrievalFilter `json:"orAll"`
	Equals              *filterAttribute  `json:"equals"`
	NotEquals           *filterAttribute  `json:"notEquals"`
	GreaterThan         *filterAttribute  `json:"greaterThan"`
	GreaterThanOrEquals *filterAttribute  `json:"greaterThanOrEquals"`
	LessThan            *filterAttribute  `json:"lessThan"`
	LessThanOrEquals    *filterAttribute  `json:"lessThanOrEquals"`
	In                  *filterAttribute  `json:"in"`
	NotIn               *filterAttribute  `json:"notIn"`
	StartsWith          *filterAttribute  `json:"startsWith"`
	ListContains        *filterAttribute  `json:"listContains"`
	StringContains      *filterAttribute  `json:"stringContains"`
}

// filterAttribute is the FilterAttribute shape: key and a document value,
// both required.
type filterAttribute struct {
	Key   *string         `json:"key"`
	Value json.RawMessage `json:"value"`
}

// attributes returns the comparison members set, by wire name.
func (f *retrievalFilter) attributes() map[string]*filterAttribute {
	all := map[string]*filterAttribute{
		"equals": f.Equals, "notEquals": f.NotEquals,
		"greaterThan": f.GreaterThan, "greaterThanOrEquals": f.GreaterThanOrEquals,
		"lessThan": f.LessThan, "lessThanOrEquals": f.LessThanOrEquals,
		"in": f.In, "notIn": f.NotIn, "startsWith": f.StartsWith,
		"listContains": f.ListContains, "stringContains": f.StringContains,
	}
	for k, v := range all {
		if v == nil {
			delete(all, k)
		}
	}
	return all
}

// checkFilter validates a filter at path as the model constrains it.
func checkFilter(f *retrievalFilter, path string) *apiError {
	attrs := f.attributes()
	n := len(attrs)
	for _, set := range []bool{f.AndAll != nil, f.OrAll != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return validation(fmt.Sprintf("The RetrievalFilter at '%s' must set exactly one member, but sets %d.", path, n))
	}
	for name, list := range map[string][]retrievalFilter{"andAll": f.AndAll, "orAll": f.OrAll} {
		if list == nil {
			continue
		}
		if len(list) < minFilterList {
			var v awstest.Violations
			v.Add(fmt.Sprintf("%d filters", len(list)), path+"."+name, "have length greater than or equal to 2")
			return invalid(v)
		}
		for i := range list {
			if e := checkFilter(&list[i], fmt.Sprintf("%s.%s.%d.member", path, name, i+1)); e != nil {
				return e
			}
		}
	}
	for name, a := range attrs {
		var v awstest.Violations
		if a.Key == nil {
			v.Add(nil, path+"."+name+".key", "not be null")
		}
		if a.Value == nil || bytes.Equal(bytes.TrimSpace(a.Value), []byte("null")) {
			v.Add(nil, path+"."+name+".value", "not be null")
		}
		if e := invalid(v); e != nil {
			return e
		}
	}
	return nil
}

// decode reads a JSON value with numbers as json.Number.
func decode(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v) // checked by the request's decoding
	return v
}

// match evaluates a checked filter against a chunk's metadata.
func (f *retrievalFilter) match(meta map[string]any) bool {
	switch {
	case f.AndAll != nil:
		for i := range f.AndAll {
			if !f.AndAll[i].match(meta) {
				return false
			}
		}
		return true
	case f.OrAll != nil:
		for i := range f.OrAll {
			if f.OrAll[i].match(meta) {
				return true
			}
		}
		return false
	}
	for op, a := range f.attributes() {
		got, ok := meta[*a.Key]
		return compare(op, got, ok, decode(a.Value))
	}
	return false
}

// compare applies one operator to the chunk's value got (present when
// ok) and the filter's want. notEquals and notIn are the negations of
// equals and in, true too when the chunk lacks the attribute (the model's
// example: "return data sources that don't contain an animal attribute
// whose value is cat").
func compare(op string, got any, ok bool, want any) bool {
	switch op {
	case "notEquals":
		return !ok || !equal(got, want)
	case "notIn":
		return !ok || !isIn(got, want)
	}
	if !ok {
		return false
	}
	switch op {
	case "equals":
		return equal(got, want)
	case "in":
		return isIn(got, want)
	case "startsWith":
		g, ok1 := got.(string)
		w, ok2 := want.(string)
		return ok1 && ok2 && strings.HasPrefix(g, w)
	case "listContains":
		l, isList := got.([]any)
		return isList && slices.ContainsFunc(l, func(x any) bool { return equal(x, want) })
	case "stringContains":
		w, isString := want.(string)
		return isString && containsString(got, w)
	}
	g, ok1 := number(got)
	w, ok2 := number(want)
	if !ok1 || !ok2 {
		return false
	}
	switch op {
	case "greaterThan":
		return g > w
	case "greaterThanOrEquals":
		return g >= w
	case "lessThan":
		return g < w
	default: // lessThanOrEquals
		return g <= w
	}
}

// equal compares two decoded JSON values; numbers by value.
func equal(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case string, bool:
		return a == b
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, equal)
	}
	return false
}

func isIn(got, want any) bool {
	l, ok := want.([]any)
	return ok && slices.ContainsFunc(l, func(x any) bool { return equal(got, x) })
}

// containsString reports whether got is a string containing w, or a list
// with such a member.
func containsString(got any, w string) bool {
	switch g := got.(type) {
	case string:
		return strings.Contains(g, w)
	case []any:
		return slices.ContainsFunc(g, func(x any) bool { return containsString(x, w) })
	}
	return false
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}
