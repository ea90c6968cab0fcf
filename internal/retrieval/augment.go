package retrieval

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Insert is where retrieved context goes in a conversation.
type Insert string

// The places context can go.
const (
	// InsertSystem adds a system message after the client's own leading
	// system messages, so the client's instructions still come first.
	InsertSystem Insert = "system"
	// InsertUser puts the context before the text of the last user
	// message, for models that weigh system prompts lightly.
	InsertUser Insert = "user"
)

// instruction tells the model how to use the passages. It asks for an
// honest "not in the context" rather than an invented answer, the usual
// guard of retrieval prompts.
const instruction = "Answer using the context below. Each passage is numbered; cite the numbers you use, like [1]. " +
	"If the context does not hold the answer, say so rather than guessing."

// FormatContext renders hits as the context block a model reads: the
// instruction, then each passage numbered in a <context> element with its
// source. Passage text is kept as it is, but a closing tag inside it is
// defused so a document cannot end the block early.
func FormatContext(hits []Hit) string {
	var b strings.Builder
	b.WriteString(instruction)
	b.WriteString("\n\n<context>\n")
	for i, h := range hits {
		fmt.Fprintf(&b, "[%d]", i+1)
		if h.Title != "" {
			b.WriteString(" " + oneLine(h.Title))
		}
		if h.Source != "" {
			b.WriteString(" (" + oneLine(h.Source) + ")")
		}
		b.WriteString("\n")
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(h.Text), "</context>", "</ context>"))
		b.WriteString("\n\n")
	}
	b.WriteString("</context>")
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ErrNoQuestion is returned when a conversation has no user message to
// retrieve for.
var ErrNoQuestion = errors.New("retrieval: the conversation has no user message with text")

// rawMessage is the part of a chat message that augmenting reads.
type rawMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// Question returns the text of the last user message of a chat request's
// "messages" array (the query to retrieve with): a string content, or
// the text parts of an array content joined by newlines.
func Question(messages json.RawMessage) (string, error) {
	var msgs []rawMessage
	if err := json.Unmarshal(messages, &msgs); err != nil {
		return "", fmt.Errorf("retrieval: messages: %w", err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != "user" {
			continue
		}
		if text := contentText(msgs[i].Content); strings.TrimSpace(text) != "" {
			return text, nil
		}
		break
	}
	return "", ErrNoQuestion
}

// contentText is the text of a message content, string or parts.
func contentText(c json.RawMessage) string {
	var s string
	if json.Unmarshal(c, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(c, &parts) != nil {
		return ""
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" && p.Text != "" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// Augment returns a chat request's "messages" array with the context put
// where insert says. Messages it does not change are kept byte for byte,
// with any fields the gateway does not model.
func Augment(messages json.RawMessage, context string, insert Insert) (json.RawMessage, error) {
	var msgs []json.RawMessage
	if err := json.Unmarshal(messages, &msgs); err != nil {
		return nil, fmt.Errorf("retrieval: messages: %w", err)
	}
	heads := make([]rawMessage, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal(m, &heads[i]); err != nil {
			return nil, fmt.Errorf("retrieval: messages[%d]: %w", i, err)
		}
	}
	switch insert {
	case InsertUser:
		last := -1
		for i := range heads {
			if heads[i].Role == "user" {
				last = i
			}
		}
		if last < 0 {
			return nil, ErrNoQuestion
		}
		m, err := prependText(msgs[last], heads[last].Content, context+"\n\n")
		if err != nil {
			return nil, err
		}
		msgs[last] = m
	default:
		at := 0
		for at < len(heads) && (heads[at].Role == "system" || heads[at].Role == "developer") {
			at++
		}
		sys, _ := json.Marshal(struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		}{"system", context})
		msgs = append(msgs[:at], append([]json.RawMessage{sys}, msgs[at:]...)...)
	}
	return json.Marshal(msgs)
}

// prependText puts text before a message's content: a string content is
// extended, an array content gets a leading text part.
func prependText(msg, content json.RawMessage, text string) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(msg, &obj); err != nil {
		return nil, fmt.Errorf("retrieval: user message: %w", err)
	}
	var s string
	if json.Unmarshal(content, &s) == nil {
		obj["content"], _ = json.Marshal(text + s)
	} else {
		var parts []json.RawMessage
		if err := json.Unmarshal(content, &parts); err != nil {
			return nil, fmt.Errorf("retrieval: user message content: %w", err)
		}
		first, _ := json.Marshal(struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}{"text", text})
		obj["content"], _ = json.Marshal(append([]json.RawMessage{first}, parts...))
	}
	return json.Marshal(obj)
}
