package upstreamhttp

import (
	"net/http"
	"strconv"
	"testing"
)

// TestStatusLine checks the status line against net/http's form, also
// for the code it writes without an allocation.
func TestStatusLine(t *testing.T) {
	for _, code := range []int{200, 201, 204, 400, 404, 429, 500, 503, 599} {
		if got, want := statusLine(code), strconv.Itoa(code)+" "+http.StatusText(code); got != want {
			t.Errorf("statusLine(%d) = %q, want %q", code, got, want)
		}
	}
}
