package apidocs

import (
	"strings"
	"testing"
)

func TestYAMLToJSON(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"key order kept", "b: 1\na: 2\nc: 3", `{"b":1,"a":2,"c":3}`},
		{"scalar types", "s: text\nq: '3'\ni: 42\nf: 1.5\nb: true\nn: null\nt: ~", `{"s":"text","q":"3","i":42,"f":1.5,"b":true,"n":null,"t":null}`},
		{"version stays a string", "openapi: 3.1.0", `{"openapi":"3.1.0"}`},
		{"quoted status codes are strings", `"200": ok`, `{"200":"ok"}`},
		{"flow collections", "a: [x, {y: 1}]", `{"a":["x",{"y":1}]}`},
		{"block scalar keeps newlines", "d: |\n  one\n  two\n", `{"d":"one\ntwo\n"}`},
		{"escaping", `s: "quote \" and <tag> and \\"`, `{"s":"quote \" and \u003ctag\u003e and \\"}`},
		{"aliases expand", "a: &x {k: v}\nb: *x", `{"a":{"k":"v"},"b":{"k":"v"}}`},
		{"negative and hex ints", "n: -3\nh: 0x10", `{"n":-3,"h":16}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := yamlToJSON([]byte(tt.yaml))
			if err != nil {
				t.Fatalf("yamlToJSON: %v", err)
			}
			if compact := compactJSON(t, got); compact != tt.want {
				t.Errorf("got %s, want %s", compact, tt.want)
			}
		})
	}
}

func TestYAMLToJSONErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"duplicate key", "a: 1\na: 2", "duplicate key"},
		{"merge key", "base: &b {x: 1}\nc:\n  <<: *b", "plain strings"},
		{"non-scalar key", "? [a]\n: 1", "plain strings"},
		{"infinity", "x: .inf", "no JSON form"},
		{"not yaml", "a: [", "parse yaml"},
		{"two documents", "a: 1\n---\nb: 2", "parse yaml"},
		{"binary tag", "x: !!binary aGk=", "unsupported yaml tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := yamlToJSON([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var sb strings.Builder
	inString, escaped := false, false
	for _, c := range string(b) {
		switch {
		case escaped:
			escaped = false
		case c == '\\' && inString:
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\n'):
			continue
		}
		sb.WriteRune(c)
	}
	return sb.String()
}
