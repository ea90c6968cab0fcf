package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunDocuments(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"bin.txt":    "PK\x03\x04\x00\x00binary",
		"latin1.txt": "caf\xe9 cr\xe8me",
		"empty.md":   "  \n\n# \n",
		"big.txt":    strings.Repeat("big ", 100),
		"ok.html":    "<p>fine</p>",
	})
	t.Chdir(dir)
	o := testOptions(&fakeEmbedder{})
	o.MaxFileBytes = 200
	res := mustRun(t, []string{"."}, o)

	wantSkipped := []Skipped{
		{"big.txt", "larger than 200 bytes"},
		{"bin.txt", errBinary.Error()},
	}
	if diff := cmp.Diff(wantSkipped, res.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	s := res.Stats
	if s.Files != 3 || s.Empty != 1 || s.Repaired != 1 || s.Skipped != 2 || s.Chunks != 2 {
		t.Errorf("stats %+v: want 3 files (1 empty, 1 repaired), 2 skipped, 2 chunks", s)
	}
	var texts []string
	for _, r := range res.Records {
		texts = append(texts, r.Text)
	}
	if diff := cmp.Diff([]string{"caf\ufffd cr\ufffdme", "fine"}, texts); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
	if want := CountTokens("caf\ufffd cr\ufffdme") + CountTokens("fine"); s.Tokens != want {
		t.Errorf("%d tokens, want %d", s.Tokens, want)
	}
}

func TestRunTokensWithOverlap(t *testing.T) {
	dir := t.TempDir()
	text := prose("overlap", 30)
	writeTree(t, dir, map[string]string{"a.txt": text})
	res := mustRun(t, []string{dir}, testOptions(&fakeEmbedder{}))
	if res.Stats.Chunks < 3 {
		t.Fatalf("%d chunks, want several", res.Stats.Chunks)
	}
	// Overlapping tokens are counted once.
	if want := CountTokens(text); res.Stats.Tokens != want {
		t.Errorf("%d tokens, want %d", res.Stats.Tokens, want)
	}
}
