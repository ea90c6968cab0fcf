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
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			logRequest(r.Context(), logger, r, rec)
		})
	}
}

func logRequest(ctx context.Context, logger *slog.Logger, r *http.Request, rec *statusRecorder) {
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
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("request_id", s.RequestID),
		slog.String("method", r.Method),
		slog.String("route", route(r, s)),
		slog.Int("status", status),
		slog.Float64("latency_ms", ms(time.Since(s.Start))),
		slog.Int64("bytes", rec.bytes),
	)
	if id := s.Principal.KeyID(); id != "" {
		attrs = append(attrs, slog.String("key_id", id))
	} else if s.Principal != nil && s.Principal.Master {
		attrs = append(attrs, slog.String("key_id", "master"))
	}
	if s.Model != "" {
		attrs = append(attrs, slog.String("model", s.Model))
	}
	if s.Deployment != "" {
		attrs = append(attrs, slog.String("deployment", s.Deployment))
	}
	if len(s.Fallbacks) > 0 {
		attrs = append(attrs, slog.Any("fallbacks", s.Fallbacks))
	}
	if len(s.Retries) > 0 {
		attrs = append(attrs, slog.Any("retries", s.Retries))
	}
	if s.Stream {
		attrs = append(attrs, slog.Bool("stream", true), slog.Float64("ttft_ms", ms(s.TTFT)))
	}
	if u := s.Usage; u != nil {
		attrs = append(attrs,
			slog.Int("prompt_tokens", u.PromptTokens),
			slog.Int("completion_tokens", u.CompletionTokens),
			slog.Int("total_tokens", u.TotalTokens))
	}
	if s.UpstreamRequestID != "" {
		attrs = append(attrs, slog.String("upstream_request_id", s.UpstreamRequestID))
	}
	if s.Err != nil {
		attrs = append(attrs, slog.String("error", s.Err.Error()))
	}
	logger.LogAttrs(ctx, level, "request", attrs...)
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
