// Package awsretrievaltest holds the checks the AWS retrievers' tests
// (kendra, bedrockkb) share, run against their emulators: a refusal
// mapped to the typed Error with the query redacted, the retries of a
// throttled query, the queries refused before any request.
package awsretrievaltest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval"
)

// Refusal is what a test expects of a service's refusal.
type Refusal struct {
	// Op is the call refused, e.g. "kendra retrieve".
	Op string
	// Status and Code are the HTTP status and error code answered.
	Status int
	Code   string
	// Query is the query text sent, which the error must not carry.
	Query string
	// Typed reports whether the SDK's modelled error is in the chain.
	Typed func(error) bool
}

// CheckRefusal checks that err, from a Retrieve, is want: an
// *awsretrieval.Error (each retriever's Error) of the call, with its
// status, code and a request ID, the SDK's modelled error inside, the
// query nowhere in its text.
func CheckRefusal(t testing.TB, err error, want Refusal) {
	t.Helper()
	var e *awsretrieval.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *awsretrieval.Error", err)
	}
	if e.Op != want.Op || e.Status != want.Status || e.Code != want.Code || e.RequestID == "" {
		t.Errorf("got %s status %d code %s request %q, want %s %d %s with a request ID",
			e.Op, e.Status, e.Code, e.RequestID, want.Op, want.Status, want.Code)
	}
	if strings.Contains(err.Error(), want.Query) {
		t.Errorf("got error %q, want the query redacted", err)
	}
	if !want.Typed(err) {
		t.Errorf("got %T chain, want the SDK's modelled error inside", err)
	}
}

// CheckRetried checks that r answers q with hits after exactly want
// requests, which requests lists: the SDK's retryer retried the
// emulator's queued throttling.
func CheckRetried[R any](t testing.TB, r retrieval.Retriever, q retrieval.Query, requests func() []R, want int) {
	t.Helper()
	hits, err := r.Retrieve(context.Background(), q)
	if err != nil || len(hits) == 0 {
		t.Fatalf("got %d hits, %v; want hits after %d requests", len(hits), err, want)
	}
	if n := len(requests()); n != want {
		t.Errorf("got %d requests, want %d", n, want)
	}
}

// CheckBadQueries checks what r refuses before any request: each of bad
// with retrieval.ErrBadQuery, and the query "refunds" with its context
// cancelled with context.Canceled. requests lists what the emulator
// received, which must stay empty.
func CheckBadQueries[R any](t testing.TB, r retrieval.Retriever, requests func() []R, bad ...retrieval.Query) {
	t.Helper()
	for _, q := range bad {
		if _, err := r.Retrieve(context.Background(), q); !errors.Is(err, retrieval.ErrBadQuery) {
			t.Errorf("query %+v: got %v, want ErrBadQuery", q, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Retrieve(ctx, retrieval.Query{Text: "refunds"}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if n := len(requests()); n != 0 {
		t.Errorf("got %d requests, want none", n)
	}
}

// Sources returns the hits' sources, in order, for comparing result
// lists.
func Sources(hits []retrieval.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Source)
	}
	return out
}
