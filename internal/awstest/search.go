package awstest

import (
	"strings"
	"unicode"
)

// stopWords are left out of scoring, as a search engine would; without
// them every English query would match every document.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true,
	"by": true, "do": true, "does": true, "for": true, "from": true, "how": true, "i": true,
	"in": true, "is": true, "it": true, "my": true, "of": true, "on": true, "or": true,
	"the": true, "to": true, "what": true, "when": true, "where": true, "which": true,
	"who": true, "why": true, "with": true, "you": true,
}

// terms returns the distinct lower-case words of s, stop words left out.
func terms(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !stopWords[w] {
			out[w] = true
		}
	}
	return out
}

// Score is the search emulators' (kendratest, bedrockkbtest) relevance
// of a text to a query: the share of the query's distinct words, stop
// words left out, found in the text, 0 to 1. Words are runs of letters
// and digits, compared in lower case.
func Score(query, text string) float64 {
	q := terms(query)
	if len(q) == 0 {
		return 0
	}
	doc := terms(text)
	hit := 0
	for w := range q {
		if doc[w] {
			hit++
		}
	}
	return float64(hit) / float64(len(q))
}
