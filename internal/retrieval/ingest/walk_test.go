package ingest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"z.txt":              "z",
		"a.md":               "a",
		"B.HTM":              "b",
		"docs/2.markdown":    "2",
		"docs/10.html":       "10",
		"docs/img.png":       "png",
		"docs/Makefile":      "all:",
		"docs/paper.pdf":     "%PDF",
		"docs/.draft.md":     "hidden file",
		".git/HEAD.txt":      "hidden dir",
		"docs/.cache/x.md":   "hidden nested dir",
		"docs/deep/er/n.txt": "n",
	})
	links := runtime.GOOS != "windows"
	if links {
		// A loop back to the root, a second route to docs (sorted after
		// it), a link to a file walked later, and a broken link.
		for link, target := range map[string]string{
			"docs/deep/loop":  "../..",
			"zz-alias":        "docs",
			"docs/link.txt":   "../z.txt",
			"docs/broken.txt": "nowhere.txt",
		} {
			if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Chdir(dir)

	files, skipped, err := walk([]string{".", "a.md"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.path)
	}
	want := []string{"B.HTM", "a.md", "docs/10.html", "docs/2.markdown", "docs/deep/er/n.txt", "z.txt"}
	wantSkipped := []Skipped{
		{"docs/Makefile", "no extension"},
		{"docs/img.png", "unsupported extension .png"},
		{"docs/paper.pdf", "PDF is not supported"},
		{"a.md", "duplicate of a.md"},
	}
	if links {
		// The first route in walk order names a file reached twice.
		want = []string{"B.HTM", "a.md", "docs/10.html", "docs/2.markdown", "docs/deep/er/n.txt", "docs/link.txt"}
		wantSkipped = []Skipped{
			{"docs/Makefile", "no extension"},
			{"docs/broken.txt", "broken symbolic link"},
			{"docs/deep/loop", "symbolic link loop to ."},
			{"docs/img.png", "unsupported extension .png"},
			{"docs/paper.pdf", "PDF is not supported"},
			{"z.txt", "duplicate of docs/link.txt"},
			{"zz-alias", "already walked as docs"},
			{"a.md", "duplicate of a.md"},
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantSkipped, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}

	again, _, err := walk([]string{".", "a.md"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, again, cmp.AllowUnexported(source{})); diff != "" {
		t.Errorf("a second walk differs (-first +second):\n%s", diff)
	}
}

func TestWalkHiddenGiven(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{".notes/a.md": "a", ".notes/.b.md": "b"})
	t.Chdir(dir)
	files, _, err := walk([]string{".notes", ".notes/.b.md"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.path)
	}
	// What is named on the command line is taken, hidden or not; only
	// what the walk finds is filtered.
	if diff := cmp.Diff([]string{".notes/a.md", ".notes/.b.md"}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestWalkMissingPath(t *testing.T) {
	if _, _, err := walk([]string{filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Error("walk of a missing path: got nil error")
	}
}
