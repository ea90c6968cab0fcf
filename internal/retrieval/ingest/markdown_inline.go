package ingest

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// inlineItem is a piece of a Markdown line: text, or a run of emphasis
// delimiters that may pair up with another.
type inlineItem struct {
	text string
	// raw text is final: code, an escaped character, an already cleaned
	// link text. Entities are decoded only in the rest, so that a code
	// span's "&amp;" stays as written.
	raw bool
	// delim is '*', '_' or '~' for a delimiter run of n characters; n
	// drops as the run pairs up, and what is left is literal text.
	delim       byte
	n           int
	open, close bool
}

// inline cleans a line's inline markup.
func inline(s string) string {
	items := inlineItems(s)
	pairEmphasis(items)
	var b strings.Builder
	for _, it := range items {
		switch {
		case it.delim != 0:
			b.WriteString(strings.Repeat(string(it.delim), it.n))
		case it.raw:
			b.WriteString(it.text)
		default:
			b.WriteString(html.UnescapeString(it.text))
		}
	}
	return strings.TrimSpace(b.String())
}

// inlineItems splits a line into items, resolving everything but emphasis.
func inlineItems(s string) []inlineItem {
	var items []inlineItem
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			items = append(items, inlineItem{text: text.String()})
			text.Reset()
		}
	}
	emit := func(it inlineItem) {
		flush()
		items = append(items, it)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && isASCIIPunct(s[i+1]) {
				emit(inlineItem{text: s[i+1 : i+2], raw: true})
				i += 2
				continue
			}
		case '`':
			n := runLen(s, i, '`')
			if code, next, ok := codeSpan(s, i, n); ok {
				emit(inlineItem{text: code, raw: true})
				i = next
			} else {
				text.WriteString(s[i : i+n]) // an unmatched run is literal
				i += n
			}
			continue
		case '!', '[':
			start := i
			if c == '!' {
				start++
			}
			if start < len(s) && s[start] == '[' {
				if label, next, ok := link(s, start); ok {
					emit(inlineItem{text: inline(label), raw: true})
					i = next
					continue
				}
			}
		case '<':
			if inner, next, ok := autolink(s, i); ok {
				emit(inlineItem{text: inner, raw: true})
				i = next
				continue
			}
			if next, ok := htmlTag(s, i); ok {
				if strings.HasPrefix(strings.ToLower(s[i:]), "<br") {
					text.WriteByte(' ')
				}
				// "a <!-- x --> b" is "a b", not "a  b".
				for spaced(&text, items) && next < len(s) && s[next] == ' ' {
					next++
				}
				i = next
				continue
			}
		case '*', '_', '~':
			n := runLen(s, i, c)
			if c == '~' && n != 2 {
				text.WriteString(s[i : i+n]) // only ~~ is strikethrough
				i += n
				continue
			}
			before, _ := utf8.DecodeLastRuneInString(s[:i])
			after, _ := utf8.DecodeRuneInString(s[i+n:])
			if i == 0 {
				before = ' '
			}
			if i+n == len(s) {
				after = ' '
			}
			open, closing := flanking(c, before, after)
			emit(inlineItem{delim: c, n: n, open: open, close: closing})
			i += n
			continue
		}
		text.WriteByte(c)
		i++
	}
	flush()
	return items
}

// spaced reports whether the text so far ends with a space (or is empty).
func spaced(text *strings.Builder, items []inlineItem) bool {
	if text.Len() > 0 {
		return strings.HasSuffix(text.String(), " ")
	}
	return len(items) == 0
}

