// Command harness benchmarks Outcrop against its direct upstream and two
// bare-proxy floors, and writes docs-ready results; see bench/README.md.
//
//	go run ./bench/cmd/harness          the full run (about 10 minutes)
//	go run ./bench/cmd/harness -smoke   every target for about a second
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/outcrop/outcrop/bench/internal/harness"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := harness.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, harness.ErrUsage):
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		os.Exit(1)
	}
}
