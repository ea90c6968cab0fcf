package kendratest

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Document is one indexed document, served as a single passage.
type Document struct {
	// ID is the DocumentId; default "doc-N", N its position in the index
	// from 1.
	ID string
	// Title is the DocumentTitle.
	Title string
	// URI is the DocumentURI; empty leaves it out.
	URI string
	// Text is the passage served as Content, and what queries are scored
	// against (with Title).
	Text string
	// Attributes are the document's attributes, served in
	// DocumentAttributes (sorted by key) and matched by AttributeFilter.
	Attributes map[string]Value
	// Confidence, when set, is served as ScoreConfidence instead of the
	// bucket the score gives, e.g. "NOT_AVAILABLE".
	Confidence string
}

// Value is a DocumentAttributeValue: exactly one field is set. It encodes
// to and decodes from Kendra's wire form, DateValue in epoch seconds.
type Value struct {
	String     *string
	StringList []string
	Long       *int64
	Date       *time.Time
}

// String returns a StringValue.
func String(s string) Value { return Value{String: &s} }

// StringList returns a StringListValue.
func StringList(s ...string) Value { return Value{StringList: s} }

// Long returns a LongValue.
func Long(n int64) Value { return Value{Long: &n} }

// Date returns a DateValue.
func Date(t time.Time) Value { return Value{Date: &t} }

// wireValue is DocumentAttributeValue as awsJson writes it.
type wireValue struct {
	StringValue     *string  `json:"StringValue,omitempty"`
	StringListValue []string `json:"StringListValue,omitempty"`
	LongValue       *int64   `json:"LongValue,omitempty"`
	DateValue       *float64 `json:"DateValue,omitempty"`
}

// MarshalJSON writes v in Kendra's wire form.
func (v Value) MarshalJSON() ([]byte, error) {
	w := wireValue{StringValue: v.String, StringListValue: v.StringList, LongValue: v.Long}
	if v.Date != nil {
		secs := float64(v.Date.UnixMilli()) / 1000
		w.DateValue = &secs
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads Kendra's wire form.
func (v *Value) UnmarshalJSON(b []byte) error {
	var w wireValue
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*v = Value{String: w.StringValue, StringList: w.StringListValue, Long: w.LongValue}
	if w.DateValue != nil {
		t := time.UnixMilli(int64(math.Round(*w.DateValue * 1000))).UTC()
		v.Date = &t
	}
	return nil
}

// kinds counts the members set, which must be one.
func (v Value) kinds() int {
	n := 0
	for _, set := range []bool{v.String != nil, v.StringList != nil, v.Long != nil, v.Date != nil} {
		if set {
			n++
		}
	}
	return n
}

// strings returns v as a list of strings: the list, or the one string.
func (v Value) strings() ([]string, bool) {
	switch {
	case v.StringList != nil:
		return v.StringList, true
	case v.String != nil:
		return []string{*v.String}, true
	}
	return nil, false
}

// equal reports whether v and o hold the same kind and value.
func (v Value) equal(o Value) bool {
	switch {
	case v.String != nil && o.String != nil:
		return *v.String == *o.String
	case v.StringList != nil && o.StringList != nil:
		return slices.Equal(v.StringList, o.StringList)
	case v.Long != nil && o.Long != nil:
		return *v.Long == *o.Long
	case v.Date != nil && o.Date != nil:
		return v.Date.Equal(*o.Date)
	}
	return false
}

var errNotOrdered = errors.New("values of different or unordered kinds")

// compare orders two longs or two dates.
func (v Value) compare(o Value) (int, error) {
	switch {
	case v.Long != nil && o.Long != nil:
		return cmpInt(*v.Long, *o.Long), nil
	case v.Date != nil && o.Date != nil:
		return v.Date.Compare(*o.Date), nil
	}
	return 0, errNotOrdered
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Score is the emulator's relevance of a document to a query: the share
// of the query's distinct words (stop words left out) found in the
// document's title or text, 0 to 1 (awstest.Score). A document scoring 0
// is not returned.
func Score(query string, d Document) float64 { return awstest.Score(query, d.Title+" "+d.Text) }

// Confidence is the bucket served for a score: VERY_HIGH from 0.8,
// HIGH from 0.6, MEDIUM from 0.4, LOW below.
func Confidence(score float64) string {
	switch {
	case score >= 0.8:
		return "VERY_HIGH"
	case score >= 0.6:
		return "HIGH"
	case score >= 0.4:
		return "MEDIUM"
	}
	return "LOW"
}
