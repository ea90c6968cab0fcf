package ingest

import (
	"html"
	"strings"
	"unicode"
)

// golang.org/x/net/html is not a dependency of this module, so HTML is
// read by a small tag stripper rather than a parser. It is robust rather
// than exact: it never fails, it drops what is not prose, and it keeps the
// block structure as line and paragraph breaks for the chunker.

// isRawText reports the elements that hold no markup, only text that ends
// at the element's end tag; their content is dropped (it is code, not
// prose).
func isRawText(name string) bool {
	switch name {
	case "script", "style", "iframe", "noembed", "noframes", "xmp":
		return true
	}
	return false
}

// isDropped reports the elements that hold markup whose text is not part
// of the document: fallbacks (noscript), inert templates, and drawings,
// whose <title> must not become the page's title.
func isDropped(name string) bool {
	switch name {
	case "noscript", "template", "svg", "math":
		return true
	}
	return false
}

// blockBreak returns the break a block element's start and end tags make:
// 2 a paragraph break, 1 a line break, 0 none (an inline element).
func blockBreak(name string) int {
	switch name {
	case "address", "article", "aside", "blockquote", "body", "details",
		"dialog", "dl", "fieldset", "figure", "footer", "form", "h1", "h2",
		"h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "main",
		"nav", "ol", "p", "pre", "section", "table", "ul":
		return 2
	case "br", "caption", "dd", "div", "dt", "figcaption", "legend", "li",
		"option", "summary", "tr":
		return 1
	}
	return 0
}

// extractHTML returns an HTML document's <title> and its text: tags
// stripped, entities decoded, whitespace collapsed outside <pre>, block
// elements turned into line and paragraph breaks, table cells separated
// by " | ", and the content of script, style, noscript, template, svg and
// the like dropped.
func extractHTML(src string) (title, text string) {
	var w htmlWriter
	for i := 0; i < len(src); {
		if src[i] != '<' {
			j := strings.IndexByte(src[i:], '<')
			if j < 0 {
				j = len(src) - i
			}
			w.text(src[i : i+j])
			i += j
			continue
		}
		i = w.markup(src, i)
	}
	var out lines
	for _, l := range strings.Split(w.b.String(), "\n") {
		out.verbatim(l)
	}
	return w.title, out.String()
}

// htmlWriter accumulates the text of a document as its tags go by.
type htmlWriter struct {
	b     strings.Builder
	brk   int    // pending break: 1 a line, 2 a paragraph
	sep   string // pending separator (" " or " | ") before the next text
	pre   int    // depth of <pre>: whitespace is kept
	first bool   // at the start of a <pre>, whose first newline is dropped
	skip  int    // depth of dropped elements
	cell  bool   // the current table row has a cell
	title string
}

// markup consumes the comment, declaration or tag at src[i] == '<' and
// returns the offset after it.
func (w *htmlWriter) markup(src string, i int) int {
	rest := src[i:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		return after(src, i+4, "-->")
	case strings.HasPrefix(rest, "<![CDATA["):
		end := strings.Index(src[i+9:], "]]>")
		if end < 0 {
			end = len(src) - i - 9
		}
		w.literal(src[i+9 : i+9+end])
		return min(i+9+end+3, len(src))
	case len(rest) > 1 && (rest[1] == '!' || rest[1] == '?'):
		return after(src, i+2, ">") // <!DOCTYPE>, <?xml?>
	}
	name, closing, selfClosing, next, ok := parseTag(src, i)
	if !ok {
		w.literal("<") // "a < b": not a tag
		return i + 1
	}
	if closing {
		w.end(name)
		return next
	}
	switch {
	case isRawText(name):
		_, next = elementText(src, next, name)
		return next
	case name == "title" && w.skip == 0:
		t, next := elementText(src, next, name)
		if w.title == "" {
			w.title = strings.Join(strings.Fields(html.UnescapeString(t)), " ")
		}
		return next
	case name == "textarea":
		t, next := elementText(src, next, name)
		w.text(t)
		return next
	}
	w.start(name, selfClosing)
	return next
}

