package access

import (
	"context"
	"net/http"
	"sync"

	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
)

// Part is one upstream call of a request that makes several: the native
// /prompt asks several models at once. Each part is admitted against the
// key's models, limits and budget as a request of its own, and settled and
// written to the ledger on its own under the request's ID; the request
// then writes no record of its own. Without parts admitted (every one
// refused), the request's record is written as usual.
type Part struct {
	t      *ticket
	model  string
	stream bool
	once   sync.Once
}

// AdmitPart admits one part of the request in ctx, for the model a names.
// h, when not nil, receives the x-ratelimit-* headers (so call it from one
// goroutine; the last part's headers win). Call Done when the part's call
// has ended, whatever its outcome.
func (g *Gate) AdmitPart(ctx context.Context, h http.Header, a Admission, stream bool) (*Part, error) {
	sc := middleware.ScopeFrom(ctx)
	res, tokens, err := g.charge(ctx, h, sc.Principal, a)
	if err != nil {
		return nil, err
	}
	if parent, ok := ticketOf(sc); ok {
		parent.parts.Add(1)
	}
	t := &ticket{g: g, sc: sc, res: res, route: a.Route, estimate: tokens}
	return &Part{t: t, model: a.Model, stream: stream}, nil
}

// Done settles the part with the usage the upstream reported (nil when
// unknown) and writes its ledger record. status is the part's own outcome
// as an HTTP status; deployment is the deployment that served it ("" when
// none did). Later calls do nothing.
func (p *Part) Done(status int, deployment string, u *openai.Usage) {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.t.finish(outcome{usage: u, model: p.model, deployment: deployment, stream: p.stream, status: status})
	})
}
