package demo

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/outcrop/outcrop/internal/openai"
)

// The texts below are what a newcomer sees on first contact with Outcrop:
// each answer says plainly that no model wrote it and how to get one that
// does, then reflects the request so that it visibly depends on the input.

const (
	demoIntro  = "This is Outcrop's built-in demo upstream, not a language model, so I can only reflect what you sent."
	demoOutro  = "Point Outcrop at OpenAI, Azure OpenAI, Amazon Bedrock or any OpenAI-compatible server to get real answers."
	quoteWords = 24
)

// conversation is what the demo reads from a chat request.
type conversation struct {
	system    string // system and developer messages, joined
	user      string // text of the last user message
	userParts int    // non-text parts (images, audio, files) of that message
	userTurns int
	// toolName and toolResult are set when the last message is a tool
	// result: the function it answers (when the history names it) and the
	// result text.
	toolName   string
	toolResult string
	lastIsTool bool
}

func readConversation(msgs []openai.Message) conversation {
	var c conversation
	var system []string
	calls := map[string]string{} // tool call ID → function name
	for _, m := range msgs {
		switch m.Role {
		case openai.RoleSystem, openai.RoleDeveloper:
			system = append(system, m.Content.String())
		case openai.RoleUser:
			c.userTurns++
			c.user, c.userParts = m.Content.String(), nonTextParts(m.Content)
		case openai.RoleAssistant:
			for _, tc := range m.ToolCalls {
				calls[tc.ID] = tc.Function.Name
			}
		}
	}
	c.system = strings.Join(system, "\n")
	if last := msgs[len(msgs)-1]; last.Role == openai.RoleTool || last.Role == openai.RoleFunction {
		c.lastIsTool = true
		c.toolResult = last.Content.String()
		c.toolName = calls[last.ToolCallID]
		if last.Role == openai.RoleFunction {
			c.toolName = last.Name
		}
	}
	return c
}

func nonTextParts(c openai.Content) int {
	n := 0
	for _, p := range c.Parts {
		if p.Type != "text" {
			n++
		}
	}
	return n
}

// chatText is the answer of choice i of n to a conversation.
func chatText(c conversation, d digest, i, n int) string {
	// Openers vary the first words by request and by choice.
	openers := [...]string{"Hello!", "Hi there!", "Greetings!", "Good to hear from you!", "Hey!"}
	var b strings.Builder
	b.WriteString(openers[d.pick(i, len(openers))])
	if n > 1 {
		fmt.Fprintf(&b, " (answer %d of %d)", i+1, n)
	}
	if c.lastIsTool {
		writeToolFollowUp(&b, c)
		return b.String()
	}
	b.WriteString(" " + demoIntro)
	writeUserEcho(&b, c)
	if words := len(strings.Fields(c.system)); words > 0 {
		fmt.Fprintf(&b, " I was also given a system prompt of %s.", plural(words, "word"))
	}
	if c.userTurns > 1 {
		fmt.Fprintf(&b, " This is turn %d of our conversation.", c.userTurns)
	}
	b.WriteString(" " + demoOutro)
	return b.String()
}

func writeUserEcho(b *strings.Builder, c conversation) {
	words := len(strings.Fields(c.user))
	if words == 0 && c.userParts == 0 {
		b.WriteString(" You have not said anything yet.")
		return
	}
	if words == 0 {
		fmt.Fprintf(b, " You sent %s and no text.", plural(c.userParts, "attachment"))
		return
	}
	fmt.Fprintf(b, " You said: \"%s\" (%s", quote(c.user, quoteWords), plural(words, "word"))
	if c.userParts > 0 {
		fmt.Fprintf(b, " and %s", plural(c.userParts, "attachment"))
	}
	b.WriteString(").")
	if kw := keywords(c.user, 3); len(kw) > 0 {
		fmt.Fprintf(b, " The words that stand out are %s.", list(kw))
	}
}

