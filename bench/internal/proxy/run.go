package proxy

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
)

// Options are a floor program's flags.
type Options struct {
	// Addr is the listen address; port 0 picks a free one.
	Addr string
	// Upstream is the host:port to forward to.
	Upstream string
}

func parse(name string, args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:0", "listen address")
	fs.StringVar(&o.Upstream, "upstream", "", "upstream host:port (required)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.Upstream == "" {
		return o, errors.New("-upstream is required")
	}
	return o, nil
}

// RunFast is the fasthttp floor program: it serves Fast on -addr until
// ctx is done, after printing "listening ADDR" on stdout.
func RunFast(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse("fastproxy", args, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &fasthttp.Server{
		Handler:                       NewFast(o.Upstream).Handler,
		Name:                          "bench-fastproxy",
		ReadTimeout:                   time.Minute,
		IdleTimeout:                   2 * time.Minute,
		MaxRequestBodySize:            maxBody,
		DisableHeaderNamesNormalizing: true,
		NoDefaultDate:                 true,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	select {
	case <-ctx.Done():
		return srv.ShutdownWithContext(context.WithoutCancel(ctx))
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// RunStd is the httputil.ReverseProxy floor program, like RunFast.
func RunStd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse("stdproxy", args, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: NewStd(o.Upstream), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}
