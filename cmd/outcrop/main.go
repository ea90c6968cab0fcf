// Command outcrop is the Outcrop gateway. See the README and
// docs/configuration.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/outcrop/outcrop/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, os.Args[1:], app.OSEnv())
	stop()
	os.Exit(app.ExitCode(err))
}
