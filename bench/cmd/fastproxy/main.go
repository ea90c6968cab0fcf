// Command fastproxy is the benchmark's fasthttp floor: a bare reverse proxy with no JSON work.
package main

import (
	"github.com/outcrop/outcrop/bench/internal/cli"
	"github.com/outcrop/outcrop/bench/internal/proxy"
)

func main() { cli.Main("fastproxy", proxy.RunFast, nil) }
