package jsonx

import (
	"encoding/json"
	"testing"
)

func TestSet(t *testing.T) {
	tests := []struct {
		name, in, key, val, want string
	}{
		{"replace", `{"model":"a","messages":[]}`, "model", `"b"`, `{"model":"b","messages":[]}`},
		{"replace last", `{"x":1, "model" : "a" }`, "model", `"bb"`, `{"x":1, "model" : "bb" }`},
		{"append", `{"x":1}`, "model", `"b"`, `{"x":1,"model":"b"}`},
		{"append pretty", "{\n  \"x\": 1\n}\n", "y", `2`, "{\n  \"x\": 1,\"y\":2}\n"},
		{"append empty", `{ }`, "a", `true`, `{"a":true}`},
		{"nested key untouched", `{"o":{"model":"x"},"model":"a"}`, "model", `"b"`, `{"o":{"model":"x"},"model":"b"}`},
		{"string with braces", `{"s":"}{\"model\":","model":"a"}`, "model", `"b"`, `{"s":"}{\"model\":","model":"b"}`},
		{"object value", `{"stream_options":{"a":1},"z":[1,{"b":"]"}]}`, "stream_options", `{"include_usage":true}`, `{"stream_options":{"include_usage":true},"z":[1,{"b":"]"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Set([]byte(tt.in), tt.key, []byte(tt.val))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("result is not valid JSON: %s", got)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name, in, key, want string
	}{
		{"middle", `{"a":1,"usage":null,"b":2}`, "usage", `{"a":1,"b":2}`},
		{"last", `{"a":1,"usage":null}`, "usage", `{"a":1}`},
		{"first", `{"usage":null,"a":1}`, "usage", `{"a":1}`},
		{"only", `{"usage":null}`, "usage", `{}`},
		{"absent", `{"a":1}`, "usage", `{"a":1}`},
		{"spaces", `{"a": 1, "usage": null, "b": 2}`, "usage", `{"a": 1, "b": 2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Delete([]byte(tt.in), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":"x`, `{"a":[1,2}`, `{"a":1 "b":2}`, `"x"`} {
		if _, _, err := Find([]byte(in), "zz"); err == nil { // a key that is absent, so the whole object is walked
			t.Errorf("Find(%q): got nil error, want ErrSyntax", in)
		}
	}
}

func FuzzSet(f *testing.F) {
	f.Add([]byte(`{"model":"a","messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(in, &m) != nil {
			return
		}
		out, err := Set(in, "model", []byte(`"zz"`))
		if err != nil {
			return // input valid for encoding/json but with duplicate or odd keys
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("Set produced invalid JSON %q from %q: %v", out, in, err)
		}
		if string(got["model"]) != `"zz"` {
			t.Fatalf("model = %s in %q", got["model"], out)
		}
	})
}
