package ingest

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// extractVersion is part of the journal's settings key, like
// chunkerVersion: a change to what the extractors keep changes the chunks.
const extractVersion = 1

// kind is a supported document format, decided by the file extension.
type kind int

const (
	kindText kind = iota + 1
	kindMarkdown
	kindHTML
)

// kindOf maps an extension to its format; false for an unsupported one.
// PDF is not supported: the standard library cannot read it and no
// third-party PDF library is approved for this module.
func kindOf(path string) (kind, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt", ".text":
		return kindText, true
	case ".md", ".markdown":
		return kindMarkdown, true
	case ".html", ".htm":
		return kindHTML, true
	}
	return 0, false
}

// document is a file's extracted text.
type document struct {
	title string
	text  string
	// repaired is set when the file was not valid UTF-8 and its invalid
	// bytes were replaced with U+FFFD.
	repaired bool
}

// errBinary reports a file that holds NUL bytes: a binary file with a text
// extension, or text in UTF-16, which this package does not decode.
var errBinary = errors.New("binary content (NUL bytes; UTF-16 is not supported)")

// extract decodes a file's bytes and extracts its text and title. name is
// the file's base name, the title of a document that has none.
func extract(k kind, name string, data []byte) (document, error) {
	// Text files do not contain NUL; a NUL means the decoded "text" would
	// be noise that costs embedding calls and pollutes the index.
	if bytes.IndexByte(data, 0) >= 0 {
		return document{}, errBinary
	}
	src, repaired := decode(data)
	var d document
	switch k {
	case kindMarkdown:
		d.title, d.text = extractMarkdown(src)
	case kindHTML:
		d.title, d.text = extractHTML(src)
	default:
		d.text = src
	}
	if d.title == "" {
		d.title = name
	}
	d.repaired = repaired
	return d, nil
}

// decode returns data as a string with a leading byte order mark removed
// and line endings normalized to \n. Invalid UTF-8 is decoded leniently,
// each invalid sequence replaced with U+FFFD, rather than skipping the
// file: a stray Latin-1 byte in an otherwise readable note should not cost
// the whole note. The replacement is reported so that the caller can count
// it.
func decode(data []byte) (string, bool) {
	s := strings.TrimPrefix(string(data), "\ufeff")
	repaired := false
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\ufffd")
		repaired = true
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return s, repaired
}

// lines joins cleaned lines into text: runs of blank lines become one
// blank line (a paragraph break), and leading and trailing blank lines
// are dropped.
type lines struct {
	b     strings.Builder
	blank bool // a paragraph break is pending
}

// line adds one line of text without its indentation; an empty or
// whitespace-only line is a paragraph break.
func (l *lines) line(s string) { l.verbatim(strings.TrimSpace(s)) }

// verbatim adds a line keeping its indentation (code); a whitespace-only
// line is a paragraph break.
func (l *lines) verbatim(s string) {
	s = strings.TrimRight(s, " \t")
	if strings.TrimSpace(s) == "" {
		l.blank = true
		return
	}
	if l.b.Len() > 0 {
		if l.blank {
			l.b.WriteString("\n\n")
		} else {
			l.b.WriteByte('\n')
		}
	}
	l.blank = false
	l.b.WriteString(s)
}

// paragraph ends the current paragraph.
func (l *lines) paragraph() { l.blank = true }

func (l *lines) String() string { return l.b.String() }
