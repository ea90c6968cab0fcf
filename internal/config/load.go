package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// Load reads the YAML file at path (none when path is ""), expands ${VAR}
// references, applies the OUTCROP_* overrides read through getenv (nil
// means an empty environment) and fills in defaults. It returns an error
// only for a file that cannot be read or parsed, including unknown keys;
// everything else, such as an unset variable or an unparsable override,
// is kept for Validate, which Load does not call.
func Load(path string, getenv func(string) string) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
	}
	c, err := Parse(data, getenv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse is Load for YAML already in memory; empty data is an empty file.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &Config{}
	if err := decode(data, c); err != nil {
		return nil, err
	}
	c.expandReferences(getenv)
	c.applyOverrides(getenv)
	c.ApplyDefaults()
	return c, nil
}

// decode parses one YAML document strictly: an unknown key is an error, so
// a misspelt option fails loudly instead of being ignored.
func decode(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if errors.Is(err, io.EOF) {
		return nil // empty file or comments only
	}
	if err != nil {
		return friendlyYAMLError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document (remove the second ---)")
	}
	return nil
}

// unknownField matches yaml.v3's message for a key with no struct field.
// It names a Go type the user never wrote, so it is reworded.
var unknownField = regexp.MustCompile(`^(line \d+): field (.+) not found in type \S+$`)

// friendlyYAMLError rewords the per-line type errors of yaml.v3 so that
// they speak of the file rather than of Go types.
func friendlyYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	out := &yaml.TypeError{Errors: make([]string, len(te.Errors))}
	for i, e := range te.Errors {
		out.Errors[i] = unknownField.ReplaceAllString(e, `$1: unknown key "$2"`)
	}
	return out
}
