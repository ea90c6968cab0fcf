package config

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateCases loads each testdata/validate case and compares the
// problems Validate reports, one a line, with the golden "problems"
// section (empty for a valid configuration).
func TestValidateCases(t *testing.T) {
	for _, path := range glob(t, "testdata/validate/*.txtar") {
		t.Run(caseName(path), func(t *testing.T) {
			tc := readCase(t, path)
			c, err := Parse(tc.yaml, tc.getenv)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := ""
			if err := c.Validate(); err != nil {
				var ps Problems
				if !errors.As(err, &ps) {
					t.Fatalf("Validate returned %T, want Problems", err)
				}
				got = ps.Error()
			}
			tc.golden(t, "problems", got)
		})
	}
}

// TestLoadErrors checks what Load rejects outright: YAML that does not
// parse or does not fit the schema.
func TestLoadErrors(t *testing.T) {
	for _, path := range glob(t, "testdata/load/*.txtar") {
		t.Run(caseName(path), func(t *testing.T) {
			tc := readCase(t, path)
			c, err := Parse(tc.yaml, tc.getenv)
			if err == nil {
				t.Fatalf("Parse returned %+v, want an error", c)
			}
			tc.golden(t, "error", err.Error())
		})
	}
}

// TestValidateHandBuilt validates configurations built in Go, as the app
// and its tests build them, and checks that Validate changes nothing.
func TestValidateHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		cfg  func() *Config // called twice: one to validate, one to compare with
		want Problems
	}{
		{name: "zero value", cfg: func() *Config { return &Config{} }},
		{name: "defaults", cfg: Default},
		{
			name: "zero values are defaults, bad values are not",
			cfg: func() *Config {
				return &Config{
					Upstreams: []Upstream{{Name: "o", APIKey: "k", Headers: map[string]Secret{"X-A": "v"}}},
					Models:    []Model{{Name: "m", Deployments: []Deployment{{Upstream: "o"}}}},
					Aliases:   map[string]string{"m": "m"},
				}
			},
			want: Problems{{Path: "aliases.m", Message: `alias "m" is also a model name (models[0])`}},
		},
		{
			name: "load problems come first and stay",
			cfg: func() *Config {
				c, err := Parse([]byte("server: {addr: bad}\n"), func(k string) string {
					return map[string]string{EnvMaxBodyBytes: "x"}[k]
				})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			want: Problems{
				{Path: "env OUTCROP_MAX_BODY_BYTES", Message: `invalid integer "x" (want a size in bytes)`},
				{Path: "server.addr", Message: `invalid address "bad": missing port in address (want host:port, like "127.0.0.1:8080")`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg()
			for range 2 { // twice: a second run must see the same
				err := cfg.Validate()
				var got Problems
				if err != nil && !errors.As(err, &got) {
					t.Fatalf("Validate returned %T, want Problems", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.cfg(), cfg, cmp.AllowUnexported(Config{})); diff != "" {
				t.Errorf("Validate changed the config (-before +after):\n%s", diff)
			}
		})
	}
}

// TestValidateNilWhenValid guards against returning a typed nil Problems,
// which would make `err != nil` true for a valid configuration.
func TestValidateNilWhenValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("got %#v, want untyped nil", err)
	}
}

func TestProblemsError(t *testing.T) {
	ps := Problems{{Path: "a.b", Message: "one"}, {Path: "env X", Message: "two"}}
	if got, want := ps.Error(), "a.b: one\nenv X: two"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
