package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// StatusClientClosed is logged for requests whose client went away before
// the response was complete (nginx's convention; never sent).
const StatusClientClosed = 499

// AccessLog writes one structured line per request when it ends: request
// ID, method, route, model, deployment, status, latency, time to first
// token and token usage. Prompts, keys and bodies are never logged.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	lines, ok := logger.Handler().(JSONLineHandler)
	if !ok || !lines.PlainJSON() {
		lines = nil
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			logRequest(r.Context(), logger, lines, r, rec)
		})
	}
}

func logRequest(ctx context.Context, logger *slog.Logger, lines JSONLineHandler, r *http.Request, rec *statusRecorder) {
	s := ScopeFrom(ctx)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if s.ClientGone {
		status = StatusClientClosed
	}
	if s.OnDone != nil {
		// The answer goes out first: settling limits may take a round
		// trip to Redis, which the client need not wait for.
		if rec.status != 0 {
			rec.Flush()
		}
		s.OnDone(status)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	now := time.Now()
	a := accessRecord{
		requestID: s.RequestID, method: r.Method, route: route(r, s), status: status,
		latencyMS: ms(now.Sub(s.Start)), bytes: rec.bytes,
		model: s.Model, deployment: s.Deployment, fallbacks: s.Fallbacks, retries: s.Retries,
		stream: s.Stream, usage: s.Usage, upstreamRequestID: s.UpstreamRequestID,
	}
	if id := s.Principal.KeyID(); id != "" {
		a.keyID = id
	} else if s.Principal != nil && s.Principal.Master {
		a.keyID = "master"
	}
	if s.Stream {
		a.ttftMS = ms(s.TTFT)
	}
	if s.Err != nil {
		a.err, a.hasErr = s.Err.Error(), true
	}
	if lines != nil && len(a.fallbacks) == 0 && len(a.retries) == 0 {
		bp := linePool.Get().(*[]byte)
		line := a.appendJSON((*bp)[:0], now, level)
		_ = lines.WriteJSONLine(level, line)
		if cap(line) <= maxPooledLine {
			*bp = line
			linePool.Put(bp)
		}
		return
	}
	logger.LogAttrs(ctx, level, "request", a.attrs()...)
}

// route is the matched route pattern, so that log lines group by route and
// never carry path parameters chosen by clients.
func route(r *http.Request, s *Scope) string {
	if s.Route != "" {
		return s.Route
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// statusRecorder records the status and size of a response. Unwrap lets
// http.ResponseController reach the underlying writer's Flush.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