// flanking decides whether a delimiter run between the runes before and
// after it can open and close emphasis (CommonMark's left- and
// right-flanking rules; "_" does not emphasize inside a word, so that
// snake_case_names survive).
func flanking(c byte, before, after rune) (open, closing bool) {
	left := !unicode.IsSpace(after) && (!isPunct(after) || unicode.IsSpace(before) || isPunct(before))
	right := !unicode.IsSpace(before) && (!isPunct(before) || unicode.IsSpace(after) || isPunct(after))
	if c == '_' {
		return left && (!right || isPunct(before)), right && (!left || isPunct(after))
	}
	return left, right
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

func isASCIIPunct(c byte) bool {
	return c > ' ' && c < 0x7f && !isASCIIDigit(c) && !isASCIILetter(c)
}

// pairEmphasis pairs closers with the nearest opener of the same
// character, consuming the shorter run's length from both, so that a
// lone "*" (as in "2 * 3" or "5* rating") stays as written.
func pairEmphasis(items []inlineItem) {
	var openers []int // indexes of runs that may still open
	for k := range items {
		it := &items[k]
		if it.delim == 0 {
			continue
		}
		for it.close && it.n > 0 {
			m := len(openers) - 1
			for m >= 0 && items[openers[m]].delim != it.delim {
				m--
			}
			if m < 0 {
				break
			}
			o := &items[openers[m]]
			take := min(o.n, it.n)
			o.n -= take
			it.n -= take
			// Openers above the match are inside the pair and can no
			// longer match anything after it.
			openers = openers[:m+1]
			if o.n == 0 {
				openers = openers[:m]
			}
		}
		if it.open && it.n > 0 {
			openers = append(openers, k)
		}
	}
}

// codeSpan returns the content of the code span opened by the n backticks
// at s[i] and the offset after it; false if no run of exactly n backticks
// closes it.
func codeSpan(s string, i, n int) (string, int, bool) {
	for j := i + n; j < len(s); {
		k := strings.IndexByte(s[j:], '`')
		if k < 0 {
			break
		}
		j += k
		m := runLen(s, j, '`')
		if m == n {
			code := s[i+n : j]
			// One space on each side lets a span start or end with a
			// backtick; it is not content.
			if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.TrimSpace(code) != "" {
				code = code[1 : len(code)-1]
			}
			return code, j + m, true
		}
		j += m
	}
	return "", 0, false
}

// link parses "[text](target)", "[text][ref]" or "[text][]" at s[i] ==
// '[' and returns the text and the offset after the link. A footnote
// reference "[^1]" has no text. A bare "[text]" is not taken for a link:
// brackets in prose ("array[0]", "[sic]") are more common than shortcut
// references.
func link(s string, i int) (string, int, bool) {
	end := matching(s, i, '[', ']')
	if end < 0 {
		return "", 0, false
	}
	label := s[i+1 : end]
	if strings.HasPrefix(label, "^") && !strings.ContainsAny(label, " \t") {
		return "", end + 1, true
	}
	if end+1 >= len(s) {
		return "", 0, false
	}
	switch s[end+1] {
	case '(':
		if paren := matching(s, end+1, '(', ')'); paren >= 0 {
			return label, paren + 1, true
		}
	case '[':
		if ref := strings.IndexByte(s[end+1:], ']'); ref >= 0 {
			return label, end + 1 + ref + 1, true
		}
	}
	return "", 0, false
}

// matching returns the index of the bracket that closes the one at s[i],
// counting nesting and skipping backslash escapes, code spans and quoted
// link titles; -1 if there is none.
func matching(s string, i int, open, closing byte) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch c := s[j]; c {
		case '\\':
			j++
		case '`':
			n := runLen(s, j, '`')
			if _, next, ok := codeSpan(s, j, n); ok {
				j = next - 1
			} else {
				j += n - 1
			}
		case '"':
			// A link title, as in (url "a) title"), may hold a paren.
			if open == '(' && j > 0 && s[j-1] == ' ' {
				if k := strings.IndexByte(s[j+1:], '"'); k >= 0 {
					j += k + 1
				}
			}
		case open:
			depth++
		case closing:
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// autolink parses "<https://example.com>" or "<user@example.com>" at s[i]
// and returns its text (which is its target, and kept: it is all the
// link says).
func autolink(s string, i int) (string, int, bool) {
	end := strings.IndexByte(s[i:], '>')
	if end < 0 {
		return "", 0, false
	}
	inner := s[i+1 : i+end]
	if inner == "" || strings.ContainsAny(inner, " \t<") {
		return "", 0, false
	}
	if scheme, _, ok := strings.Cut(inner, ":"); ok && len(scheme) >= 2 && isScheme(scheme) {
		return inner, i + end + 1, true
	}
	if at := strings.IndexByte(inner, '@'); at > 0 && strings.Contains(inner[at:], ".") {
		return inner, i + end + 1, true
	}
	return "", 0, false
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isASCIILetter(c) || i > 0 && (isASCIIDigit(c) || c == '+' || c == '.' || c == '-') {
			continue
		}
		return false
	}
	return true
}

// htmlTag recognizes an inline HTML tag or comment at s[i] == '<' and
// returns the offset after it. "a < b" and "<3" are not tags.
func htmlTag(s string, i int) (int, bool) {
	if strings.HasPrefix(s[i:], "<!--") {
		if end := strings.Index(s[i+4:], "-->"); end >= 0 {
			return i + 4 + end + 3, true
		}
		return 0, false
	}
	j := i + 1
	if j < len(s) && s[j] == '/' {
		j++
	}
	name := j
	for j < len(s) && (isASCIILetter(s[j]) || j > name && (s[j] == '-' || isASCIIDigit(s[j]))) {
		j++
	}
	if j == name || j == len(s) || strings.IndexByte(">/ \t", s[j]) < 0 {
		return 0, false
	}
	end := tagEnd(s, j)
	if end < 0 {
		return 0, false
	}
	return end, true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// tagEnd returns the offset after the '>' that ends a tag whose attributes
// start at s[j], skipping quoted attribute values (which may hold '>');
// -1 if the tag does not end.
func tagEnd(s string, j int) int {
	for j < len(s) {
		switch c := s[j]; c {
		case '>':
			return j + 1
		case '"', '\'':
			// Quotes open a value only after '=', possibly with spaces:
			// elsewhere they are part of a malformed attribute name.
			if k := strings.TrimRight(s[:j], " \t\n"); strings.HasSuffix(k, "=") {
				end := strings.IndexByte(s[j+1:], c)
				if end < 0 {
					return -1
				}
				j += end + 1
			}
		}
		j++
	}
	return -1
}
