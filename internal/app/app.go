// Package app wires Outcrop together: configuration to providers, router,
// server and logger, then serving with a graceful shutdown. It holds no
// logic of its own beyond that wiring and the command line.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Env gives the process environment to Run, so tests can pass their own.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
}

// OSEnv is the real process environment.
func OSEnv() Env { return Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr} }

// errUsage is returned after usage was printed; the exit code is 2.
var errUsage = errors.New("usage")

// ExitCode maps an error from Run to a process exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

const usageText = `Outcrop: Amazon Bedrock, OpenAI, Azure OpenAI and OpenAI-compatible servers behind the OpenAI API.

Usage:
  outcrop serve [--addr HOST:PORT] [--config FILE] [--log-file FILE]
  outcrop config check [FILE]
  outcrop keys create|list|show|update|revoke|rotate|reset-budget ...
  outcrop index build|query --store NAME ...
  outcrop version

With no configuration, "outcrop serve" serves a built-in demo upstream on
127.0.0.1:8080. See docs/configuration.md for the configuration file.
`

// Run runs the command line args (without the program name) until ctx is
// done or the command ends.
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usageText)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], env)
	case "config":
		if len(args) < 2 || args[1] != "check" {
			fmt.Fprint(env.Stderr, usageText)
			return errUsage
		}
		return runConfigCheck(args[2:], env)
	case "keys":
		return runKeys(ctx, args[1:], env)
	case "index":
		return runIndex(ctx, args[1:], env)
	case "version", "--version", "-v":
		fmt.Fprintln(env.Stdout, "outcrop", Version())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(env.Stdout, usageText)
		return nil
	}
	fmt.Fprintf(env.Stderr, "outcrop: unknown command %q\n\n%s", args[0], usageText)
	return errUsage
}

// Version is the module version the binary was built from, or "devel".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

type serveFlags struct {
	addr, config, logFile string
}

func parseServeFlags(args []string, env Env) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("outcrop serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&f.addr, "addr", "", "listen address, host:port (default 127.0.0.1:8080; env OUTCROP_ADDR)")
	fs.StringVar(&f.config, "config", "", "configuration file (env OUTCROP_CONFIG; default ./outcrop.yaml if present)")
	fs.StringVar(&f.logFile, "log-file", "", "write logs to this size-rotated file instead of stderr (env OUTCROP_LOG_FILE)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, errUsage
		}
		return f, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "outcrop serve: unexpected argument %q\n", fs.Arg(0))
		return f, errUsage
	}
	return f, nil
}

// configPath picks the configuration file: the flag, then OUTCROP_CONFIG,
// then ./outcrop.yaml when it exists, else none.
func configPath(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := getenv("OUTCROP_CONFIG"); v != "" {
		return v
	}
	if _, err := os.Stat("outcrop.yaml"); err == nil {
		return "outcrop.yaml"
	}
	return ""
}

func runConfigCheck(args []string, env Env) error {
	if len(args) > 1 {
		fmt.Fprint(env.Stderr, usageText)
		return errUsage
	}
	path := configPath(strings.Join(args, ""), env.Getenv)
	if path == "" {
		fmt.Fprintln(env.Stderr, "outcrop config check: no file given and no ./outcrop.yaml")
		return errUsage
	}
	cfg, err := loadConfig(path, env.Getenv)
	if err == nil {
		// The price table checks what the file's schema cannot: two
		// entries naming one model.
		_, err = priceTable(cfg)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: ok (%d upstreams, %d models)\n", path, len(cfg.Upstreams), len(cfg.Models))
	return nil
}
