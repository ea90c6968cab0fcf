package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/httpserve"
	"github.com/outcrop/outcrop/internal/provider/demo"
	"github.com/outcrop/outcrop/internal/telemetry"
	"github.com/outcrop/outcrop/internal/upstreamhttp"
)

func runServe(ctx context.Context, args []string, env Env) error {
	flags, err := parseServeFlags(args, env)
	if err != nil {
		return err
	}
	path := configPath(flags.config, env.Getenv)
	cfg, err := config.Load(path, env.Getenv)
	if err == nil {
		// Flags win over the file and the environment, and are validated
		// with them.
		if flags.addr != "" {
			cfg.Server.Addr = flags.addr
		}
		if flags.logFile != "" {
			cfg.Log.File = flags.logFile
		}
		err = cfg.Validate()
	}
	if err != nil {
		if path == "" {
			path = "configuration"
		}
		fmt.Fprintf(env.Stderr, "outcrop: invalid %s:\n%v\n", path, err)
		return err
	}
	logger, closer, err := telemetry.NewLogger(cfg.Log, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "outcrop: %v\n", err)
		return err
	}
	defer closer.Close()
	tuned, stopTuning := tuneRuntime(env.Getenv)
	defer stopTuning()
	logRuntime(logger, tuned)
	if err := upstreamhttp.Use(cfg.Server.UpstreamClient); err != nil {
		logger.Error("cannot start", "error", err)
		return err
	}
	gw, err := BuildEnv(ctx, cfg, logger, env.Getenv)
	if err != nil {
		logger.Error("cannot start", "error", err)
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		logger.Error("cannot listen", "addr", cfg.Server.Addr, "error", err)
		_ = gw.Close(context.Background())
		return err
	}
	if cfg.Server.PprofAddr != "" {
		stop, err := startPprof(cfg.Server.PprofAddr, logger)
		if err != nil {
			logger.Error("cannot listen", "addr", cfg.Server.PprofAddr, "error", err)
			_ = ln.Close()
			_ = gw.Close(context.Background())
			return err
		}
		defer stop()
	}
	logStartup(logger, gw, ln.Addr().String(), path)
	// What starting took (the AWS SDK's service schemas, the
	// configuration, the store's migrations) is garbage now: give it back
	// to the OS once, so that an idle gateway holds only what it uses.
	debug.FreeOSMemory()
	return gw.Serve(ctx, ln, logger)
}

func logStartup(logger *slog.Logger, gw *Gateway, addr, configFile string) {
	if configFile == "" {
		configFile = "(none)"
	}
	logger.Info("outcrop listening", "addr", addr, "url", "http://"+addr+"/v1", "config", configFile,
		"models", len(gw.Router.Models()), "version", Version())
	if gw.access != nil {
		gw.access.logAccess(logger)
	}
	if gw.Demo {
		logger.Warn("serving the built-in DEMO upstream: answers are generated locally, not by a real model",
			"models", strings.Join(demo.Models(), ","), "owned_by", demo.OwnedBy)
	}
}

// Serve serves on ln until ctx is done, then shuts down gracefully: /ready
// turns 503, the listener closes, and in-flight requests and streams get
// the configured grace period before their connections are cut.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	stopBackground := g.runBackground(ctx) // Bedrock model discovery, key refresh
	defer func() {
		stopBackground()
		// After the last request: every usage record is flushed.
		cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := g.Close(cctx); err != nil {
			logger.Error("closing the usage ledger and database", "error", err)
		}
	}()
	srv, err := httpserve.New(g.Config.Server.HTTPServer, httpserve.Options{
		Handler:           g.Server,
		ReadHeaderTimeout: g.Config.Server.ReadHeaderTimeout.Std(),
		IdleTimeout:       g.Config.Server.IdleTimeout.Std(),
		MaxBodyBytes:      g.Server.MaxBodyBytes(),
		BaseContext:       context.WithoutCancel(ctx),
		RequestContext:    g.Server.RequestContext,
		Inline:            g.Server.Inline,
		Logger:            logger,
	})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	g.Server.Drain()
	grace := g.Config.Server.ShutdownGrace.Std()
	logger.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	err = srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		logger.Warn("grace period over, closing remaining connections")
		err = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	logger.Info("stopped", "after", time.Since(start).Round(time.Millisecond).String())
	return err
}
