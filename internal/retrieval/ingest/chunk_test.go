package ingest

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCountTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{" \n\t ", 0},
		{"a", 1},
		{"word", 1},
		{"hello", 2}, // five characters: ceil(5/4)
		{"Hi, there!", 5},
		{"snake_case", 3},
		{"1234567890", 3},
		{"日本語", 3},
		{"naïve café", 3}, // runes, not bytes: 2 + 1
		{"🙂🙂", 2},
		{"über-straße", 4},
	}
	for _, tt := range tests {
		if got := CountTokens(tt.in); got != tt.want {
			t.Errorf("CountTokens(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// sampleTexts are documents of different shapes for the chunk invariants.
func sampleTexts() map[string]string {
	var prose, cjk, mixed strings.Builder
	for i := range 40 {
		fmt.Fprintf(&prose, "Sentence number %d talks about retrieval, chunks and overlap. ", i)
		if i%5 == 4 {
			prose.WriteString("\n\n")
		}
		cjk.WriteString("日本語の文章はスペースを使いません。")
		fmt.Fprintf(&mixed, "Ünïcödé %d — ½ “quoted” 🙂 naïve; ", i)
	}
	return map[string]string{
		"prose":     prose.String(),
		"cjk":       cjk.String(),
		"mixed":     mixed.String(),
		"long word": strings.Repeat("é", 1000),
		"one line":  strings.Repeat("word ", 500),
		"short":     "just a few words",
	}
}

func TestSplitInvariants(t *testing.T) {
	chunkers := []Chunker{{}, {Size: 20, Overlap: 5}, {Size: 50, Overlap: -1}, {Size: 7, Overlap: 6}, {Size: 1, Overlap: -1}}
	for name, text := range sampleTexts() {
		for _, c := range chunkers {
			t.Run(fmt.Sprintf("%s/%d-%d", name, c.Size, c.Overlap), func(t *testing.T) {
				checkChunks(t, c, text)
			})
		}
	}
}

// checkChunks asserts what every split must satisfy: chunks cover the
// text in order, within the size, on rune boundaries, with exactly the
// overlap in tokens.
func checkChunks(t *testing.T, c Chunker, text string) {
	t.Helper()
	chunks := c.Split("doc.txt", "Doc", text)
	toks := tokenize(text)
	tokenAt := map[int]int{} // byte offset of a token's start -> its index
	tokenEnd := map[int]int{}
	for i, tok := range toks {
		tokenAt[int(tok.start)] = i
		tokenEnd[int(tok.end)] = i + 1
	}
	if len(chunks) == 0 {
		t.Fatal("no chunks")
	}
	size, overlap := c.size(), c.overlap()
	for i, ch := range chunks {
		if ch.Index != i || ch.Source != "doc.txt" || ch.Title != "Doc" {
			t.Errorf("chunk %d: index %d, source %q, title %q", i, ch.Index, ch.Source, ch.Title)
		}
		if ch.Text != text[ch.Start:ch.End] {
			t.Errorf("chunk %d: Text is not text[Start:End]", i)
		}
		if !utf8.ValidString(ch.Text) || !utf8.RuneStart(text[ch.Start]) || (ch.End < len(text) && !utf8.RuneStart(text[ch.End])) {
			t.Errorf("chunk %d [%d:%d] splits a rune", i, ch.Start, ch.End)
		}
		if ch.Tokens > size || ch.Tokens < 1 {
			t.Errorf("chunk %d: %d tokens, want 1..%d", i, ch.Tokens, size)
		}
		if got := CountTokens(ch.Text); got != ch.Tokens {
			t.Errorf("chunk %d: Tokens = %d, but the text counts %d", i, ch.Tokens, got)
		}
		first, ok1 := tokenAt[ch.Start]
		end, ok2 := tokenEnd[ch.End]
		if !ok1 || !ok2 || end-first != ch.Tokens {
			t.Fatalf("chunk %d [%d:%d] is not aligned on tokens", i, ch.Start, ch.End)
		}
		if i == 0 && first != 0 {
			t.Errorf("the first chunk starts at token %d", first)
		}
		if i == len(chunks)-1 {
			if end != len(toks) {
				t.Errorf("the last chunk ends at token %d of %d", end, len(toks))
			}
			continue
		}
		if ch.Tokens < size/2 {
			t.Errorf("chunk %d: %d tokens, want at least %d", i, ch.Tokens, size/2)
		}
		next := tokenAt[chunks[i+1].Start]
		if got := end - next; got != overlap {
			t.Errorf("chunks %d and %d overlap by %d tokens, want %d", i, i+1, got, overlap)
		}
	}
}

func TestSplitBreaks(t *testing.T) {
	// 10 words, then a paragraph, then 20 more: with room for 16 tokens
	// the first chunk ends at the paragraph even though a sentence ends
	// later in its window.
	words := func(n int, w string) string { return strings.TrimSpace(strings.Repeat(w+" ", n)) }
	tests := []struct {
		name, text string
		size       int
		wantFirst  string
	}{
		{"paragraph over sentence", words(9, "aa") + ".\n\n" + words(3, "bb") + ". " + words(20, "cc"), 16, words(9, "aa") + "."},
		{"sentence over word", words(10, "aa") + "! " + words(20, "bb"), 16, words(10, "aa") + "!"},
		{"sentence with closing quote", words(10, "aa") + ".\" " + words(20, "bb"), 16, words(10, "aa") + ".\""},
		{"line break is a sentence", words(10, "aa") + "\n" + words(20, "bb"), 16, words(10, "aa")},
		{"word when no sentence", words(30, "aa"), 16, words(16, "aa")},
		{"sentence too early is not taken", "aa. " + words(30, "bb"), 16, "aa. " + words(14, "bb")},
		{"inside a long word as a last resort", strings.Repeat("x", 100), 5, strings.Repeat("x", 20)},
		{"CJK sentence", strings.Repeat("日", 10) + "。" + strings.Repeat("本", 20), 16, strings.Repeat("日", 10) + "。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := Chunker{Size: tt.size, Overlap: 2}.Split("d", "", tt.text)
			if len(chunks) < 2 {
				t.Fatalf("%d chunks, want at least 2", len(chunks))
			}
			if chunks[0].Text != tt.wantFirst {
				t.Errorf("first chunk:\ngot  %q\nwant %q", chunks[0].Text, tt.wantFirst)
			}
		})
	}
}

func TestSplitEmpty(t *testing.T) {
	for _, text := range []string{"", " ", "\n\n\t \n"} {
		if got := (Chunker{}).Split("d", "", text); got != nil {
			t.Errorf("Split(%q) = %d chunks, want none", text, len(got))
		}
	}
}

func TestChunkIDs(t *testing.T) {
	text := sampleTexts()["prose"]
	c := Chunker{Size: 20, Overlap: 5}
	a := c.Split("docs/a.md", "A", text)
	b := c.Split("docs/a.md", "A", text)
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("chunk %d: ID %s, then %s", i, a[i].ID, b[i].ID)
		}
		if seen[a[i].ID] {
			t.Errorf("chunk %d: ID %s repeats", i, a[i].ID)
		}
		seen[a[i].ID] = true
	}
	if other := c.Split("docs/b.md", "A", text); other[0].ID == a[0].ID {
		t.Error("two files with the same text have the same first chunk ID")
	}
	if edited := c.Split("docs/a.md", "A", "Edited. "+text); edited[0].ID == a[0].ID {
		t.Error("an edited chunk kept its ID")
	}
	// Pinned, so that a change of the ID scheme (which orphans every
	// stored index entry) is a deliberate one.
	// It is sha256("docs/a.md\x000\x00Hello, world.").
	const want = "2bdb09a99b4171bd43aa5757f9e7f890c7e09aef85d6b78da96d273cc9ca7ccd"
	if got := (Chunker{}).Split("docs/a.md", "", "Hello, world.")[0].ID; got != want {
		t.Errorf("ID of a known chunk = %s, want %s", got, want)
	}
}

func TestChunkerValidate(t *testing.T) {
	tests := []struct {
		c  Chunker
		ok bool
	}{
		{Chunker{}, true},
		{Chunker{Size: 10, Overlap: 9}, true},
		{Chunker{Size: 10, Overlap: -1}, true},
		{Chunker{Size: 10, Overlap: 10}, false},
		{Chunker{Size: 30}, false}, // the default overlap, 60, does not fit
		{Chunker{Size: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok %v", tt.c, err, tt.ok)
		}
	}
}
