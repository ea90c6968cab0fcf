package demo

import (
	"unicode"
	"unicode/utf8"
)

// maxWordRunes is the longest run of letters and digits (or of
// punctuation) kept in one token; longer runs are split, much as a BPE
// tokenizer splits rare words.
const maxWordRunes = 12

// tokenize splits s into the demo's tokens. A token is an optional run of
// white space followed by a run of letters and digits or a run of other
// visible characters (punctuation), each run at most maxWordRunes long;
// white space at the very end is a token of its own. The tokens
// concatenate back to s, so streaming them one by one rebuilds the text
// exactly. `Hi there!` is "Hi", " there", "!"; `{"city":"Paris"}` is `{"`,
// "city", `":"`, "Paris", `"}`.
//
// It stands in for a real tokenizer in usage counts, max_tokens and
// streaming. It is deliberately simple: counts are in the same range as
// OpenAI's for English text, not equal to them.
func tokenize(s string) []string {
	var out []string
	for len(s) > 0 {
		n := tokenLen(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// countTokens is len(tokenize(s)) without building the slice.
func countTokens(s string) int {
	n := 0
	for len(s) > 0 {
		s = s[tokenLen(s):]
		n++
	}
	return n
}

// tokenLen returns the length in bytes of the token at the start of s.
func tokenLen(s string) int {
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += w
	}
	if i == len(s) {
		return i
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	i += w
	word := isWordRune(r)
	for runes := 1; i < len(s) && runes < maxWordRunes; runes++ {
		r, w := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) != word || unicode.IsSpace(r) {
			break
		}
		i += w
	}
	return i
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
