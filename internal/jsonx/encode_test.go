package jsonx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAppendMatchesEncodingJSON compares AppendFloat and AppendString
// with json.Marshal on edge values and random ones.
func TestAppendMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.3, 1e-6, 9.99e-7, 1e-7, 1.5e-9, 1e20, 1e21, 123456789e13, math.MaxFloat64, math.SmallestNonzeroFloat64, 2.5e-300}
	for range 2000 {
		floats = append(floats, math.Float64frombits(rng.Uint64()), rng.NormFloat64()*math.Pow(10, float64(rng.IntN(50)-25)))
	}
	for _, f := range floats {
		want, err := json.Marshal(f)
		got, ok := AppendFloat(nil, f)
		if err != nil {
			if ok {
				t.Errorf("AppendFloat(%v) = %s, want refused (json: %v)", f, got, err)
			}
			continue
		}
		if !ok || string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, %v; want %s", f, got, ok, want)
		}
	}
	strs := []string{"", "plain", `q"b\`, "<a&b>", "\b\f\n\r\t\x00\x1f\x7f", "é\u2028\u2029😀", "bad \xff\xfe utf-8", "\xed\xa0\x80"}
	alphabet := []rune{'a', '"', '\\', '<', '>', '&', '\n', 0x01, 'é', 0x2028, 0x2029, 0xfffd, '😀'}
	for range 2000 {
		r := make([]rune, rng.IntN(12))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(r)
		if rng.IntN(4) == 0 && len(s) > 0 {
			s = s[:rng.IntN(len(s))] // may cut a rune: invalid UTF-8
		}
		strs = append(strs, s)
	}
	for _, s := range strs {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
		if got, want := AppendLogString(nil, s), slogString(t, s); string(got) != want {
			t.Errorf("AppendLogString(%q) = %s, want %s", s, got, want)
		}
	}
	if _, ok := AppendFloat(nil, math.NaN()); ok {
		t.Error("NaN accepted")
	}
	if _, ok := AppendFloat(nil, math.Inf(-1)); ok {
		t.Error("-Inf accepted")
	}
}

// slogString is s as log/slog's JSON handler writes a string value.
func slogString(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	drop := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key != "k" {
			return slog.Attr{}
		}
		return a
	}
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: drop})).Info("", "k", s)
	line, ok := strings.CutPrefix(strings.TrimSuffix(buf.String(), "}\n"), `{"k":`)
	if !ok {
		t.Fatalf("slog wrote %q", buf.String())
	}
	return line
}

// BenchmarkAppendString encodes a typical chat message: ASCII prose with
// a quote and a newline.
func BenchmarkAppendString(b *testing.B) {
	s := strings.Repeat(`The "quick" brown fox jumps over the lazy dog.\n`, 8)
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}
