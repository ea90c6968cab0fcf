package kendratest

import (
	"fmt"
	"slices"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Kendra's AttributeFilter limits, from the model's documentation of the
// shape: a depth of 2 logical operators, 10 filters to a list.
const (
	maxFilterDepth = 2
	maxFilterList  = 10
)

// attributeFilter is the AttributeFilter shape of the Kendra model.
type attributeFilter struct {
	AndAllFilters       []attributeFilter  `json:"AndAllFilters"`
	OrAllFilters        []attributeFilter  `json:"OrAllFilters"`
	NotFilter           *attributeFilter   `json:"NotFilter"`
	EqualsTo            *documentAttribute `json:"EqualsTo"`
	ContainsAll         *documentAttribute `json:"ContainsAll"`
	ContainsAny         *documentAttribute `json:"ContainsAny"`
	GreaterThan         *documentAttribute `json:"GreaterThan"`
	GreaterThanOrEquals *documentAttribute `json:"GreaterThanOrEquals"`
	LessThan            *documentAttribute `json:"LessThan"`
	LessThanOrEquals    *documentAttribute `json:"LessThanOrEquals"`
}

// documentAttribute is the DocumentAttribute shape: both members required.
type documentAttribute struct {
	Key   *string `json:"Key"`
	Value *Value  `json:"Value"`
}

// leaves returns the comparison operators set, by name.
func (f *attributeFilter) leaves() map[string]*documentAttribute {
	all := map[string]*documentAttribute{
		"equalsTo": f.EqualsTo, "containsAll": f.ContainsAll, "containsAny": f.ContainsAny,
		"greaterThan": f.GreaterThan, "greaterThanOrEquals": f.GreaterThanOrEquals,
		"lessThan": f.LessThan, "lessThanOrEquals": f.LessThanOrEquals,
	}
	for k, v := range all {
		if v == nil {
			delete(all, k)
		}
	}
	return all
}

// operators counts the operations f sets.
func (f *attributeFilter) operators() int {
	n := len(f.leaves())
	for _, set := range []bool{f.AndAllFilters != nil, f.OrAllFilters != nil, f.NotFilter != nil} {
		if set {
			n++
		}
	}
	return n
}

// children are the filters f's logical operator applies to.
func (f *attributeFilter) children() []attributeFilter {
	c := slices.Concat(f.AndAllFilters, f.OrAllFilters)
	if f.NotFilter != nil {
		c = append(c, *f.NotFilter)
	}
	return c
}

// depth counts the logical operators on the longest path to a leaf: the
// model calls AndAllFilters holding an OrAllFilters "a depth of 2".
func (f *attributeFilter) depth() int {
	c := f.children()
	if len(c) == 0 {
		return 0
	}
	d := 0
	for i := range c {
		d = max(d, c[i].depth())
	}
	return d + 1
}

// checkFilter validates a request's AttributeFilter. Kendra's own words
// are used for its documented limits; requiring one operation per filter
// object and one kind per value is the emulator's reading of "You can only
// provide one attribute filter" and "You can only provide one value for a
// document attribute" (model).
func checkFilter(f *attributeFilter) *apiError {
	if f.depth() > maxFilterDepth {
		return validation(MsgFilterDepth)
	}
	return checkFilterNode(f, "attributeFilter")
}

func checkFilterNode(f *attributeFilter, path string) *apiError {
	if n := f.operators(); n != 1 {
		return validation(fmt.Sprintf("The AttributeFilter at '%s' must have exactly one operation, but has %d.", path, n))
	}
	for _, list := range [][]attributeFilter{f.AndAllFilters, f.OrAllFilters} {
		if len(list) > maxFilterList {
			return validation(MsgFilterLength)
		}
	}
	for i, c := range f.children() {
		if e := checkFilterNode(&c, fmt.Sprintf("%s.filters[%d]", path, i)); e != nil {
			return e
		}
	}
	for name, a := range f.leaves() {
		var v awstest.Violations
		if a.Key == nil {
			v.Add(nil, path+"."+name+".key", "not be null")
		}
		if a.Value == nil {
			v.Add(nil, path+"."+name+".value", "not be null")
		}
		if e := invalid(v); e != nil {
			return e
		}
		if a.Value.kinds() != 1 {
			return validation(fmt.Sprintf("The DocumentAttributeValue at '%s.%s.value' must have exactly one value.", path, name))
		}
	}
	return nil
}

// match evaluates a checked filter against a document's attributes. A
// comparison with an attribute the document lacks, or of another kind, is
// false (so its NotFilter is true).
func (f *attributeFilter) match(attrs map[string]Value) bool {
	switch {
	case f.AndAllFilters != nil:
		for i := range f.AndAllFilters {
			if !f.AndAllFilters[i].match(attrs) {
				return false
			}
		}
		return true
	case f.OrAllFilters != nil:
		for i := range f.OrAllFilters {
			if f.OrAllFilters[i].match(attrs) {
				return true
			}
		}
		return false
	case f.NotFilter != nil:
		return !f.NotFilter.match(attrs)
	}
	for name, a := range f.leaves() {
		got, ok := attrs[*a.Key]
		return ok && compareLeaf(name, got, *a.Value)
	}
	return false
}

// compareLeaf applies one comparison operator to a document's value got
// and the filter's want. ContainsAny and ContainsAll take a single string
// on either side as a list of one.
func compareLeaf(op string, got, want Value) bool {
	switch op {
	case "equalsTo":
		return got.equal(want)
	case "containsAny", "containsAll":
		have, ok1 := got.strings()
		need, ok2 := want.strings()
		if !ok1 || !ok2 {
			return false
		}
		n := 0
		for _, s := range need {
			if slices.Contains(have, s) {
				n++
			}
		}
		if op == "containsAny" {
			return n > 0
		}
		return n == len(need)
	}
	c, err := got.compare(want)
	if err != nil {
		return false
	}
	switch op {
	case "greaterThan":
		return c > 0
	case "greaterThanOrEquals":
		return c >= 0
	case "lessThan":
		return c < 0
	default: // lessThanOrEquals
		return c <= 0
	}
}
