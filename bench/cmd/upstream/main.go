// Command upstream serves the benchmark's upstream emulators (OpenAI and Bedrock) for bench/cmd/harness.
package main

import (
	"github.com/outcrop/outcrop/bench/internal/cli"
	"github.com/outcrop/outcrop/bench/internal/upstream"
)

func main() { cli.Main("upstream", upstream.Run, nil) }
