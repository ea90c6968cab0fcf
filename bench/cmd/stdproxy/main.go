// Command stdproxy is the benchmark's net/http floor: a tuned httputil.ReverseProxy.
package main

import (
	"github.com/outcrop/outcrop/bench/internal/cli"
	"github.com/outcrop/outcrop/bench/internal/proxy"
)

func main() { cli.Main("stdproxy", proxy.RunStd, nil) }
