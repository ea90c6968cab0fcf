package httpserve

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestParseRequestURI: parseRequestURI gives url.ParseRequestURI's URL
// and error on paths of every byte that matters to a path: the plain
// ones it takes itself, and those (escapes, a query, spaces, control
// bytes, non-ASCII) it leaves to ParseRequestURI.
func TestParseRequestURI(t *testing.T) {
	check := func(uri string) {
		t.Helper()
		want, wantErr := url.ParseRequestURI(uri)
		var into url.URL
		got, err := parseRequestURI(uri, &into)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, want %v", uri, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(*got, *want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", uri, *got, *want)
		}
	}
	for _, uri := range []string{
		"/", "/v1/chat/completions", "/v1/models/anthropic.claude-3-haiku-20240307-v1:0", "//x", "/a//b/",
		"/a?b=c", "/a?", "/a%20b", "/a%3Ab", "/a b", "/a\x00", "/a\x7f", "/é", "/a#f", "*", "", "x", "/a(b)", "/a!*'",
		"/api/v1/model/ai21.jamba-1-5-large-v1:0/invoke", "/a;b=c,d&e+f$g@h~i",
	} {
		check(uri)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	alphabet := "aZ09-._~/:@$&+,;=!*'()[]%?# \"<>\\^`{|}" + "\x00\x1f\x7f\x80\xff" + "%2F%41%zz"
	for range 20000 {
		var b strings.Builder
		b.WriteByte('/')
		for range rng.IntN(12) {
			if rng.IntN(20) == 0 {
				b.WriteByte(all.String()[rng.IntN(256)])
				continue
			}
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		check(b.String())
	}
}
