package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	examplePath = "../../outcrop.example.yaml"
	docsPath    = "../../docs/configuration.md"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// TestExampleFile loads outcrop.example.yaml with the variables it refers
// to set, and checks that it is valid and that its server, log and demo
// sections are the defaults, as its header says.
func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	env := make(map[string]string)
	for _, m := range envRef.FindAllStringSubmatch(string(data), -1) {
		env[m[1]] = "test-" + strings.ToLower(m[1])
	}
	if len(env) == 0 {
		t.Fatal("the example refers to no environment variable; it should show ${VAR} secrets")
	}
	c, err := Load(examplePath, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate:\n%v", err)
	}
	def := Default()
	if diff := cmp.Diff([]any{def.Server, def.Log, def.Demo}, []any{c.Server, c.Log, c.Demo}); diff != "" {
		t.Errorf("server, log and demo differ from the defaults (-default +example):\n%s", diff)
	}

	// Without the environment every reference is a problem.
	c, err = Load(examplePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil {
		t.Error("got no problem with the variables unset, want one per reference")
	}
}

// TestDocsExamples validates every ```yaml block of docs/configuration.md,
// with any referenced variable set.
func TestDocsExamples(t *testing.T) {
	blocks := yamlBlocks(t, readDocs(t))
	if len(blocks) < 8 {
		t.Fatalf("found %d yaml blocks in %s, want the examples", len(blocks), docsPath)
	}
	getenv := func(name string) string {
		if slices.Contains(EnvNames(), name) {
			return ""
		}
		return "test-value"
	}
	for i, b := range blocks {
		c, err := Parse([]byte(b), getenv)
		if err != nil {
			t.Errorf("block %d: %v\n%s", i, err, b)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("block %d:\n%v\n%s", i, err, b)
		}
	}
}

// TestDocsCoverEveryKey checks that the reference names every YAML key and
// every OUTCROP_* variable.
func TestDocsCoverEveryKey(t *testing.T) {
	docs := readDocs(t)
	var missing []string
	for _, key := range yamlKeys(reflect.TypeFor[Config]()) {
		// A key appears alone or at the end of a dotted path.
		if !strings.Contains(docs, "`"+key+"`") && !strings.Contains(docs, "."+key+"`") {
			missing = append(missing, key)
		}
	}
	for _, name := range EnvNames() {
		if !strings.Contains(docs, "`"+name+"`") {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s does not mention %v", docsPath, missing)
	}
}

func readDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func yamlBlocks(t *testing.T, md string) []string {
	t.Helper()
	var blocks []string
	for _, part := range strings.Split(md, "```yaml\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatalf("unterminated yaml block in %s", docsPath)
		}
		blocks = append(blocks, block)
	}
	return blocks
}

// yamlKeys lists the yaml tags of t's fields, recursing into structs and
// slices of structs.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath() {
			keys = append(keys, yamlKeys(ft)...)
		}
	}
	return keys
}
