// Package server serves the OpenAI API (and Outcrop's own routes) over
// HTTP. Handlers return errors; one function, writeError, maps every error
// to a status and an OpenAI error body.
package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// DefaultMaxBodyBytes is the request body cap when Options leaves it zero.
const DefaultMaxBodyBytes = 10 << 20

// DefaultHeartbeat is the stream heartbeat when Options leaves it zero:
// well under the 60 s idle timeout of common load balancers.
const DefaultHeartbeat = 15 * time.Second

// APIPrefixes are the prefixes the OpenAI routes are served under: /v1 as
// OpenAI has it, and /api/v1 as aws-samples/bedrock-access-gateway has it,
// so that its users can switch without touching their clients.
var apiPrefixes = [...]string{"/v1", "/api/v1"}

// Routes is what the server asks of a router. *provider.Router implements
// it; so does a holder that swaps routers when discovered models change
// (Bedrock discovery, issue 3), since a Router itself is immutable.
type Routes interface {
	// LookupFor returns the route for a model name, falling back to the
	// default model for the request's use.
	LookupFor(use provider.Use, model string) (*provider.Route, error)
	// Models lists the public model names and aliases.
	Models() []openai.Model
}

var _ Routes = (*provider.Router)(nil)

// Options configure a Server. The zero value of each field is a documented
// default.
type Options struct {
	// Router maps model names to deployments. Required.
	Router Routes
	// Logger receives the access log and errors; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies; larger ones get 413. Default 10 MiB.
	MaxBodyBytes int64
	// Heartbeat is the silence after which a stream gets an SSE comment
	// line, so idle timeouts of proxies do not cut it. Default 15s;
	// negative disables it.
	Heartbeat time.Duration
	// Extra registers more routes (the API docs) on the same mux.
	Extra func(mux *http.ServeMux)
	// Auth authenticates requests to the API and admin routes; nil serves
	// them to anyone (tests, and an open gateway on loopback).
	Auth *auth.Authenticator
	// Gate applies limits and budgets and writes the usage ledger; nil
	// for none.
	Gate *access.Gate
	// Keys backs the admin API; nil turns it off (403).
	Keys *access.Keys
	// AllowedOrigins are the CORS origins ("*" for any); none by default.
	AllowedOrigins []string
	// Native turns on the native API (/chat, /generate, /models, /prompt,
	// /process); nil leaves those paths unknown (404).
	Native *Native
	// Augment are the retrieval models of the OpenAI chat route, by public
	// name; nil for none.
	Augment map[string]*Augmentation
}

// Server is the HTTP handler of the gateway.
type Server struct {
	router    Routes
	logger    *slog.Logger
	maxBody   int64
	heartbeat time.Duration
	draining  atomic.Bool
	handler   http.Handler
	auth      *auth.Authenticator
	gate      *access.Gate
	keys      *access.Keys
	native    *Native
	augment   map[string]*Augmentation
}

// New returns a Server for opts.
func New(opts Options) *Server {
	s := &Server{
		router: opts.Router, logger: opts.Logger, maxBody: opts.MaxBodyBytes,
		auth: opts.Auth, gate: opts.Gate, keys: opts.Keys,
		native: opts.Native, augment: opts.Augment,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	switch {
	case opts.Heartbeat == 0:
		s.heartbeat = DefaultHeartbeat
	case opts.Heartbeat > 0:
		s.heartbeat = opts.Heartbeat
	}
	mux := http.NewServeMux()
	s.register(mux, opts.Extra)
	var h http.Handler = mux
	h = middleware.Recover(s.logger)(h)
	h = middleware.CORS(opts.AllowedOrigins)(h)
	h = middleware.AccessLog(s.logger)(h)
	h = middleware.RequestID(h)
	s.handler = h
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// RequestContext is the HTTP server's hook (httpserve.Options) that gives
// a request its Scope as the request is built, so that the middleware
// need not copy the request to add it.
func (s *Server) RequestContext(ctx context.Context, h http.Header) context.Context {
	return middleware.Begin(ctx, h)
}

// Inline is the HTTP server's hook (httpserve.Options) that tells a
// request whose answer cannot stream: every stream of the API is asked
// for with a "stream" member of the body (chat and text completions,
// the native chat), so a body without that name does not stream (but
// see mentionsStream for names spelled otherwise). One with it may, and
// keeps the handler on a goroutine of its own.
func (s *Server) Inline(_ *http.Request, body []byte) bool { return !mentionsStream(body) }

// mentionsStream reports whether body holds "stream", quotes included:
// one scan at memory speed. OpenAI's API takes the name as written, and
// so do the SDKs; encoding/json also takes it in other cases, and such a
// request still streams, only unpaced: run inline, its events arrive
// together at the end.
func mentionsStream(body []byte) bool { return bytes.Contains(body, []byte(`"stream"`)) }

// Drain marks the server as shutting down: /ready answers 503 so load
// balancers stop sending new requests while in-flight ones finish.
func (s *Server) Drain() { s.draining.Store(true) }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	method, path string
	h            handlerFunc
	// access is who may call the route.
	access level
}

// level is who may call a route.
type level uint8

const (
	// levelAPI needs a key when auth is required (the OpenAI routes).
	levelAPI level = iota
	// levelPublic is open to anyone (health, readiness, docs).
	levelPublic
	// levelAdmin needs the master key.
	levelAdmin
)

// Routes lists every method and path the server serves, for the API docs'
// tests.
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, rt := range s.routes() {
		out = append(out, [2]string{rt.method, rt.path})
	}
	return out
}

