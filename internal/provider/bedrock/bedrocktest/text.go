package bedrocktest

import (
	"crypto/sha256"
	"strings"
)

// Canned stop reasons (Converse and Anthropic's Messages API share them).
const (
	StopEndTurn      = "end_turn"
	StopMaxTokens    = "max_tokens"
	StopSequence     = "stop_sequence"
	StopToolUse      = "tool_use"
	llamaStop        = "stop"
	llamaLength      = "length"
	emulatorGreeting = "Hello from the Bedrock emulator."
)

// EchoAnswer is the canned assistant text for a request whose last user
// turn says userText: "Hello from the Bedrock emulator. You said: " +
// userText, or just "Hello from the Bedrock emulator." when userText is
// blank. The user text is the text blocks of the last user message,
// joined with a space (for InvokeModel, its native equivalent).
func EchoAnswer(userText string) string {
	if strings.TrimSpace(userText) == "" {
		return emulatorGreeting
	}
	return emulatorGreeting + " You said: " + userText
}

// Tokens is the emulator's token count of text: one token per
// whitespace-separated word. Input counts add up the words of every text
// the request carries (system and message text blocks, tool results) and
// are at least 1; output counts are the number of Pieces of the answer.
func Tokens(text string) int { return len(strings.Fields(text)) }

// generation is a canned answer shaped by the request's limits.
type generation struct {
	text       string
	stopReason string
	tokens     int
}

// generate cuts answer at the first stop sequence it contains and at
// maxTokens pieces (0: no limit), as a model would stop.
func generate(answer string, maxTokens int, stops []string) generation {
	g := generation{text: answer, stopReason: StopEndTurn}
	cut := -1
	for _, st := range stops {
		if i := strings.Index(answer, st); st != "" && i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		g.text, g.stopReason = answer[:cut], StopSequence
	}
	pieces := Pieces(g.text)
	if maxTokens > 0 && len(pieces) > maxTokens {
		pieces = pieces[:maxTokens]
		g.text, g.stopReason = strings.Join(pieces, ""), StopMaxTokens
	}
	g.tokens = len(pieces)
	return g
}

// atLeastOne is an input token count: a request costs at least a token.
func atLeastOne(n int) int { return max(n, 1) }

// base62 is the alphabet of the emulator's generated IDs.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// stableID derives an n-character base62 ID from parts, so that the same
// request gets the same ID.
func stableID(n int, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	out := make([]byte, n)
	for i := range out {
		out[i] = base62[int(h[i%len(h)]+byte(i/len(h)))%len(base62)]
	}
	return string(out)
}
