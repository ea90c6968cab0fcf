// Package cli is the main function the bench/cmd programs share: a
// context cancelled by SIGINT or SIGTERM, and the exit code.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs run with the command line and exits: 0 on success or -h, 2
// for an error wrapping usage (when not nil), 1 for any other error,
// printed led by name.
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error, usage error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case usage != nil && errors.Is(err, usage):
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
