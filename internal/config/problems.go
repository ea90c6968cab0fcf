package config

import "strings"

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Path locates the field, as in "models[1].deployments[0].upstream",
	// or names the environment variable, as in "env OUTCROP_ADDR".
	Path string
	// Message says what is wrong, in lower case.
	Message string
}

// String formats the problem as "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// Problems is every problem Validate found. It is an error listing them
// one a line.
type Problems []Problem

// Error lists the problems, one "path: message" a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
