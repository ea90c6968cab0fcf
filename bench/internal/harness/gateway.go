package harness

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// gatewaySpec is what an Outcrop target turns on.
type gatewaySpec struct {
	// bedrock serves the models from a bedrock upstream (translation)
	// instead of an openai-compatible one (relay).
	bedrock bool
	// key requires keys (auth.master_key set) and sends a virtual key
	// with rate limits, which are kept in memory unless redis is set.
	key bool
	// redis keeps the rate limits in Redis, under a prefix of the run's.
	redis bool
	// accessLog writes the access log (level info) to a file.
	accessLog bool
}

// gatewayConfig is Outcrop's configuration for one target instance.
type gatewayConfig struct {
	spec       gatewaySpec
	dir        string // the instance's directory: data, access log
	addr       string
	openaiAddr string
	bedrockURL string
	shapes     []string // model names, one per shape
	redisURL   string
	prefix     string
}

// yaml renders the configuration (docs/configuration.md).
func (c gatewayConfig) yaml() string {
	var b strings.Builder
	level := "warn" // the access log is written at info
	logFile := ""
	if c.spec.accessLog {
		level, logFile = "info", filepath.Join(c.dir, "access.log")
	}
	fmt.Fprintf(&b, "server:\n  addr: %q\n  shutdown_grace: 2s\n", c.addr)
	fmt.Fprintf(&b, "log:\n  format: json\n  level: %s\n  file: %q\n", level, logFile)
	fmt.Fprintf(&b, "demo:\n  enabled: \"false\"\nbedrock:\n  enabled: \"false\"\n")
	fmt.Fprintf(&b, "storage:\n  data_dir: %q\n", filepath.Join(c.dir, "data"))
	if c.spec.key {
		fmt.Fprintf(&b, "auth:\n  master_key: %q\n", "sk-bench-master-"+rand.Text())
	}
	if c.spec.redis {
		fmt.Fprintf(&b, "limits:\n  redis_url: %q\n  redis_prefix: %q\n", c.redisURL, c.prefix)
	}
	b.WriteString("upstreams:\n")
	if c.spec.bedrock {
		fmt.Fprintf(&b, "  - name: aws\n    type: bedrock\n    region: %s\n    endpoint: %q\n", bedrocktest.Region, c.bedrockURL)
	} else {
		fmt.Fprintf(&b, "  - name: emu\n    type: openai-compatible\n    base_url: %q\n", "http://"+c.openaiAddr+"/v1")
	}
	b.WriteString("models:\n")
	for _, m := range c.shapes {
		if c.spec.bedrock {
			fmt.Fprintf(&b, "  - name: %q\n    deployments: [{upstream: aws, model: %q}]\n", m, bedrockModelFor(m))
		} else {
			fmt.Fprintf(&b, "  - name: %q\n    deployments: [{upstream: emu}]\n", m)
		}
	}
	return b.String()
}

// gatewayEnv is the environment of an Outcrop target: the Bedrock
// emulator's credentials where the AWS SDK's default chain reads them,
// and nothing from the developer's AWS configuration.
func gatewayEnv(extra ...string) []string {
	return childEnv(append([]string{
		"AWS_ACCESS_KEY_ID=" + bedrocktest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + bedrocktest.SecretAccessKey,
		"AWS_REGION=" + bedrocktest.Region,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}, extra...)...)
}

// writeConfig writes c to its directory and returns the file's path.
func writeConfig(c gatewayConfig) (string, error) {
	if err := os.MkdirAll(c.dir, 0o750); err != nil {
		return "", err
	}
	path := filepath.Join(c.dir, "outcrop.yaml")
	return path, os.WriteFile(path, []byte(c.yaml()), 0o600)
}

// createKey creates a virtual key with limits too high to be reached,
// with `outcrop keys create`, and returns its secret.
func createKey(ctx context.Context, bin, config string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "keys", "create", "--config", config,
		"--name", "bench", "--rpm", "100000000", "--tpm", "1000000000", "--json")
	cmd.Env = gatewayEnv()
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		return "", fmt.Errorf("outcrop keys create: %w: %s", err, stderr)
	}
	var k struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(out, &k); err != nil || k.Key == "" {
		return "", fmt.Errorf("outcrop keys create: no key in %q", out)
	}
	return k.Key, nil
}
