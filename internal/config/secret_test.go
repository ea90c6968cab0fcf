package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	testKey    = "sk-very-secret-0123456789"
	testHeader = "org-hidden-9876"
)

// secretConfig is a loaded configuration holding testKey and testHeader.
func secretConfig(t *testing.T) *Config {
	t.Helper()
	env := map[string]string{"KEY": testKey}
	c, err := Parse([]byte(`
upstreams:
  - name: openai
    api_key: ${KEY}
    headers: {OpenAI-Organization: `+testHeader+`}
models:
  - name: m
    deployments: [{upstream: openai}]
`), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Upstreams[0].APIKey.Value() != testKey {
		t.Fatalf("got key %q, want %q", c.Upstreams[0].APIKey.Value(), testKey)
	}
	return c
}

// TestSecretsNeverPrinted renders a configuration holding secrets in every
// way a program might print or log it, and looks for the secrets (and the
// hex form %x would give) in the output.
func TestSecretsNeverPrinted(t *testing.T) {
	c := secretConfig(t)
	u := c.Upstreams[0]
	renders := map[string]func() string{
		"%v config":    func() string { return fmt.Sprintf("%v", c) },
		"%+v config":   func() string { return fmt.Sprintf("%+v", *c) },
		"%#v config":   func() string { return fmt.Sprintf("%#v", *c) },
		"%v upstream":  func() string { return fmt.Sprintf("%v", u) },
		"%s key":       func() string { return fmt.Sprintf("%s", u.APIKey) },
		"%q key":       func() string { return fmt.Sprintf("%q", u.APIKey) },
		"%x key":       func() string { return fmt.Sprintf("%x", u.APIKey) },
		"%X key":       func() string { return fmt.Sprintf("%X", u.APIKey) },
		"%d key":       func() string { return fmt.Sprintf("%d", u.APIKey) },
		"%v headers":   func() string { return fmt.Sprintf("%v", u.Headers) },
		"String":       func() string { return u.APIKey.String() },
		"Sprint":       func() string { return fmt.Sprint(u.APIKey, u.Headers) },
		"json config":  func() string { return mustJSON(t, c) },
		"json key":     func() string { return mustJSON(t, u.APIKey) },
		"yaml config":  func() string { return mustYAML(t, c) },
		"slog json":    func() string { return logWith(slog.NewJSONHandler, c) },
		"slog text":    func() string { return logWith(slog.NewTextHandler, c) },
		"text marshal": func() string { b, _ := u.APIKey.MarshalText(); return string(b) },
	}
	secrets := []string{testKey, testHeader, fmt.Sprintf("%x", testKey), fmt.Sprintf("%x", testHeader)}
	for name, render := range renders {
		t.Run(name, func(t *testing.T) {
			out := render()
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("output contains secret %q:\n%s", s, out)
				}
			}
			if !strings.Contains(out, redacted) {
				t.Errorf("output lacks %q, so the test did not see the field:\n%s", redacted, out)
			}
		})
	}
}

func TestSecretForms(t *testing.T) {
	tests := []struct {
		name   string
		secret Secret
		format string
		want   string
	}{
		{name: "empty %v", secret: "", format: "%v", want: ""},
		{name: "empty %q", secret: "", format: "%q", want: `""`},
		{name: "set %v", secret: "x", format: "%v", want: "[redacted]"},
		{name: "set %q", secret: "x", format: "%q", want: `"[redacted]"`},
		{name: "set %#v", secret: "x", format: "%#v", want: `config.Secret("[redacted]")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprintf(tt.format, tt.secret); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := mustJSON(t, Secret("")); got != `""` {
		t.Errorf("empty secret JSON: got %s, want \"\"", got)
	}
	if got := Secret("x").Value(); got != "x" {
		t.Errorf("Value: got %q, want %q", got, "x")
	}
}

// TestProblemsNeverQuoteSecrets checks that Validate's messages about
// secret-bearing fields do not repeat the value.
func TestProblemsNeverQuoteSecrets(t *testing.T) {
	c := secretConfig(t)
	c.Upstreams[0].Headers["X-Broken"] = Secret(testKey + "\n")
	c.Upstreams[0].BaseURL = "https://user:" + testKey + "@example.com:bad/"
	err := c.Validate()
	if err == nil {
		t.Fatal("got no problems, want two")
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("problems quote the secret:\n%v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func logWith[H slog.Handler](newHandler func(w io.Writer, o *slog.HandlerOptions) H, c *Config) string {
	var buf bytes.Buffer
	l := slog.New(newHandler(&buf, nil))
	u := c.Upstreams[0]
	l.Info("config", "config", c, "upstream", u, "key", u.APIKey, slog.Any("headers", u.Headers))
	return buf.String()
}
