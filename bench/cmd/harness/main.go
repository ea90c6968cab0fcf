// Command harness benchmarks Outcrop against its direct upstream and two
// bare-proxy floors, and writes docs-ready results; see bench/README.md.
//
//	go run ./bench/cmd/harness          the full run (about 10 minutes)
//	go run ./bench/cmd/harness -smoke   every target for about a second
package main

import (
	"github.com/outcrop/outcrop/bench/internal/cli"
	"github.com/outcrop/outcrop/bench/internal/harness"
)

func main() { cli.Main("harness", harness.Run, harness.ErrUsage) }