func (s *Server) routes() []route {
	var rs []route
	for _, p := range apiPrefixes {
		rs = append(rs,
			route{"POST", p + "/chat/completions", s.chatCompletions(), levelAPI},
			route{"POST", p + "/completions", s.completions(), levelAPI},
			route{"POST", p + "/embeddings", s.embeddings(), levelAPI},
			route{"GET", p + "/models", s.listModels, levelAPI},
			route{"GET", p + "/models/{model...}", s.getModel, levelAPI},
		)
	}
	rs = append(rs, s.adminRoutes()...)
	rs = append(rs, s.nativeRoutes()...)
	return append(rs,
		route{"GET", "/health", s.health, levelPublic},
		route{"GET", "/ready", s.ready, levelPublic},
	)
}

func (s *Server) register(mux *http.ServeMux, extra func(*http.ServeMux)) {
	methods := map[string][]string{}
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.adapt(rt.h, rt.access))
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	// A known path with another method gets 405 in the error envelope
	// rather than ServeMux's plain-text one.
	for path, ms := range methods {
		mux.Handle(path, s.adapt(methodNotAllowed(ms), levelPublic))
	}
	if extra != nil {
		extra(mux)
	}
	mux.Handle("/", s.adapt(notFound, levelPublic))
}

// adapt turns a handlerFunc into an http.Handler that authenticates the
// request as its level asks and maps the handler's error.
func (s *Server) adapt(h handlerFunc, lv level) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc := middleware.ScopeFrom(r.Context())
		sc.Route = r.Pattern // the Scope is also the providers' Recorder (middleware.Begin)
		if err := s.authorize(sc, r, lv); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authorize authenticates r for a route of level lv and, for the API
// routes, starts its usage accounting.
func (s *Server) authorize(sc *middleware.Scope, r *http.Request, lv level) error {
	if lv == levelPublic {
		return nil
	}
	if s.auth == nil {
		sc.Principal = &auth.Principal{}
	} else {
		p, err := s.auth.Authenticate(r)
		if err != nil {
			return err
		}
		sc.Principal = p
	}
	if lv == levelAdmin {
		switch {
		case s.auth == nil || !s.auth.HasMaster() || s.keys == nil:
			return auth.ErrNoMaster
		case !sc.Principal.Master:
			return auth.ErrMasterOnly
		}
		return nil
	}
	if s.gate != nil {
		s.gate.Begin(sc)
	}
	return nil
}

func methodNotAllowed(methods []string) handlerFunc {
	allow := append([]string(nil), methods...)
	for _, m := range methods {
		if m == "GET" {
			allow = append(allow, "HEAD")
		}
	}
	sort.Strings(allow)
	allowed := strings.Join(allow, ", ")
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", allowed)
		return apiError(http.StatusMethodNotAllowed, "method_not_allowed",
			"Method %s is not allowed on %s; use %s.", r.Method, r.URL.Path, allowed)
	}
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return apiError(http.StatusNotFound, "unknown_url", "Invalid URL (%s %s)", r.Method, r.URL.Path)
}
