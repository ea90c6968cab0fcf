// Package telemetry sets up what Outcrop reports about itself. For now
// that is logging: a log/slog logger writing JSON or text to standard
// error or to a size-rotated file.
package telemetry

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/outcrop/outcrop/internal/config"
)

// NewLogger builds the logger described by cfg. It writes to stderr when
// cfg.File is empty, else to a RotatingFile. Records that come close
// together are written out together, within 100 ms, and a record at Warn
// or above at once (bufferedWriter); the returned Closer writes out what
// is left and closes the file (stderr is not closed). Zero fields mean
// their defaults, as in config.Log; an unknown format or level is an
// error.
func NewLogger(cfg config.Log, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	level, err := parseLevel(cfg.Level)
	if err != nil {
		return nil, nil, err
	}
	newHandler, err := handlerFor(cfg.Format)
	if err != nil {
		return nil, nil, err
	}
	out, closer := stderr, io.Closer(nopCloser{})
	if cfg.File != "" {
		maxBytes := int64(orDefault(cfg.MaxSizeMB, config.DefaultLogMaxSizeMB)) << 20
		f, err := OpenRotatingFile(cfg.File, maxBytes, orDefault(cfg.MaxFiles, config.DefaultLogMaxFiles))
		if err != nil {
			return nil, nil, err
		}
		out, closer = f, f
	}
	buf := newBufferedWriter(out)
	h := flushingHandler{Handler: newHandler(buf, &slog.HandlerOptions{Level: level}), w: buf, plainJSON: cfg.Format != "text"}
	return slog.New(h), flushCloser{buf, closer}, nil
}

// parseLevel maps the four configuration level names to slog levels.
// slog's own parser also takes "INFO+2" and the like, which config does
// not offer, so the names are listed here.
func parseLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

func handlerFor(format string) (func(io.Writer, *slog.HandlerOptions) slog.Handler, error) {
	switch format {
	case "", "json":
		return func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }, nil
	case "text":
		return func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) }, nil
	}
	return nil, fmt.Errorf("unknown log format %q (want json or text)", format)
}

func orDefault(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// nopCloser is the Closer for standard error, which is not ours to close.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }
