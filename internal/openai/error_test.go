package openai

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestErrorMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			"all set",
			&Error{Status: 400, Message: "bad", Type: TypeInvalidRequest, Param: "messages", Code: "empty_array"},
			`{"error":{"message":"bad","type":"invalid_request_error","param":"messages","code":"empty_array"}}`,
		},
		{
			"param and code null",
			Errorf("", "We could not parse the JSON body of your request."),
			`{"error":{"message":"We could not parse the JSON body of your request.","type":"invalid_request_error","param":null,"code":null}}`,
		},
		{
			"all null",
			&Error{Status: 500, Message: "oops"},
			`{"error":{"message":"oops","type":null,"param":null,"code":null}}`,
		},
		{
			"model not found",
			ModelNotFound("gpt-x"),
			"{\"error\":{\"message\":\"The model `gpt-x` does not exist or you do not have access to it.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.err)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	e := Errorf("temperature", "Invalid 'temperature': got %g.", 3.0)
	want := &Error{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Param: "temperature", Message: "Invalid 'temperature': got 3."}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("Errorf mismatch (-want +got):\n%s", diff)
	}
	if got, want := e.Error(), "400 invalid_request_error: Invalid 'temperature': got 3. (param temperature)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	nf := ModelNotFound("x")
	if nf.Status != http.StatusNotFound || nf.Code != "model_not_found" {
		t.Errorf("got %d %q, want 404 model_not_found", nf.Status, nf.Code)
	}
	if got, want := nf.Error(), "404 invalid_request_error: The model `x` does not exist or you do not have access to it."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestErrorBodyUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ErrorBody
	}{
		{
			"openai",
			`{"message":"m","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}`,
			ErrorBody{Message: "m", Type: ptr("invalid_request_error"), Param: ptr("max_tokens"), Code: ptr("unsupported_parameter")},
		},
		{
			"nulls",
			`{"message":"m","type":"invalid_request_error","param":null,"code":null}`,
			ErrorBody{Message: "m", Type: ptr("invalid_request_error")},
		},
		{"azure numeric string code, no type", `{"code":"429","message":"Rate limit is exceeded."}`, ErrorBody{Message: "Rate limit is exceeded.", Code: ptr("429")}},
		{"azure numeric code", `{"code":429,"message":"Rate limit is exceeded."}`, ErrorBody{Message: "Rate limit is exceeded.", Code: ptr("429")}},
		{"missing code", `{"message":"m"}`, ErrorBody{Message: "m"}},
		{"extra members", `{"message":"m","innererror":{"code":"ResponsibleAIPolicyViolation"},"status":400}`, ErrorBody{Message: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ErrorBody
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ErrorBody mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorBodyUnmarshalInvalid(t *testing.T) {
	for _, in := range []string{`"oops"`, `[]`, `{"message":5}`, `{"type":1,"message":"m"}`} {
		var b ErrorBody
		if err := json.Unmarshal([]byte(in), &b); err == nil {
			t.Errorf("%s: got no error, want one", in)
		}
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	// An error written by Outcrop reads back as the same fields.
	e := &Error{Status: 429, Message: "slow down", Type: TypeRateLimit, Code: "rate_limit_exceeded"}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	want := ErrorBody{Message: "slow down", Type: ptr(TypeRateLimit), Code: ptr("rate_limit_exceeded")}
	if diff := cmp.Diff(want, env.Error); diff != "" {
		t.Errorf("envelope mismatch (-want +got):\n%s", diff)
	}
}
