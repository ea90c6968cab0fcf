package awstest_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/awstest"
)

// TestViolations checks Coral's words for one and for several
// violations.
func TestViolations(t *testing.T) {
	var v awstest.Violations
	if got := v.Message(); got != "" {
		t.Errorf("got %q for none, want empty", got)
	}
	v.Add(nil, "indexId", "not be null")
	if want := "1 validation error detected: Value null at 'indexId' failed to satisfy constraint: Member must not be null"; v.Message() != want {
		t.Errorf("got %q, want %q", v.Message(), want)
	}
	v.Add(0, "pageSize", "have value greater than or equal to 1")
	want := "2 validation errors detected: Value null at 'indexId' failed to satisfy constraint: Member must not be null; " +
		"Value '0' at 'pageSize' failed to satisfy constraint: Member must have value greater than or equal to 1"
	if v.Message() != want {
		t.Errorf("got %q, want %q", v.Message(), want)
	}
}

// TestJSONError checks the body's members and their spelling.
func TestJSONError(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		capital bool
		want    string
	}{
		{"lower case", "no", false, `{"__type":"X","message":"no"}`},
		{"capital", "no", true, `{"Message":"no","__type":"X"}`},
		{"no message", "", true, `{"__type":"X"}`},
	}
	for _, tt := range tests {
		a := awstest.JSONError(http.StatusConflict, "X", tt.msg, tt.capital)
		if a.Status != http.StatusConflict || a.Code != "X" || string(a.Body) != tt.want {
			t.Errorf("%s: got %d %s %s, want 409 X %s", tt.name, a.Status, a.Code, a.Body, tt.want)
		}
	}
}

// TestScore checks the share of the query's words found, stop words and
// case aside.
func TestScore(t *testing.T) {
	tests := []struct {
		query, text string
		want        float64
	}{
		{"How are refunds issued?", "Refunds are issued within 14 days.", 1},
		{"refunds returns", "Refunds, in 14 days", 0.5},
		{"the of and", "the of and", 0},
		{"", "anything", 0},
		{"delivery", "Refunds", 0},
	}
	for _, tt := range tests {
		if got := awstest.Score(tt.query, tt.text); got != tt.want {
			t.Errorf("Score(%q, %q): got %v, want %v", tt.query, tt.text, got, tt.want)
		}
	}
}

// TestApplyAndRepeat checks the option and failure helpers.
func TestApplyAndRepeat(t *testing.T) {
	type opts struct{ a, b int }
	type option func(*opts)
	got := awstest.Apply(opts{a: 1}, option(func(o *opts) { o.b = 2 }), option(func(o *opts) { o.a = 3 }))
	if got != (opts{a: 3, b: 2}) {
		t.Errorf("got %+v, want {a:3 b:2}", got)
	}
	f := awstest.Failure{Code: "ThrottlingException"}
	if diff := cmp.Diff([]awstest.Failure{f, f, f}, awstest.Repeat(3, f)); diff != "" {
		t.Errorf("Repeat (-want +got):\n%s", diff)
	}
}
