package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

// cachingModel is a model entry that takes cache points everywhere.
func cachingModel() ModelInfo {
	return ModelInfo{Prefix: "anthropic.claude-sonnet-4-5", Kind: KindChat, Tools: true, PromptCaching: true, ToolCaching: true}
}

func TestCachePlanLimit(t *testing.T) {
	marks := func(n int) []cacheMark {
		var ms []cacheMark
		for i := range n {
			ms = append(ms, cacheMark{msg: i, i: 0})
		}
		return ms
	}
	tests := []struct {
		name                   string
		plan                   cachePlan
		tools, system, message int // points kept per section
		firstMessage           int // msg of the first message point kept
	}{
		{name: "under the limit", plan: cachePlan{tools: marks(1), system: marks(1), messages: marks(2)}, tools: 1, system: 1, message: 2},
		{name: "oldest messages go first", plan: cachePlan{tools: marks(1), system: marks(1), messages: marks(5)}, tools: 1, system: 1, message: 2, firstMessage: 3},
		{name: "then system", plan: cachePlan{tools: marks(2), system: marks(4), messages: marks(1)}, tools: 2, system: 2},
		{name: "then tools", plan: cachePlan{tools: marks(6)}, tools: 4},
		{name: "duplicates count once", plan: cachePlan{messages: []cacheMark{{msg: 1, i: 2}, {msg: 1, i: 2, ttl: "1h"}, {msg: 2}, {msg: 3}, {msg: 4}}}, message: 4, firstMessage: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.plan
			p.limit(maxCachePoints)
			if len(p.tools) != tt.tools || len(p.system) != tt.system || len(p.messages) != tt.message {
				t.Fatalf("got %d tool, %d system, %d message points, want %d, %d, %d", len(p.tools), len(p.system), len(p.messages), tt.tools, tt.system, tt.message)
			}
			if tt.message > 0 && p.messages[0].msg != tt.firstMessage {
				t.Errorf("got first message point on message %d, want %d", p.messages[0].msg, tt.firstMessage)
			}
		})
	}
}

func TestCacheMarkerTTL(t *testing.T) {
	m := cachePlan{messages: []cacheMark{{msg: 1, i: 2}, {msg: 1, i: 2, ttl: cacheTTL1h}}}
	m.limit(maxCachePoints)
	if len(m.messages) != 1 || m.messages[0].ttl != cacheTTL1h {
		t.Errorf("got %+v, want one point with ttl 1h", m.messages)
	}
	tests := []struct {
		raw     string
		ttl     string
		isMark  bool
		comment string
	}{
		{raw: `{"type":"ephemeral"}`, isMark: true},
		{raw: ` {"type":"ephemeral","ttl":"1h"}`, ttl: "1h", isMark: true},
		{raw: `{"type":"ephemeral","ttl":"5m"}`, isMark: true},
		{raw: `{"ttl":"24h"}`, isMark: true, comment: "an unknown ttl leaves the default"},
		{raw: `null`},
		{raw: `true`},
		{raw: ``},
	}
	for _, tt := range tests {
		ttl, ok := cacheMarker(json.RawMessage(tt.raw))
		if ttl != tt.ttl || ok != tt.isMark {
			t.Errorf("cacheMarker(%s) = %q, %v; want %q, %v %s", tt.raw, ttl, ok, tt.ttl, tt.isMark, tt.comment)
		}
	}
}

func TestParseCacheSwitch(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		raw     string
		want    cacheSwitch
		wantErr string // param of the 400
	}{
		{raw: ``},
		{raw: `null`},
		{raw: `true`, want: cacheSwitch{System: &yes, Messages: &yes, Tools: &yes}},
		{raw: `false`, want: cacheSwitch{System: &no, Messages: &no, Tools: &no}},
		{raw: `{"system":true}`, want: cacheSwitch{System: &yes}},
		{raw: `{"messages":false,"ttl":"5m"}`, want: cacheSwitch{Messages: &no}},
		{raw: `{"tools":true,"ttl":"1h"}`, want: cacheSwitch{Tools: &yes, TTL: "1h"}},
		{raw: `{"ttl":"1d"}`, wantErr: "prompt_caching.ttl"},
		{raw: `{"systm":true}`, wantErr: "prompt_caching"},
		{raw: `"yes"`, wantErr: "prompt_caching"},
	}
	for _, tt := range tests {
		got, err := parseCacheSwitch(json.RawMessage(tt.raw))
		if tt.wantErr != "" {
			if p := errParam(err); p != tt.wantErr {
				t.Errorf("%s: got error %v (param %q), want a 400 on %q", tt.raw, err, p, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.raw, diff)
		}
	}
}

// TestCachePointsBounded builds conversations with a marker on every text
// and checks, for every length, that at most four cache points are sent,
// each right after a content block, and that the request is otherwise
// what it is without caching.
func TestCachePointsBounded(t *testing.T) {
	for n := 1; n <= 9; n++ {
		t.Run(fmt.Sprint(n, " messages"), func(t *testing.T) {
			body := markedConversation(n)
			withCache := translateBody(t, body, RequestOptions{Model: cachingModel(), PromptCaching: CacheAlways})
			without := translateBody(t, body, RequestOptions{Model: cachingModel(), PromptCaching: CacheNever})
			points := 0
			for _, b := range withCache.System {
				if b.CachePoint != nil {
					points++
				}
			}
			for _, m := range withCache.Messages {
				for j, b := range m.Content {
					if b.CachePoint == nil {
						continue
					}
					points++
					if j == 0 || m.Content[j-1].CachePoint != nil {
						t.Errorf("a %s message has a cache point at %d that follows no content", m.Role, j)
					}
				}
			}
			if points > maxCachePoints || points == 0 {
				t.Errorf("got %d cache points, want 1 to %d", points, maxCachePoints)
			}
			if diff := cmp.Diff(without, stripCachePoints(withCache)); diff != "" {
				t.Errorf("caching changed more than cache points (-without +with):\n%s", diff)
			}
		})
	}
}

// markedConversation is a system message and n alternating user and
// assistant messages, each text marked with cache_control.
func markedConversation(n int) string {
	msgs := []string{`{"role":"system","content":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}]}`}
	for i := range n {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		msgs = append(msgs, fmt.Sprintf(`{"role":%q,"content":[{"type":"text","text":"T%d","cache_control":{"type":"ephemeral"}}]}`, role, i))
	}
	return `{"model":"m","messages":[` + strings.Join(msgs, ",") + `]}`
}

func stripCachePoints(r *ConverseRequest) *ConverseRequest {
	out := *r
	out.System = nil
	for _, b := range r.System {
		if b.CachePoint == nil {
			out.System = append(out.System, b)
		}
	}
	out.Messages = nil
	for _, m := range r.Messages {
		c := Message{Role: m.Role}
		for _, b := range m.Content {
			if b.CachePoint == nil {
				c.Content = append(c.Content, b)
			}
		}
		out.Messages = append(out.Messages, c)
	}
	return &out
}

// translateBody decodes a chat request body and translates it.
func translateBody(t *testing.T, body string, opts RequestOptions) *ConverseRequest {
	t.Helper()
	req, err := openai.DecodeChatCompletionRequest([]byte(body))
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	out, err := ToConverse(req, opts)
	if err != nil {
		t.Fatalf("ToConverse: %v", err)
	}
	return out
}

// errParam returns the param of a 400 *openai.Error, or "" for another
// error.
func errParam(err error) string {
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.Status != 400 {
		return ""
	}
	return oe.Param
}
