package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a program the harness started.
type proc struct {
	name  string
	cmd   *exec.Cmd
	addrs map[string]string // what the program printed: "listening" -> host:port
	done  chan struct{}     // closed when the program exited
	err   error             // its exit error, once done is closed
	log   string            // the file its standard error goes to
}

// pid is the program's process ID.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// startSpec says how to start a program.
type startSpec struct {
	name string
	bin  string
	args []string
	env  []string
	// want are the first words of the stdout lines "WORD host:port" to
	// wait for; the program is ready once it printed them all.
	want []string
	// ready, when set, is polled (instead of want) until it answers 200.
	ready string
	// stderr, when set, receives the program's standard error instead of
	// the log file.
	stderr func(io.Reader)
	logDir string
}

// startTimeout bounds how long a program may take to be ready.
const startTimeout = 30 * time.Second

// start starts a program and waits until it is ready.
func start(ctx context.Context, s startSpec) (*proc, error) {
	p := &proc{name: s.name, addrs: map[string]string{}, done: make(chan struct{})}
	p.cmd = exec.Command(s.bin, s.args...)
	p.cmd.Env = s.env
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(s.logDir, s.name+".log"))
	if err != nil {
		return nil, err
	}
	p.log = logFile.Name()
	var stderr io.ReadCloser
	if s.stderr != nil {
		if stderr, err = p.cmd.StderrPipe(); err != nil {
			_ = logFile.Close()
			return nil, err
		}
	} else {
		p.cmd.Stderr = logFile
	}
	if err := p.cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	if stderr != nil {
		go s.stderr(stderr)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	go func() {
		p.err = p.cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	if err := p.waitReady(ctx, s, lines); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %w (log: %s)", s.name, err, p.log)
	}
	go func() {
		for range lines { // keep stdout drained
		}
	}()
	return p, nil
}

func (p *proc) waitReady(ctx context.Context, s startSpec, lines <-chan string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if s.ready != "" {
		return p.poll(ctx, s.ready)
	}
	for len(p.addrs) < len(s.want) {
		select {
		case l, ok := <-lines:
			if !ok {
				return errors.New("exited before it was ready")
			}
			if k, v, ok := strings.Cut(l, " "); ok {
				p.addrs[k] = v
			}
		case <-p.done:
			return fmt.Errorf("exited before it was ready: %w", p.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		}
	}
	return nil
}

// poll GETs url until it answers 200.
func (p *proc) poll(ctx context.Context, url string) error {
	c := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before it was ready: %w", p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the program: SIGTERM, then SIGKILL after a grace period.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// alive reports an error when the program has exited.
func (p *proc) alive() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %w (log: %s)", p.name, p.err, p.log)
	default:
		return nil
	}
}

// freeAddr returns a loopback address that was free a moment ago, for
// programs that take their address from a file rather than printing it.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// childEnv is this process's environment without the variables that
// would change what a target does (Outcrop's own, AWS's, Redis's and the
// Go runtime's tunings), plus extra.
func childEnv(extra ...string) []string {
	drop := map[string]bool{
		"REDIS_URL": true, "DATABASE_URL": true, "API_KEY": true, "API_KEY_PARAM_NAME": true,
		"API_KEY_SECRET_ARN": true, "DEFAULT_MODEL": true, "DEFAULT_EMBEDDING_MODEL": true,
		"ALLOWED_ORIGINS": true, "GOGC": true, "GOMEMLIMIT": true, "GOMAXPROCS": true, "GODEBUG": true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if drop[k] || strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "OUTCROP_") ||
			strings.HasPrefix(k, "ENABLE_") || strings.HasPrefix(k, "BEDROCK_GUARDRAIL_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
