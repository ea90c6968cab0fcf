package ingest

import (
	"strings"
)

// extractMarkdown returns a Markdown document's title (its first level-1
// heading) and its text without the markup that carries no meaning. It is
// a careful line-based cleaner, not a CommonMark parser:
//
//   - YAML front matter is dropped.
//   - Fenced code blocks are kept verbatim, without their fences; indented
//     code is cleaned like prose.
//   - Headings (ATX and setext) become lines of their own, set apart as
//     paragraphs so that the chunker prefers to break before them.
//   - Block quote, list and task markers, thematic breaks, link reference
//     definitions, table delimiter rows and HTML comments are dropped.
//   - Inline: links and images keep their text (alt text) and lose their
//     targets; code spans keep their content; emphasis and strikethrough
//     delimiters are dropped when they pair up; HTML tags are dropped;
//     backslash escapes and entities are decoded.
func extractMarkdown(src string) (title, text string) {
	var out lines
	fence := ""        // the opening fence of the code block we are in
	inComment := false // inside an HTML comment that spans lines
	prev := ""         // the previous line's text, for a setext underline
	for _, line := range skipFrontMatter(strings.Split(src, "\n")) {
		if fence != "" {
			if closesFence(line, fence) {
				fence = ""
				out.paragraph()
			} else {
				out.verbatim(line)
			}
			continue
		}
		line, inComment = stripComment(line, inComment)
		line = stripQuote(line)
		trimmed := strings.TrimSpace(line)
		cur := ""
		switch {
		case trimmed == "":
			out.paragraph()
		case openFence(line) != "":
			fence = openFence(line)
			out.paragraph()
		case headingLevel(line) > 0:
			t := inline(headingText(trimmed))
			if headingLevel(line) == 1 && title == "" {
				title = t
			}
			out.paragraph()
			out.line(t)
			out.paragraph()
		case prev != "" && isSetextUnderline(trimmed):
			if trimmed[0] == '=' && title == "" {
				title = prev
			}
			out.paragraph()
		case isTableDelimiter(trimmed):
			// Not a break: the rows around it are one table.
		case isRule(trimmed), isRefDefinition(trimmed):
			out.paragraph()
		default:
			cur = inline(stripMarkers(trimmed))
			out.line(cur)
		}
		prev = strings.TrimSpace(cur)
	}
	return title, out.String()
}

// skipFrontMatter drops a YAML front matter block: a first line "---" up
// to the next "---" or "...". Without a closing line it is not front
// matter, and nothing is dropped.
func skipFrontMatter(ls []string) []string {
	if len(ls) == 0 || strings.TrimRight(ls[0], " \t") != "---" {
		return ls
	}
	for i := 1; i < len(ls); i++ {
		if l := strings.TrimRight(ls[i], " \t"); l == "---" || l == "..." {
			return ls[i+1:]
		}
	}
	return ls
}

// stripComment removes the HTML comments of a line: the end of one opened
// on an earlier line (inComment), and the start of one that this line
// opens and does not close. Comments that open and close within the line
// are left to inline.
func stripComment(line string, inComment bool) (string, bool) {
	if inComment {
		end := strings.Index(line, "-->")
		if end < 0 {
			return "", true
		}
		line = line[end+len("-->"):]
	}
	if i := strings.LastIndex(line, "<!--"); i >= 0 && !strings.Contains(line[i:], "-->") {
		return line[:i], true
	}
	return line, false
}

// indent returns the offset after at most three leading spaces, or -1 for
// four or more (or a tab), which is code in CommonMark.
func indent(line string) int {
	for i := 0; i < len(line) && i < 4; i++ {
		switch line[i] {
		case ' ':
		case '\t':
			return -1
		default:
			return i
		}
	}
	if len(line) < 4 {
		return len(line)
	}
	return -1
}

// stripQuote removes the block quote markers ("> ", nested or not).
func stripQuote(line string) string {
	for {
		i := indent(line)
		if i < 0 || i >= len(line) || line[i] != '>' {
			return line
		}
		line = strings.TrimPrefix(line[i+1:], " ")
	}
}

// openFence returns the fence ("```", "~~~~") a line opens, or "".
func openFence(line string) string {
	i := indent(line)
	if i < 0 || i >= len(line) || (line[i] != '`' && line[i] != '~') {
		return ""
	}
	n := runLen(line, i, line[i])
	if n < 3 {
		return ""
	}
	// A backtick fence's info string cannot hold a backtick: "``` a ` b"
	// is inline code, not a fence.
	if line[i] == '`' && strings.IndexByte(line[i+n:], '`') >= 0 {
		return ""
	}
	return line[i : i+n]
}

