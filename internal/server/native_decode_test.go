package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/openai"
)

// TestDecodeNative checks the errors of a native body: a syntax error
// wins over a type error anywhere in the body, a value that is not an
// object is named as such, and a type error names its field.
func TestDecodeNative(t *testing.T) {
	type req struct {
		Model string `json:"model"`
		N     int    `json:"n"`
	}
	for _, c := range []struct {
		body, code, param, msg string
	}{
		{body: " \n{\"model\":\"m\",\"n\":2,\"extra\":[1]}"},
		{body: `{"model":`, code: "invalid_json", msg: "is not valid JSON"},
		{body: `{"model":"m"} x`, code: "invalid_json", msg: "is not valid JSON"},
		{body: `{"model":1, }`, code: "invalid_json", msg: "is not valid JSON"},
		{body: `hello`, code: "invalid_json", msg: "is not valid JSON"},
		{body: ``, code: "invalid_json", msg: "is not valid JSON"},
		{body: `[1]`, code: "invalid_json", msg: "must be a JSON object"},
		{body: ` "s"`, code: "invalid_json", msg: "must be a JSON object"},
		{body: `{"model":1}`, code: "invalid_type", param: "model", msg: "Invalid type for 'model'"},
		{body: `{"n":"two"}`, code: "invalid_type", param: "n", msg: "expected a number"},
	} {
		var r req
		err := decodeNative([]byte(c.body), &r)
		if c.code == "" {
			if err != nil || r.Model != "m" || r.N != 2 {
				t.Errorf("%q: %+v, %v", c.body, r, err)
			}
			continue
		}
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.Code != c.code || oe.Param != c.param || !strings.Contains(oe.Message, c.msg) {
			t.Errorf("%q: %v (%+v), want code %s, param %q, a message with %q", c.body, err, oe, c.code, c.param, c.msg)
		}
	}
}

func BenchmarkDecodeNative(b *testing.B) {
	body := []byte(`{"model":"m","n":2,"payload":{"messages":[` + strings.Repeat(`{"role":"user","content":[{"text":"hello there, how are you today?"}]},`, 20) + `{"role":"user","content":[{"text":"end"}]}]}}`)
	type req struct {
		Model string `json:"model"`
		N     int    `json:"n"`
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var r req
		if err := decodeNative(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
