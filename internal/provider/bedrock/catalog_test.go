package bedrock

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookupModel(t *testing.T) {
	tests := []struct {
		id         string
		wantPrefix string // "" means not found
	}{
		{id: "anthropic.claude-3-haiku-20240307-v1:0", wantPrefix: "anthropic.claude-3-haiku"},
		{id: "us.anthropic.claude-3-haiku-20240307-v1:0", wantPrefix: "anthropic.claude-3-haiku"},
		{id: "global.anthropic.claude-sonnet-4-5-20250929-v1:0", wantPrefix: "anthropic.claude-sonnet-4-5"},
		{id: "us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0", wantPrefix: "anthropic.claude-3-5-sonnet"},
		{id: "apac.amazon.nova-lite-v1:0", wantPrefix: "amazon.nova-lite"},
		{id: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-7-sonnet-20250219-v1:0", wantPrefix: "anthropic.claude-3-7-sonnet"},
		{id: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.meta.llama3-2-90b-instruct-v1:0", wantPrefix: "meta.llama3-2-90b"},
		// Longest prefix wins over a shorter family name.
		{id: "anthropic.claude-sonnet-4-20250514-v1:0", wantPrefix: "anthropic.claude-sonnet-4-2025"},
		{id: "anthropic.claude-sonnet-4-5-20250929-v1:0", wantPrefix: "anthropic.claude-sonnet-4-5"},
		{id: "anthropic.claude-opus-4-20250514-v1:0", wantPrefix: "anthropic.claude-opus-4-2025"},
		{id: "anthropic.claude-opus-4-1-20250805-v1:0", wantPrefix: "anthropic.claude-opus-4-1"},
		{id: "anthropic.claude-opus-4-6-v1", wantPrefix: "anthropic.claude-opus-4-6"},
		{id: "anthropic.claude-3-5-sonnet-20241022-v2:0", wantPrefix: "anthropic.claude-3-5-sonnet"},
		{id: "cohere.command-r-plus-v1:0", wantPrefix: "cohere.command-r-plus"},
		{id: "cohere.command-r-v1:0", wantPrefix: "cohere.command-r-v1"},
		{id: "amazon.nova-2-lite-v1:0", wantPrefix: "amazon.nova-2-lite"},
		{id: "amazon.titan-embed-text-v2:0", wantPrefix: "amazon.titan-embed-text-v2"},
		// A Claude 4.x the table does not know is not taken for Claude 4.0.
		{id: "anthropic.claude-opus-4-9-v1"},
		{id: "anthropic.claude-sonnet-4-9-v1"},
		// Unknown models and application profiles, whose model only
		// discovery knows.
		{id: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"},
		{id: "vendor.unknown-model-v1:0"},
		{id: ""},
		{id: "gpt-4o"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := LookupModel(tt.id)
			if ok != (tt.wantPrefix != "") || got.Prefix != tt.wantPrefix {
				t.Errorf("got prefix %q (found %v), want %q", got.Prefix, ok, tt.wantPrefix)
			}
		})
	}
}

func TestModelInfoRows(t *testing.T) {
	tests := []struct {
		id   string
		want ModelInfo
	}{
		{
			id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
			want: ModelInfo{
				Prefix: "anthropic.claude-sonnet-4-5", Kind: KindChat, System: true, Vision: true, Documents: true,
				Tools: true, ToolChoice: true, Reasoning: ReasoningBudget, PromptCaching: true, ToolCaching: true,
				ExclusiveSampling: true, StructuredOutput: true,
				ContextWindow: 200_000, MaxOutputTokens: 64_000, DefaultMaxTokens: 4096,
			},
		},
		{
			id: "anthropic.claude-opus-4-6-v1",
			want: ModelInfo{
				Prefix: "anthropic.claude-opus-4-6", Kind: KindChat, System: true, Vision: true, Documents: true,
				Tools: true, ToolChoice: true, Reasoning: ReasoningAdaptive, PromptCaching: true, ToolCaching: true,
				ExclusiveSampling: true, NoAssistantPrefill: true, StructuredOutput: true,
				ContextWindow: 1_000_000, MaxOutputTokens: 128_000, DefaultMaxTokens: 4096,
			},
		},
		{
			id: "anthropic.claude-3-5-haiku-20241022-v1:0",
			want: ModelInfo{
				Prefix: "anthropic.claude-3-5-haiku", Kind: KindChat, System: true, Documents: true, Tools: true,
				ToolChoice: true, PromptCaching: true, ToolCaching: true, ContextWindow: 200_000, MaxOutputTokens: 8192, DefaultMaxTokens: 4096,
			},
		},
		{
			// Nova caches system and messages, not tools.
			id: "us.amazon.nova-pro-v1:0",
			want: ModelInfo{
				Prefix: "amazon.nova-pro", Kind: KindChat, System: true, Vision: true, Documents: true, Tools: true,
				ToolChoice: true, PromptCaching: true, ContextWindow: 300_000, MaxOutputTokens: 5000, DefaultMaxTokens: 4096,
			},
		},
		{
			id: "openai.gpt-oss-120b-1:0",
			want: ModelInfo{
				Prefix: "openai.gpt-oss-120b", Kind: KindChat, System: true, Tools: true, StructuredOutput: true,
				Reasoning: ReasoningEffort, ContextWindow: 128_000, MaxOutputTokens: 32_768, DefaultMaxTokens: 4096,
			},
		},
		{
			id: "meta.llama3-1-70b-instruct-v1:0",
			want: ModelInfo{
				Prefix: "meta.llama3-1", Kind: KindChat, System: true, Documents: true, Tools: true,
				ContextWindow: 128_000, MaxOutputTokens: 2048, DefaultMaxTokens: 2048, // capped by the output limit
			},
		},
		{
			id: "deepseek.r1-v1:0",
			want: ModelInfo{
				Prefix: "deepseek.r1", Kind: KindChat, System: true, Documents: true, Reasoning: ReasoningAlways,
				ContextWindow: 128_000, MaxOutputTokens: 32_768, DefaultMaxTokens: 8192,
			},
		},
		{
			id:   "mistral.mistral-7b-instruct-v0:2",
			want: ModelInfo{Prefix: "mistral.mistral-7b-instruct", Kind: KindChat, Documents: true, ContextWindow: 32_000, MaxOutputTokens: 8192, DefaultMaxTokens: 4096},
		},
		{
			id:   "cohere.embed-multilingual-v3",
			want: ModelInfo{Prefix: "cohere.embed-multilingual-v3", Kind: KindEmbedding, ContextWindow: 512, Dimensions: 1024},
		},
		{
			id:   "amazon.nova-sonic-v1:0",
			want: ModelInfo{Prefix: "amazon.nova-sonic", Kind: KindUnsupported},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := LookupModel(tt.id)
			if !ok {
				t.Fatalf("got no entry for %q", tt.id)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuiltinTable checks the table as data: unique, normalised prefixes,
// a known kind, and consistent limits on every chat row.
func TestBuiltinTable(t *testing.T) {
	rows := builtinModels()
	if len(rows) < 40 {
		t.Errorf("got %d rows, want the current Bedrock families", len(rows))
	}
	seen := make(map[string]bool)
	for _, m := range DefaultCatalog().Entries() {
		if seen[m.Prefix] {
			t.Errorf("%s: duplicate prefix", m.Prefix)
		}
		seen[m.Prefix] = true
		if BaseModelID(m.Prefix) != m.Prefix || !strings.Contains(m.Prefix, ".") {
			t.Errorf("%s: want a provider.model prefix without a region or ARN", m.Prefix)
		}
		switch m.Kind {
		case KindChat:
			if m.ContextWindow <= 0 || m.MaxOutputTokens <= 0 {
				t.Errorf("%s: got context %d, output %d, want both set", m.Prefix, m.ContextWindow, m.MaxOutputTokens)
			}
			if m.DefaultMaxTokens <= 0 || m.DefaultMaxTokens > m.MaxOutputTokens {
				t.Errorf("%s: got default max tokens %d, want 1 to %d", m.Prefix, m.DefaultMaxTokens, m.MaxOutputTokens)
			}
			if m.ToolChoice && !m.Tools {
				t.Errorf("%s: toolChoice without tools", m.Prefix)
			}
			if m.ToolCaching && (!m.PromptCaching || !m.Tools) {
				t.Errorf("%s: tool caching without prompt caching and tools", m.Prefix)
			}
		case KindEmbedding:
			if m.Dimensions <= 0 || m.DefaultMaxTokens != 0 {
				t.Errorf("%s: got dimensions %d, default max tokens %d", m.Prefix, m.Dimensions, m.DefaultMaxTokens)
			}
		case KindUnsupported:
		default:
			t.Errorf("%s: unknown kind %q", m.Prefix, m.Kind)
		}
	}
	if len(seen) != len(rows) {
		t.Errorf("got %d distinct prefixes for %d rows", len(seen), len(rows))
	}
}

func TestCatalogExtend(t *testing.T) {
	base := DefaultCatalog()
	before := base.Entries()
	ext := base.Extend(
		// A new family, given with a cross-region prefix that is dropped.
		ModelInfo{Prefix: "us.acme.chat-1", Kind: KindChat, Tools: true, MaxOutputTokens: 1000},
		// A correction replaces the built-in row.
		ModelInfo{Prefix: "meta.llama3-1", Kind: KindChat, Tools: true, MaxOutputTokens: 8192, DefaultMaxTokens: 6000},
		// A narrower prefix for one version wins over the family.
		ModelInfo{Prefix: "anthropic.claude-3-haiku-20240307-v1:0", Kind: KindChat, MaxOutputTokens: 100},
	)
	tests := []struct {
		id   string
		want ModelInfo
	}{
		{id: "acme.chat-1-v2", want: ModelInfo{Prefix: "acme.chat-1", Kind: KindChat, Tools: true, MaxOutputTokens: 1000, DefaultMaxTokens: 1000}},
		{id: "eu.acme.chat-1", want: ModelInfo{Prefix: "acme.chat-1", Kind: KindChat, Tools: true, MaxOutputTokens: 1000, DefaultMaxTokens: 1000}},
		{id: "meta.llama3-1-8b-instruct-v1:0", want: ModelInfo{Prefix: "meta.llama3-1", Kind: KindChat, Tools: true, MaxOutputTokens: 8192, DefaultMaxTokens: 6000}},
		{id: "anthropic.claude-3-haiku-20240307-v1:0", want: ModelInfo{Prefix: "anthropic.claude-3-haiku-20240307-v1:0", Kind: KindChat, MaxOutputTokens: 100, DefaultMaxTokens: 100}},
	}
	for _, tt := range tests {
		got, ok := ext.Lookup(tt.id)
		if !ok {
			t.Errorf("%s: not found", tt.id)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.id, diff)
		}
	}
	if got, _ := ext.Lookup("anthropic.claude-3-haiku-20240229-v1:0"); got.Prefix != "anthropic.claude-3-haiku" {
		t.Errorf("another Claude 3 Haiku version: got prefix %q, want the family row", got.Prefix)
	}
	if diff := cmp.Diff(before, base.Entries()); diff != "" {
		t.Errorf("Extend changed the catalog it was called on (-before +after):\n%s", diff)
	}
	if _, ok := base.Lookup("acme.chat-1"); ok {
		t.Error("the original catalog knows the added model")
	}
}

func TestCrossRegionPrefix(t *testing.T) {
	tests := []struct {
		id, geo, model string
	}{
		{"us.anthropic.claude-3-haiku-20240307-v1:0", "us", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", "global", "anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"us-gov.meta.llama3-8b-instruct-v1:0", "us-gov", "meta.llama3-8b-instruct-v1:0"},
		{"apac.amazon.nova-pro-v1:0", "apac", "amazon.nova-pro-v1:0"},
		{"anthropic.claude-3-haiku-20240307-v1:0", "", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"us.only", "", "us.only"},
		{"mars.anthropic.claude", "", "mars.anthropic.claude"},
		{"", "", ""},
	}
	for _, tt := range tests {
		geo, model := CrossRegionPrefix(tt.id)
		if geo != tt.geo || model != tt.model {
			t.Errorf("CrossRegionPrefix(%q) = %q, %q; want %q, %q", tt.id, geo, model, tt.geo, tt.model)
		}
	}
}

func TestBaseModelID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"},
		{"arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"},
		{"arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/x1y2", "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/x1y2"},
		{"eu.mistral.pixtral-large-2502-v1:0", "mistral.pixtral-large-2502-v1:0"},
	}
	for _, tt := range tests {
		if got := BaseModelID(tt.in); got != tt.want {
			t.Errorf("BaseModelID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCatalogRemembers: a remembered answer is the scan's, found or not,
// from many goroutines at once; and no more than maxRemembered IDs are
// kept, the answers past the bound still right.
func TestCatalogRemembers(t *testing.T) {
	c := NewCatalog(builtinModels())
	ids := []string{"us.anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0", "vendor.unknown-model-v1:0", ""}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				for _, id := range ids {
					got, ok := c.Lookup(id)
					if i := c.scan(id); ok != (i >= 0) || (ok && got.Prefix != c.entries[i].Prefix) {
						t.Errorf("Lookup(%q) = %q, %v; the scan says entry %d", id, got.Prefix, ok, i)
						return
					}
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	for i := range maxRemembered + 100 {
		id := "anthropic.claude-3-haiku-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "-" + strconv.Itoa(i)
		if got, ok := c.Lookup(id); !ok || got.Prefix != "anthropic.claude-3-haiku" {
			t.Fatalf("Lookup(%q) = %q, %v", id, got.Prefix, ok)
		}
	}
	if n := c.remembered.Load(); n != maxRemembered {
		t.Errorf("remembered %d IDs, want the bound %d", n, maxRemembered)
	}
	if got, ok := c.Lookup("amazon.nova-lite-v1:0"); !ok || got.Prefix != "amazon.nova-lite" {
		t.Errorf("a remembered ID after the bound: %q, %v", got.Prefix, ok)
	}
}
