package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden sections of testdata/*.txtar")

// testCase is one txtar archive: a config.yaml, an optional env (KEY=VALUE
// lines) and a golden section the test compares with.
type testCase struct {
	path    string
	archive *txtar.Archive
	yaml    []byte
	env     map[string]string
}

func readCase(t *testing.T, path string) *testCase {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCase{path: path, archive: a, env: make(map[string]string)}
	for _, f := range a.Files {
		switch f.Name {
		case "config.yaml":
			tc.yaml = f.Data
		case "env":
			for _, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				k, v, ok := strings.Cut(line, "=")
				if !ok {
					t.Fatalf("%s: env line %q has no =", path, line)
				}
				tc.env[k] = v
			}
		}
	}
	return tc
}

func (tc *testCase) getenv(name string) string { return tc.env[name] }

// golden compares got with the named section, or rewrites it with -update.
func (tc *testCase) golden(t *testing.T, section, got string) {
	t.Helper()
	if got != "" && !strings.HasSuffix(got, "\n") {
		got += "\n"
	}
	for i, f := range tc.archive.Files {
		if f.Name != section {
			continue
		}
		if *update {
			tc.archive.Files[i].Data = []byte(got)
			if err := os.WriteFile(tc.path, txtar.Format(tc.archive), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		if want := string(f.Data); got != want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", section, got, want)
		}
		return
	}
	t.Fatalf("%s has no %q section", tc.path, section)
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test files match %s (err %v)", pattern, err)
	}
	return paths
}

func caseName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".txtar")
}
