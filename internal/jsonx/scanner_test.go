package jsonx

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// stringCases are JSON strings, valid and not, for String and SkipString.
var stringCases = []string{
	`""`, `"plain"`, `"héllo 日本 😀"`, `"a\nb\tc\rd\be\ff"`, `"\"\\\/"`, `"\u00e9\u00E9\u0041"`,
	`"\ud83d\ude00"`, `"\ud800"`, `"\ud800x"`, `"\udc00"`, `"\ud800\u0041"`, `"\ud800\ud800\udc00"`, `"\ud83d\ude00\ud83d"`,
	`"\u0000"`, `"\u001f"`, `"\u2028\u2029"`, `"\uffff"`, "\"bad \xff utf-8\"", "\"\xed\xa0\x80\"", "\"\xf0\x9f\x98\"", "\"\xef\xbf\xbd\"",
	// Not valid JSON strings.
	`"\'"`, `"\x"`, `"\u12"`, `"\u12g4"`, `"\`, `"abc`, "\"raw\ttab\"", "\"raw\nnewline\"", `abc`, `'x'`,
}

// TestScannerString compares String with encoding/json's reading of the
// same text, valid or not.
func TestScannerString(t *testing.T) {
	cases := append([]string{}, stringCases...)
	r := rand.New(rand.NewPCG(1, 9))
	pieces := []string{"a", "é", `\n`, `\"`, `\\`, `\u00e9`, `\ud83d`, `\ude00`, `\ud83d\ude00`, "\xff", "\xed\xa0\x80", `\u`, `\`, "\t", "😀", `\/`, `\b`}
	for range 5000 {
		var b strings.Builder
		b.WriteByte('"')
		for range r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		b.WriteByte('"')
		cases = append(cases, b.String())
	}
	for _, in := range cases {
		var want string
		wantErr := json.Unmarshal([]byte(in), &want)
		s := Scanner{B: []byte(in)}
		got, ok := s.String()
		ok = ok && s.End()
		if ok != (wantErr == nil) || (ok && got != want) {
			t.Errorf("String(%q) = %q, %v; encoding/json: %q, %v", in, got, ok, want, wantErr)
		}
		if utf8.ValidString(in) {
			known := Scanner{B: []byte(in), UTF8: true}
			got, ok := known.String()
			if ok = ok && known.End(); ok != (wantErr == nil) || (ok && got != want) {
				t.Errorf("String(%q) with UTF8 = %q, %v; encoding/json: %q, %v", in, got, ok, want, wantErr)
			}
		}
		skip := Scanner{B: []byte(in)}
		if ok := skip.SkipString() && skip.End(); ok != (wantErr == nil) {
			t.Errorf("SkipString(%q) = %v; encoding/json: %v", in, ok, wantErr)
		}
	}
}

// TestScannerNumbers compares Int and Float with encoding/json.
func TestScannerNumbers(t *testing.T) {
	cases := []string{
		"0", "-0", "1", "-1", "42", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"1.5", "-0.25", "1e3", "1E-3", "1e+3", "2.5e10", "1e400", "-1e400", "4.9e-324", "01", "1.", ".5", "-", "+1", "1e", "0x10", "1_000", "NaN",
	}
	for _, in := range cases {
		var wantI int64
		errI := json.Unmarshal([]byte(in), &wantI)
		s := Scanner{B: []byte(in)}
		gotI, ok := s.Int(64)
		ok = ok && s.End()
		if ok != (errI == nil) || (ok && gotI != wantI) {
			t.Errorf("Int(%q) = %d, %v; encoding/json: %d, %v", in, gotI, ok, wantI, errI)
		}
		var wantF float64
		errF := json.Unmarshal([]byte(in), &wantF)
		s = Scanner{B: []byte(in)}
		gotF, ok := s.Float()
		ok = ok && s.End()
		if ok != (errF == nil) || (ok && math.Float64bits(gotF) != math.Float64bits(wantF)) {
			t.Errorf("Float(%q) = %g, %v; encoding/json: %g, %v", in, gotF, ok, wantF, errF)
		}
	}
	s := Scanner{B: []byte("128")}
	if _, ok := s.Int(8); ok {
		t.Error("Int(8) read 128")
	}
}

// TestScannerStructure reads objects and arrays, and refuses what is
// not JSON.
func TestScannerStructure(t *testing.T) {
	read := func(in string) (keys []string, ok bool) {
		s := Scanner{B: []byte(in)}
		ok = s.Object(func(key []byte) bool {
			keys = append(keys, string(key))
			switch s.Peek() {
			case '[':
				return s.Array(func() bool { _, ok := s.Int(64); return ok })
			case 't', 'f':
				_, ok := s.Bool()
				return ok
			case 'n':
				return s.Null()
			}
			return s.SkipString()
		}) && s.End()
		return keys, ok
	}
	for in, want := range map[string]string{
		`{}`: "",
		` { "a" : [ 1 , 2 ] , "b" : true, "c": null, "d": "x" } `: "a,b,c,d",
		`{"a":[]}`:              "a",
		"{\n\t\"a\":false\r\n}": "a",
	} {
		keys, ok := read(in)
		if !ok || strings.Join(keys, ",") != want {
			t.Errorf("%q: got %q, %v; want %q", in, keys, ok, want)
		}
	}
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":tru}`, `{"a":nul}`, `{} x`, `[]`, `{"a\u0062":1}`, `{a:1}`} {
		if _, ok := read(in); ok {
			t.Errorf("%q was read", in)
		}
	}
}

func FuzzScannerString(f *testing.F) {
	for _, c := range stringCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var want string
		wantErr := json.Unmarshal(in, &want)
		s := Scanner{B: in}
		got, ok := s.String()
		ok = ok && s.End()
		if ok != (wantErr == nil) || (ok && got != want) {
			t.Errorf("String(%q) = %q, %v; encoding/json: %q, %v", in, got, ok, want, wantErr)
		}
	})
}
