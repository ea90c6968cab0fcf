package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Skipped is a file (or directory) that the walk passed over, and why.
type Skipped struct {
	// Path is the file's path as walked, with forward slashes.
	Path string `json:"path"`
	// Reason says why, in a few words ("unsupported extension .pdf").
	Reason string `json:"reason"`
}

// source is a file to ingest.
type source struct {
	path   string // as walked, with forward slashes: the chunks' Source
	osPath string // to open
	kind   kind
}

// walker collects the supported files under the paths it is given, in a
// deterministic order: the paths in the order given, each directory's
// entries sorted by name (os.ReadDir sorts them).
type walker struct {
	files   []source
	skipped []Skipped
	// seen maps the real path (symbolic links resolved) of every file and
	// directory taken to its walked path: a directory reached twice
	// through links, or a file named twice, is taken once.
	seen map[string]string
	// active holds the real paths of the directories being walked, to tell
	// a symbolic link loop from a second route to the same directory.
	active map[string]bool
}

// walk returns the supported files under paths. A path that does not exist
// is an error (a typo on the command line should not build an empty
// index); problems below it (an unreadable directory, a broken link) are
// skipped with a reason.
func walk(paths []string) ([]source, []Skipped, error) {
	w := &walker{seen: map[string]string{}, active: map[string]bool{}}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		// The paths given are taken even when hidden ("." or ".notes"):
		// only what the walk finds below them is filtered.
		w.entry(p, filepath.ToSlash(filepath.Clean(p)), fi)
	}
	return w.files, w.skipped, nil
}

// entry takes a file or a directory; fi describes its target (links
// followed).
func (w *walker) entry(osPath, path string, fi fs.FileInfo) {
	switch {
	case fi.IsDir():
		w.dir(osPath, path)
	case fi.Mode().IsRegular():
		w.file(osPath, path)
	default:
		w.skip(path, "not a regular file")
	}
}

func (w *walker) skip(path, reason string) {
	w.skipped = append(w.skipped, Skipped{Path: path, Reason: reason})
}

// dir walks a directory, following symbolic links to directories but not
// around a loop.
func (w *walker) dir(osPath, path string) {
	resolved, err := realPath(osPath)
	if err != nil {
		w.skip(path, err.Error())
		return
	}
	if first, ok := w.seen[resolved]; ok {
		if w.active[resolved] {
			w.skip(path, "symbolic link loop to "+first)
		} else {
			w.skip(path, "already walked as "+first)
		}
		return
	}
	w.seen[resolved] = path
	w.active[resolved] = true
	defer delete(w.active, resolved)
	entries, err := os.ReadDir(osPath)
	if err != nil {
		w.skip(path, "unreadable directory: "+unwrapPathError(err))
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			// Hidden entries (.git, .venv, editor swap files) are not
			// documents; they are not counted as skipped either, or a
			// repository's .git would drown the report.
			continue
		}
		childOS := filepath.Join(osPath, e.Name())
		child := path + "/" + e.Name()
		if path == "." {
			child = e.Name()
		}
		fi, err := e.Info()
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			fi, err = os.Stat(childOS)
			if err != nil {
				w.skip(child, "broken symbolic link")
				continue
			}
		}
		if err != nil {
			w.skip(child, unwrapPathError(err))
			continue
		}
		w.entry(childOS, child, fi)
	}
}

// file takes a regular file with a supported extension, once.
func (w *walker) file(osPath, path string) {
	k, ok := kindOf(path)
	if !ok {
		ext := filepath.Ext(path)
		switch {
		case ext == "":
			w.skip(path, "no extension")
		case strings.EqualFold(ext, ".pdf"):
			w.skip(path, "PDF is not supported")
		default:
			w.skip(path, "unsupported extension "+ext)
		}
		return
	}
	resolved, err := realPath(osPath)
	if err != nil {
		w.skip(path, err.Error())
		return
	}
	if first, ok := w.seen[resolved]; ok {
		w.skip(path, "duplicate of "+first)
		return
	}
	w.seen[resolved] = path
	w.files = append(w.files, source{path: path, osPath: osPath, kind: k})
}

// realPath returns the absolute path of p with symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("resolving links: %s", unwrapPathError(err))
	}
	return resolved, nil
}

// unwrapPathError returns the cause of a *fs.PathError without the path,
// which the Skipped entry already names.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
