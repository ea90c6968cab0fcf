package ingest

import (
	"errors"
	"testing"
)

func TestExtractMarkdown(t *testing.T) {
	tests := []struct {
		name, in, title, text string
	}{
		{"heading and emphasis", "# Title\n\nSome *emph* and **bold** text.\n", "Title", "Title\n\nSome emph and bold text."},
		{"links images autolinks", `See [the docs](https://x.y/z "T") and ![logo](l.png) or <https://a.b>.`, "", "See the docs and logo or https://a.b."},
		{"reference link", "Read [the guide][g] and [this][].\n\n[g]: https://example.com/guide", "", "Read the guide and this."},
		{"link with parens and title", `[wiki](https://en.wikipedia.org/wiki/Go_(language) "a) b") end`, "", "wiki end"},
		{"code fence kept verbatim", "Intro\n```go\nx := *p * 2\n  [a](b)\n```\nAfter", "", "Intro\n\nx := *p * 2\n  [a](b)\n\nAfter"},
		{"tilde fence", "~~~~\n# not a heading\n~~~~\n", "", "# not a heading"},
		{"inline code", "Use `a*b*c` and `` `x` `` and `&amp;`", "", "Use a*b*c and `x` and &amp;"},
		{"entities and escapes", `Fish &amp; chips \*not emph\* &lt;b&gt;`, "", "Fish & chips *not emph* <b>"},
		{"lists quotes tasks", "- one\n- [x] two\n1. three\n2) four\n> quoted *x*\n> > deeper", "", "one\ntwo\nthree\nfour\nquoted x\ndeeper"},
		{"rules and definitions dropped", "a\n\n---\n\n***\n[id]: http://x\nb", "", "a\n\nb"},
		{"prose stars and underscores kept", "snake_case_name 2 * 3 5* rating -1 1.5 million", "", "snake_case_name 2 * 3 5* rating -1 1.5 million"},
		{"front matter", "---\ntitle: x\n---\n# Real\nbody", "Real", "Real\n\nbody"},
		{"unclosed front matter kept", "---\nnot front matter", "", "not front matter"},
		{"setext headings", "Title\n=====\n\nSub\n---\nbody", "Title", "Title\n\nSub\n\nbody"},
		{"html and comments", "<div align=\"center\">Hi</div>\n<!-- hidden\ncomment -->\nshown <!-- x --> here<br>there", "", "Hi\n\nshown here there"},
		{"table", "| a | b |\n|---|:-:|\n| 1 | 2 \\| 3 |", "", "a | b\n1 | 2 | 3"},
		{"no level-1 heading", "## Sub ##\ntext", "", "Sub\n\ntext"},
		{"closing hashes", "# Title #\n#hashtag", "Title", "Title\n\n#hashtag"},
		{"strikethrough", "~~old~~ new ~x~", "", "old new ~x~"},
		{"footnotes", "Claim[^1].\n\n[^1]: Source.", "", "Claim.\n\nSource."},
		{"nested emphasis", "***both*** and *a **b** c* and __under__", "", "both and a b c and under"},
		{"unbalanced emphasis", "**open only and *half**", "", "*open only and half"},
		{"hard break backslash", "line one\\\nline two", "", "line one\nline two"},
		{"brackets in prose", "array[0] and [sic] stay", "", "array[0] and [sic] stay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, text := extractMarkdown(tt.in)
			if title != tt.title {
				t.Errorf("title = %q, want %q", title, tt.title)
			}
			if text != tt.text {
				t.Errorf("text:\ngot  %q\nwant %q", text, tt.text)
			}
		})
	}
}

func TestExtractHTML(t *testing.T) {
	tests := []struct {
		name, in, title, text string
	}{
		{
			"document",
			"<!DOCTYPE html><html><head><title>My &amp;\n Page</title><style>p{color:red}</style>" +
				"<script>if (a<b) {document.write('</p>')}</script></head>" +
				"<body><h1>Head</h1><p>Para one &lt;tag&gt; &copy; 2024.</p><p>Two<br>lines</p>" +
				"<noscript>enable js</noscript></body></html>",
			"My & Page",
			"Head\n\nPara one <tag> © 2024.\n\nTwo\nlines",
		},
		{"whitespace collapsed", "<p>  a\n   b  </p>\n\n<p>c</p>", "", "a b\n\nc"},
		{"pre kept", "<pre>\n  x = 1\n  y = 2\n</pre><p>after</p>", "", "  x = 1\n  y = 2\n\nafter"},
		{"lists and tables", "<ul><li>one</li><li>two</li></ul><table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>", "", "one\ntwo\n\nA | B\n1 | 2"},
		{"comments and svg", "<p>a<!-- x --></p><svg><title>icon</title><text>junk</text></svg><p>b</p>", "", "a\n\nb"},
		{"inline tags and quoted attributes", `<p>foo<b>bar</b> <a href='x>y' title="a>b">baz</a></p>`, "", "foobar baz"},
		{"literal less-than", "<p>a < b and c<3</p>", "", "a < b and c<3"},
		{"case and template", "<P>x</P><TEMPLATE><p>t</p></TEMPLATE><SCRIPT>s</SCRIPT>y", "", "x\n\ny"},
		{"unterminated script", "<p>a</p><script>var x = '<p>b</p>'", "", "a"},
		{"nbsp", "a&nbsp;&nbsp;b", "", "a b"},
		{"cdata and processing instruction", "<?xml version=\"1.0\"?><p><![CDATA[x < y]]></p>", "", "x < y"},
		{"textarea", "<textarea><b>kept</b></textarea>", "", "<b>kept</b>"},
		{"nested dropped", "<noscript><noscript>a</noscript>b</noscript>c", "", "c"},
		{"first title wins", "<title>One</title><title>Two</title>text", "One", "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, text := extractHTML(tt.in)
			if title != tt.title {
				t.Errorf("title = %q, want %q", title, tt.title)
			}
			if text != tt.text {
				t.Errorf("text:\ngot  %q\nwant %q", text, tt.text)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name     string
		kind     kind
		in       string
		title    string
		text     string
		repaired bool
	}{
		{"text keeps markup", kindText, "# not a title\r\nline\r", "notes.txt", "# not a title\nline\n", false},
		{"byte order mark", kindText, "\ufeffhello", "notes.txt", "hello", false},
		{"invalid UTF-8 replaced", kindText, "caf\xe9 ok", "notes.txt", "caf\ufffd ok", true},
		{"markdown title", kindMarkdown, "# Guide\nx", "Guide", "Guide\n\nx", false},
		{"markdown without title", kindMarkdown, "x", "notes.txt", "x", false},
		{"html title", kindHTML, "<title>T</title>x", "T", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := extract(tt.kind, "notes.txt", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if d.title != tt.title || d.text != tt.text || d.repaired != tt.repaired {
				t.Errorf("got (%q, %q, %v), want (%q, %q, %v)", d.title, d.text, d.repaired, tt.title, tt.text, tt.repaired)
			}
		})
	}
	if _, err := extract(kindText, "x.txt", []byte("h\x00e\x00")); !errors.Is(err, errBinary) {
		t.Errorf("UTF-16 text: got %v, want errBinary", err)
	}
}