func writeToolFollowUp(b *strings.Builder, c conversation) {
	name := "tool"
	if c.toolName != "" {
		name = "`" + c.toolName + "` tool"
	}
	fmt.Fprintf(b, " The %s returned: \"%s\".", name, quote(c.toolResult, 40))
	b.WriteString(" I am Outcrop's built-in demo upstream, so I can only pass that result along;")
	if strings.TrimSpace(c.user) != "" {
		fmt.Fprintf(b, " a real model would now use it to answer \"%s\".", quote(c.user, 12))
	} else {
		b.WriteString(" a real model would now use it to answer you.")
	}
}

// completionText is the continuation of choice i of a legacy prompt.
func completionText(pr legacyPrompt, d digest, i int) string {
	leads := [...]string{
		" Here is where a real model would continue.",
		" A real model would take it from here.",
		" This is where a model's text would begin.",
		" The rest would come from a real model.",
		" A language model would carry on from this point.",
	}
	var b strings.Builder
	b.WriteString(leads[d.pick(i, len(leads))])
	b.WriteString(" Outcrop's built-in demo upstream saw a prompt of ")
	if pr.tokenIDs {
		b.WriteString(plural(pr.tokens, "token"))
	} else {
		fields := strings.Fields(pr.text)
		b.WriteString(plural(len(fields), "word"))
		if len(fields) > 0 {
			fmt.Fprintf(&b, " ending in \"%s\"", fields[len(fields)-1])
		}
	}
	b.WriteString("; configure a real upstream to get real completions.")
	return b.String()
}

// quote returns the first limit words of s, separated by single spaces,
// with an ellipsis when words were left out.
func quote(s string, limit int) string {
	f := strings.Fields(s)
	if len(f) <= limit {
		return strings.Join(f, " ")
	}
	return strings.Join(f[:limit], " ") + "…"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// list writes items as `"a"`, `"a" and "b"` or `"a", "b" and "c"`.
func list(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = `"` + s + `"`
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// word is a run of letters and digits in a text.
type word struct {
	text string
	// sentenceStart is set for the first word of the text and for a word
	// after '.', '!' or '?'.
	sentenceStart bool
	// joined is set when only spaces separate the word from the previous
	// one, so that both may belong to one name ("San Francisco").
	joined bool
}

func words(s string) []word {
	var out []word
	start, joined := true, false
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			switch {
			case r == '.' || r == '!' || r == '?':
				start, joined = true, false
			case r != ' ':
				joined = false
			}
			i += w
			continue
		}
		j := i
		for j < len(s) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if !isWordRune(r) {
				break
			}
			j += w
		}
		out = append(out, word{text: s[i:j], sentenceStart: start, joined: joined && len(out) > 0})
		start, joined, i = false, true, j
	}
	return out
}

// keywords returns up to k distinct words of at least four letters that
// are not common English words, the longest first (ties in order of
// appearance).
func keywords(s string, k int) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words(s) {
		key := strings.ToLower(w.text)
		if utf8.RuneCountInString(w.text) < 4 || seen[key] || commonWord(key) {
			continue
		}
		seen[key] = true
		out = append(out, w.text)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return utf8.RuneCountInString(out[i]) > utf8.RuneCountInString(out[j])
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// names returns the capitalised phrases of s that do not open a sentence,
// such as "Boston" or "San Francisco": the likeliest values for string
// arguments of a tool call.
func names(s string) []string {
	var out []string
	cur := ""
	for _, w := range words(s) {
		first, _ := utf8.DecodeRuneInString(w.text)
		capital := unicode.IsUpper(first) && utf8.RuneCountInString(w.text) > 1 && !w.sentenceStart
		switch {
		case capital && cur != "" && w.joined:
			cur += " " + w.text
		case capital:
			if cur != "" {
				out = append(out, cur)
			}
			cur = w.text
		case cur != "":
			out = append(out, cur)
			cur = ""
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// commonWord reports whether a lower-case word is too common to stand out.
func commonWord(w string) bool {
	switch w {
	case "about", "also", "been", "could", "does", "from", "give", "have",
		"hello", "into", "just", "know", "like", "make", "need", "please",
		"should", "some", "tell", "than", "that", "them", "then", "there",
		"these", "they", "this", "want", "were", "what", "when", "where",
		"which", "will", "with", "would", "your":
		return true
	}
	return false
}
