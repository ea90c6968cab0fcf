package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// binaries are the programs the harness builds, by name.
type binaries struct {
	outcrop, upstream, fastproxy, stdproxy string
}

// buildTimeout bounds the one go build of every program; a cold build
// cache takes a minute or two on a small machine.
const buildTimeout = 5 * time.Minute

// moduleRoot is the directory of the module's go.mod, as the go command
// sees it from the working directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == "/dev/null" {
		return "", errors.New("not inside the outcrop module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

// build builds the gateway and the benchmark's programs into dir with
// one go build, so that every target runs as a program of its own.
func build(ctx context.Context, root, dir string) (binaries, error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"./cmd/outcrop", "./bench/cmd/upstream", "./bench/cmd/fastproxy", "./bench/cmd/stdproxy")
	cmd.Dir = root
	// The programs are built as shipped, whatever flags the harness
	// itself was built with (go test -race sets none in the environment,
	// but a developer's GOFLAGS might).
	cmd.Env = append(childEnv(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return binaries{}, fmt.Errorf("go build: %w\n%s", err, out)
	}
	return binariesIn(dir)
}

// binariesIn names the programs in dir, checking that they are there.
func binariesIn(dir string) (binaries, error) {
	b := binaries{
		outcrop:   filepath.Join(dir, "outcrop"),
		upstream:  filepath.Join(dir, "upstream"),
		fastproxy: filepath.Join(dir, "fastproxy"),
		stdproxy:  filepath.Join(dir, "stdproxy"),
	}
	for _, p := range []string{b.outcrop, b.upstream, b.fastproxy, b.stdproxy} {
		if _, err := os.Stat(p); err != nil {
			return binaries{}, fmt.Errorf("program missing: %w", err)
		}
	}
	return b, nil
}
