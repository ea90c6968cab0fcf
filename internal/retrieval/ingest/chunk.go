package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Default chunk geometry, in tokens (see CountTokens). 400 tokens is about
// 300 English words: long enough to carry a self-contained passage, short
// enough that several fit in a prompt. 60 tokens of overlap (15%) keep a
// sentence that straddles a boundary whole in at least one chunk.
const (
	DefaultChunkSize = 400
	DefaultOverlap   = 60
)

// chunkerVersion is part of the journal's settings key: a change to the
// token rule or to the choice of break points must invalidate journaled
// vectors even when Size and Overlap are unchanged. Bump it with any such
// change.
const chunkerVersion = 1

// Chunker splits text into chunks of at most Size tokens, consecutive
// chunks sharing exactly Overlap tokens. Its zero value uses the defaults.
type Chunker struct {
	// Size is the largest chunk, in tokens. 0 means DefaultChunkSize (400).
	Size int
	// Overlap is how many tokens a chunk repeats from the end of the one
	// before it. 0 means DefaultOverlap (60); a negative value means no
	// overlap. It must be smaller than Size.
	Overlap int
}

func (c Chunker) size() int {
	if c.Size == 0 {
		return DefaultChunkSize
	}
	return c.Size
}

func (c Chunker) overlap() int {
	switch {
	case c.Overlap == 0:
		return DefaultOverlap
	case c.Overlap < 0:
		return 0
	}
	return c.Overlap
}

// Validate reports a Size below 1 or an Overlap that is not smaller than
// Size (every chunk must advance).
func (c Chunker) Validate() error {
	var errs []error
	if c.Size < 0 {
		errs = append(errs, fmt.Errorf("chunk size %d is negative", c.Size))
	} else if c.overlap() >= c.size() {
		errs = append(errs, fmt.Errorf("chunk overlap %d must be smaller than the chunk size %d", c.overlap(), c.size()))
	}
	return errors.Join(errs...)
}

// settingsKey names everything that decides chunk boundaries; the journal
// reuses a file's vectors only under the same key.
func (c Chunker) settingsKey() string {
	return fmt.Sprintf("chunker=%d extract=%d size=%d overlap=%d", chunkerVersion, extractVersion, c.size(), c.overlap())
}

// Chunk is one passage of a document.
type Chunk struct {
	// ID is stable across runs: the hex SHA-256 of Source, Index and Text.
	ID string `json:"id"`
	// Source is the file's path as walked, with forward slashes.
	Source string `json:"source"`
	// Index is the chunk's position in its document, from 0.
	Index int `json:"index"`
	// Start and End are the chunk's byte offsets in the document's
	// extracted text, End exclusive: for a .txt file in valid UTF-8, with
	// \n line endings and no byte order mark, offsets in the file itself.
	Start int `json:"start"`
	End   int `json:"end"`
	// Tokens is the chunk's length in tokens (see CountTokens).
	Tokens int `json:"tokens"`
	// Title is the document's title.
	Title string `json:"title,omitempty"`
	// Text is the passage.
	Text string `json:"text"`
}

// Gap levels: how good a place the gap before a token is to end a chunk.
const (
	gapInWord    int8 = iota // between two pieces of one long word
	gapJoined                // no space: "word," or "a.b"
	gapWord                  // whitespace, or between two CJK characters
	gapSentence              // after . ! ? and a space, or at a line break
	gapParagraph             // at a blank line
)

// token is a span of the text; offsets are int32 because files are capped
// well below 2 GiB (Options.MaxFileBytes).
type token struct {
	start, end int32
	gap        int8 // the gap before this token
}

// runesPerToken is the rule of thumb of about four characters per token
// for English text with BPE tokenizers. It is an approximation, on purpose:
// the chunk size only has to be roughly right, and a real tokenizer would
// tie the chunks to one model's vocabulary.
const runesPerToken = 4

// CountTokens returns the number of tokens in s by the approximation the
// chunker uses: whitespace separates and counts for nothing; each
// punctuation or symbol character is one token; each CJK character (Han,
// kana, Hangul) is one token; a run of other letters, digits, marks and
// underscores (a word) is one token per four characters, rounded up.
func CountTokens(s string) int {
	return len(tokenize(s))
}

