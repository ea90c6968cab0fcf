package access

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/ratelimit"
)

// TestSetHeaders compares setHeaders with the headers written one Set at
// a time, for windows with and without limits, remaining figures below
// zero and resets on both sides of a second; a header set before stays
// unless a limit replaces it.
func TestSetHeaders(t *testing.T) {
	want := func(h http.Header, d ratelimit.Decision) {
		for _, w := range []struct {
			win  ratelimit.Window
			kind string
		}{{d.Requests, "Requests"}, {d.Tokens, "Tokens"}} {
			if w.win.Limit <= 0 {
				continue
			}
			h.Set("x-ratelimit-limit-"+w.kind, strconv.FormatInt(w.win.Limit, 10))
			h.Set("x-ratelimit-remaining-"+w.kind, strconv.FormatInt(max(w.win.Remaining, 0), 10))
			reset := "0s"
			switch d := w.win.Reset; {
			case d > 0 && d < time.Second:
				reset = strconv.FormatInt(int64(math.Ceil(float64(d)/float64(time.Millisecond))), 10) + "ms"
			case d >= time.Second:
				reset = d.Round(time.Millisecond).String()
			}
			h.Set("x-ratelimit-reset-"+w.kind, reset)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	window := func() ratelimit.Window {
		if rng.IntN(4) == 0 {
			return ratelimit.Window{}
		}
		resets := []time.Duration{0, -time.Second, time.Nanosecond, 999 * time.Millisecond, time.Second, 1500 * time.Microsecond, 6 * time.Minute, time.Duration(rng.Int64N(int64(time.Hour)))}
		return ratelimit.Window{
			Limit:     1 + rng.Int64N(1<<40),
			Remaining: rng.Int64N(1<<40) - 1<<20,
			Reset:     resets[rng.IntN(len(resets))],
		}
	}
	for range 2000 {
		d := ratelimit.Decision{Requests: window(), Tokens: window()}
		got, exp := http.Header{"X-Ratelimit-Limit-Tokens": {"stale"}, "Other": {"kept"}}, http.Header{"X-Ratelimit-Limit-Tokens": {"stale"}, "Other": {"kept"}}
		setHeaders(got, d)
		want(exp, d)
		if diff := cmp.Diff(exp, got); diff != "" {
			t.Fatalf("%+v: headers differ (-want +got):\n%s", d, diff)
		}
		for k, v := range got {
			if len(v) != 1 || cap(v) != 1 {
				t.Fatalf("%s: %d values, capacity %d; want one, so that an Add cannot write into another header's value", k, len(v), cap(v))
			}
		}
	}
}
