package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// pprofSampleRate is the mutex and block profiles' sampling while the
// profiler listener is on: one event in this many.
const pprofSampleRate = 100

// startPprof serves Go's profiler on addr (server.pprof_addr), on a
// listener and mux of its own, and turns on mutex and block sampling. The
// returned stop closes the listener and turns the sampling off again.
func startPprof(addr string, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile or a trace runs for its ?seconds=; no write timeout.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	runtime.SetMutexProfileFraction(pprofSampleRate)
	runtime.SetBlockProfileRate(pprofSampleRate)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("profiler listener stopped", "addr", addr, "error", err)
		}
	}()
	logger.Info("profiler listening", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() {
		_ = srv.Shutdown(context.Background())
		runtime.SetMutexProfileFraction(0)
		runtime.SetBlockProfileRate(0)
	}, nil
}
