package openai

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// assertSameJSON fails when got and want are not the same JSON value
// (member order and insignificant space aside).
func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is invalid JSON %s: %v", want, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s\ngot  %s\nwant %s", diff, got, want)
	}
}

// asAPIError returns err as *Error, failing the test when it is not one.
func asAPIError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %T %v, want *openai.Error", err, err)
	}
	return e
}

// asTypeError returns err as *json.UnmarshalTypeError, failing the test when
// it is not one.
func asTypeError(t *testing.T, err error) *json.UnmarshalTypeError {
	t.Helper()
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		t.Fatalf("got error %T %v, want *json.UnmarshalTypeError", err, err)
	}
	return te
}

func ptr[T any](v T) *T { return &v }
