package upstream

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// Run is the upstream program: the OpenAI emulator and the Bedrock
// emulator on their own addresses until ctx is done. Once both listen it
// prints "openai ADDR" and "bedrock ADDR" lines on stdout, which the
// harness waits for.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("upstream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	openaiAddr := fs.String("openai", "127.0.0.1:0", "listen address of the OpenAI emulator")
	bedrockAddr := fs.String("bedrock", "127.0.0.1:0", "listen address of the Bedrock emulator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *openaiAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var o OpenAI
	srv := &fasthttp.Server{
		Handler:                       o.Handler,
		Name:                          "bench-upstream",
		ReadTimeout:                   time.Minute,
		IdleTimeout:                   2 * time.Minute,
		DisableHeaderNamesNormalizing: true,
		NoDefaultDate:                 true,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	br, err := StartBedrock(*bedrockAddr)
	if err != nil {
		_ = srv.Shutdown()
		return fmt.Errorf("bedrock emulator: %w", err)
	}
	defer br.Close()
	fmt.Fprintf(stdout, "openai %s\nbedrock %s\n", ln.Addr(), br.URL()[len("http://"):])
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
	if err := srv.ShutdownWithContext(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
