package bedrock

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomJSON writes a random JSON value with random whitespace between
// its tokens; strings hold escapes, quotes, backslashes, whitespace and
// non-ASCII text.
func randomJSON(b *strings.Builder, rng *rand.Rand, depth int) {
	space := func() {
		for range rng.IntN(3) {
			b.WriteByte(" \t\n\r"[rng.IntN(4)])
		}
	}
	space()
	switch k := rng.IntN(6); {
	case depth > 3 || k == 0:
		b.WriteString([]string{"0", "-1.5e3", "true", "false", "null", "12345678901234567890"}[rng.IntN(6)])
	case k == 1:
		parts := []string{`a`, ` `, `\"`, `\\`, `\n`, `\u00e9`, `é`, "\t", `{`, `}`, `:`, `,`, `\/`, `x\\\"y`}
		b.WriteByte('"')
		for range rng.IntN(6) {
			p := parts[rng.IntN(len(parts))]
			if p == "\t" {
				p = `\t` // a raw tab is not valid in a string
			}
			b.WriteString(p)
		}
		b.WriteByte('"')
	case k <= 3:
		list(b, rng, space, '[', ']', func(int) { randomJSON(b, rng, depth+1) })
	default:
		list(b, rng, space, '{', '}', func(i int) {
			space()
			b.WriteString(`"k \"` + string(rune('a'+i)) + `"`)
			space()
			b.WriteByte(':')
			randomJSON(b, rng, depth+1)
		})
	}
	space()
}

// list writes up to 3 items between start and end, comma-separated,
// with random whitespace.
func list(b *strings.Builder, rng *rand.Rand, space func(), start, end byte, item func(i int)) {
	b.WriteByte(start)
	for i := range rng.IntN(4) {
		if i > 0 {
			space()
			b.WriteByte(',')
		}
		item(i)
	}
	space()
	b.WriteByte(end)
}

// TestCompactArguments checks the one-pass compaction against
// json.Compact on random valid JSON, and that input which is not valid
// still gets json.Compact's error.
func TestCompactArguments(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 5000 {
		var b strings.Builder
		randomJSON(&b, rng, 0)
		in := b.String()
		if !json.Valid([]byte(in)) {
			t.Fatalf("the generator made invalid JSON: %q", in)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil {
			t.Fatal(err)
		}
		got, err := compactArguments(json.RawMessage(in))
		if err != nil || got != want.String() {
			t.Fatalf("compactArguments(%q) = %q, %v; want %q", in, got, err, want.String())
		}
	}
	for in, want := range map[string]string{"": "{}", "  ": "{}", `{"a":1}`: `{"a":1}`} {
		if got, err := compactArguments(json.RawMessage(in)); err != nil || got != want {
			t.Errorf("compactArguments(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`{"a":"open}`, `{"a":`, `{"a":[1}`, `{"a":1}}`, `]`} {
		if _, err := compactArguments(json.RawMessage(in)); err == nil {
			t.Errorf("compactArguments(%q): no error", in)
		}
	}
}

func BenchmarkCompactArguments(b *testing.B) {
	in := json.RawMessage(`{"location": "Paris, France", "unit": "celsius", "days": [1, 2, 3], "note": "a \"quoted\" word"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compactArguments(in); err != nil {
			b.Fatal(err)
		}
	}
}