// closesFence reports whether line closes the code block opened by fence:
// a run of the same character at least as long, and nothing else.
func closesFence(line, fence string) bool {
	t := strings.TrimSpace(line)
	return len(t) >= len(fence) && runLen(t, 0, fence[0]) == len(t)
}

// runLen returns how many times c repeats in s from i.
func runLen(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// headingLevel returns the level of an ATX heading ("## Title"), or 0.
func headingLevel(line string) int {
	i := indent(line)
	if i < 0 || i >= len(line) {
		return 0
	}
	n := runLen(line, i, '#')
	if n < 1 || n > 6 || (i+n < len(line) && line[i+n] != ' ' && line[i+n] != '\t') {
		return 0
	}
	return n
}

// headingText returns an ATX heading's text, without the opening and the
// optional closing sequence of #.
func headingText(trimmed string) string {
	t := strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
	closing := strings.TrimRight(t, "#")
	if closing == "" {
		return ""
	}
	if last := closing[len(closing)-1]; len(closing) < len(t) && (last == ' ' || last == '\t') {
		t = closing
	}
	return strings.TrimSpace(t)
}

// isSetextUnderline reports a line of only = or only -.
func isSetextUnderline(trimmed string) bool {
	c := trimmed[0]
	return (c == '=' || c == '-') && runLen(trimmed, 0, c) == len(trimmed)
}

// isRule reports a thematic break: three or more of one of - * _, with
// optional spaces between.
func isRule(trimmed string) bool {
	c := trimmed[0]
	if c != '-' && c != '*' && c != '_' {
		return false
	}
	n := 0
	for i := 0; i < len(trimmed); i++ {
		switch trimmed[i] {
		case c:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

// isRefDefinition reports a link reference definition, "[id]: url".
// Footnote definitions ("[^1]: text") carry text and are not dropped.
func isRefDefinition(trimmed string) bool {
	if !strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "[^") {
		return false
	}
	end := strings.Index(trimmed, "]:")
	return end > 1 && !strings.Contains(trimmed[:end], "]")
}

// isTableDelimiter reports a table's delimiter row, "|---|:-:|".
func isTableDelimiter(trimmed string) bool {
	if !strings.Contains(trimmed, "|") || !strings.Contains(trimmed, "-") {
		return false
	}
	return strings.Trim(trimmed, "|:- \t") == ""
}

// stripMarkers removes a line's list item marker and task box, a footnote
// definition's label, a table row's outer pipes and a trailing backslash
// (a hard line break).
func stripMarkers(t string) string {
	t = stripListMarker(t)
	for _, box := range []string{"[ ] ", "[x] ", "[X] "} {
		t = strings.TrimPrefix(t, box)
	}
	if strings.HasPrefix(t, "[^") {
		if end := strings.Index(t, "]:"); end > 0 {
			t = strings.TrimSpace(t[end+2:])
		}
	}
	if strings.HasPrefix(t, "|") {
		t = tableRow(t)
	}
	if strings.HasSuffix(t, "\\") && !strings.HasSuffix(t, "\\\\") {
		t = t[:len(t)-1]
	}
	return t
}

// stripListMarker removes "- ", "* ", "+ ", "1. " or "1) ".
func stripListMarker(t string) string {
	i := 0
	switch t[0] {
	case '-', '*', '+':
		i = 1
	default:
		for i < len(t) && i < 9 && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i == 0 || i == len(t) || (t[i] != '.' && t[i] != ')') {
			return t
		}
		i++
	}
	if i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		return strings.TrimSpace(t[i:])
	}
	return t
}

// tableRow turns "| a | b |" into "a | b": the outer pipes go, the cells
// keep a separator so that they do not run together.
func tableRow(t string) string {
	t = strings.TrimPrefix(t, "|")
	if strings.HasSuffix(t, "|") && !strings.HasSuffix(t, "\\|") {
		t = t[:len(t)-1]
	}
	var cells []string
	start := 0
	for i := 0; i < len(t); i++ {
		if t[i] == '|' && (i == 0 || t[i-1] != '\\') {
			cells = append(cells, strings.TrimSpace(t[start:i]))
			start = i + 1
		}
	}
	cells = append(cells, strings.TrimSpace(t[start:]))
	return strings.Join(cells, " | ")
}