// start handles a start tag.
func (w *htmlWriter) start(name string, selfClosing bool) {
	if isDropped(name) {
		if !selfClosing {
			w.skip++
		}
		return
	}
	switch name {
	case "pre":
		w.pre++
		w.first = true
	case "tr":
		w.cell = false
	case "td", "th":
		if w.cell {
			w.sep = " | "
		}
		w.cell = true
	}
	w.block(name)
}

// end handles an end tag.
func (w *htmlWriter) end(name string) {
	switch {
	case isDropped(name):
		if w.skip > 0 {
			w.skip--
		}
		return
	case name == "pre" && w.pre > 0:
		w.pre--
	}
	w.block(name)
}

// block records the break a block element makes; breaks do not add up,
// the strongest wins.
func (w *htmlWriter) block(name string) {
	if b := blockBreak(name); b > w.brk {
		w.brk = b
	}
}

// text writes a run of character data: entities decoded, whitespace
// collapsed to single spaces outside <pre>.
func (w *htmlWriter) text(s string) {
	if w.skip > 0 {
		return
	}
	s = html.UnescapeString(s)
	if w.pre > 0 {
		if w.first {
			s = strings.TrimPrefix(s, "\n")
		}
		w.literal(s)
		return
	}
	for _, r := range s {
		if unicode.IsSpace(r) { // U+00A0 (&nbsp;) included
			if w.sep == "" {
				w.sep = " "
			}
			continue
		}
		w.pending()
		w.b.WriteRune(r)
	}
}

// literal writes s as is, after any pending break.
func (w *htmlWriter) literal(s string) {
	if w.skip > 0 || s == "" {
		return
	}
	w.first = false
	w.pending()
	w.b.WriteString(s)
}

// pending writes the pending break or separator before new text. Nothing
// is written at the very start: the text does not begin with a break.
func (w *htmlWriter) pending() {
	switch {
	case w.b.Len() == 0:
	case w.brk == 2:
		w.b.WriteString("\n\n")
	case w.brk == 1:
		w.b.WriteByte('\n')
	default:
		w.b.WriteString(w.sep)
	}
	w.brk, w.sep = 0, ""
}

// parseTag parses the start or end tag at src[i] == '<' and returns its
// lower-cased name and the offset after it. An unterminated tag runs to
// the end of the document, as in a browser. ok is false when src[i] does
// not start a tag.
func parseTag(src string, i int) (name string, closing, selfClosing bool, next int, ok bool) {
	j := i + 1
	if j < len(src) && src[j] == '/' {
		closing = true
		j++
	}
	start := j
	for j < len(src) && (isASCIILetter(src[j]) || j > start && (src[j] == '-' || src[j] == ':' || '0' <= src[j] && src[j] <= '9')) {
		j++
	}
	if j == start {
		return "", false, false, 0, false
	}
	name = strings.ToLower(src[start:j])
	next = tagEnd(src, j)
	if next < 0 {
		return name, closing, false, len(src), true
	}
	return name, closing, src[next-2] == '/', next, true
}

// elementText returns the text of a raw-text element whose content starts
// at src[i], up to its end tag (matched without regard to case), and the
// offset after the end tag; without one, the rest of the document.
func elementText(src string, i int, name string) (string, int) {
	for j := i; ; {
		k := strings.Index(src[j:], "</")
		if k < 0 {
			return src[i:], len(src)
		}
		j += k
		end := j + 2 + len(name)
		if end <= len(src) && strings.EqualFold(src[j+2:end], name) && (end == len(src) || strings.IndexByte(" \t\n/>", src[end]) >= 0) {
			return src[i:j], after(src, end, ">")
		}
		j += 2
	}
}

// after returns the offset after the first marker at or past src[i], or
// len(src) if there is none.
func after(src string, i int, marker string) int {
	if k := strings.Index(src[i:], marker); k >= 0 {
		return i + k + len(marker)
	}
	return len(src)
}