// tokenize splits s into tokens, classifying the gap before each.
func tokenize(s string) []token {
	toks := make([]token, 0, len(s)/runesPerToken+1)
	newlines, space := 0, false
	sentenceEnd := false // the previous token ends a sentence (closers included)
	gapBefore := func() int8 {
		switch {
		case len(toks) == 0:
			return gapParagraph
		case newlines >= 2:
			return gapParagraph
		case newlines == 1:
			return gapSentence
		case space && sentenceEnd:
			return gapSentence
		case space:
			return gapWord
		}
		return gapJoined
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			space = true
			if r == '\n' {
				newlines++
			}
			i += n
			continue
		case isCJK(r):
			gap := gapBefore()
			if gap == gapJoined {
				gap = gapWord // CJK has no spaces: every character is a word
				if sentenceEnd {
					gap = gapSentence
				}
			}
			toks = append(toks, token{int32(i), int32(i + n), gap})
			sentenceEnd = false
			i += n
		case isWordRune(r):
			i = appendWord(&toks, s, i, gapBefore())
			sentenceEnd = false
		default:
			toks = append(toks, token{int32(i), int32(i + n), gapBefore()})
			switch {
			case isTerminator(r):
				sentenceEnd = true
			case isCloser(r):
				// ." and .) still end the sentence.
			default:
				sentenceEnd = false
			}
			i += n
		}
		newlines, space = 0, false
	}
	return toks
}

// appendWord appends the word starting at s[i] as tokens of runesPerToken
// runes each and returns the offset after it.
func appendWord(toks *[]token, s string, i int, gap int8) int {
	start, runes := i, 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) || isCJK(r) {
			break
		}
		if runes == runesPerToken {
			*toks = append(*toks, token{int32(start), int32(i), gap})
			start, runes, gap = i, 0, gapInWord
		}
		runes++
		i += n
	}
	*toks = append(*toks, token{int32(start), int32(i), gap})
	return i
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf { // the common case, without the Unicode tables
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isCJK(r rune) bool {
	// U+1100 (Hangul Jamo) is the first code point of these scripts.
	return r >= 0x1100 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '”', '’', '»', '」', '』':
		return true
	}
	return false
}

// Split cuts a document's extracted text into chunks. A chunk ends at the
// best break in the second half of its Size-token window: a paragraph
// break, else a sentence break, else a word break, else between tokens
// (inside a word longer than the window); among equally good breaks the
// latest wins, so chunks stay close to Size. The next chunk starts exactly
// Overlap tokens before the end. Token boundaries are rune boundaries, so
// no chunk splits a UTF-8 sequence. Whitespace-only text has no chunk.
// Settings that Validate rejects are clamped (Size to at least 1, Overlap
// to at most Size-1) so that Split always terminates.
func (c Chunker) Split(source, title, text string) []Chunk {
	toks := tokenize(text)
	size := max(c.size(), 1)
	overlap := min(c.overlap(), size-1)
	var chunks []Chunk
	for start := 0; len(toks) > 0; {
		end := len(toks)
		if end-start > size {
			end = breakAt(toks, start, size, overlap)
		}
		a, b := int(toks[start].start), int(toks[end-1].end)
		chunks = append(chunks, Chunk{
			Source: source,
			Index:  len(chunks),
			Start:  a,
			End:    b,
			Tokens: end - start,
			Title:  title,
			Text:   text[a:b],
		})
		if end == len(toks) {
			break
		}
		start = end - overlap
	}
	for i := range chunks {
		chunks[i].ID = chunkID(chunks[i])
	}
	return chunks
}

// breakAt returns the end (exclusive token index) of the chunk starting at
// start, which has more than size tokens left after it.
func breakAt(toks []token, start, size, overlap int) int {
	// The break is searched in the second half of the window, and never so
	// early that the next chunk, starting overlap tokens back, would not
	// advance.
	lo := start + max(size/2, overlap+1)
	hi := start + size
	lo = min(lo, hi)
	best, level := hi, toks[hi].gap
	for j := hi - 1; j >= lo && level < gapParagraph; j-- {
		if toks[j].gap > level {
			best, level = j, toks[j].gap
		}
	}
	return best
}

// chunkID hashes what identifies a chunk: where it is and what it says. A
// NUL separates the fields so that no two different triples hash alike.
func chunkID(c Chunk) string {
	h := sha256.New()
	h.Write([]byte(c.Source))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(c.Index)))
	h.Write([]byte{0})
	h.Write([]byte(c.Text))
	return hex.EncodeToString(h.Sum(nil))
}
