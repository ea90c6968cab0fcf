package usage

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPriceCost(t *testing.T) {
	sonnet := Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75}
	noCache := Price{Input: 3, Output: 15}
	tests := []struct {
		name   string
		price  Price
		tokens Tokens
		want   NanoUSD
	}{
		{"no tokens", sonnet, Tokens{}, 0},
		// $0.035/M is 0.035e-6 $ a token: 35 nano-dollars.
		{"one input token", Price{Input: 0.035}, Tokens{Input: 1}, 35},
		{"input", sonnet, Tokens{Input: 1000}, 3_000_000},
		{"output", sonnet, Tokens{Output: 1000}, 15_000_000},
		{"cache read at its price", sonnet, Tokens{Input: 1000, CacheRead: 800}, 200*3000 + 800*300},
		{"cache read at input price when unset", noCache, Tokens{Input: 1000, CacheRead: 800}, 1000 * 3000},
		{"cache write at its price", sonnet, Tokens{Input: 1000, CacheWrite: 1000}, 1000 * 3750},
		{"cache write at input price when unset", noCache, Tokens{Input: 1000, CacheWrite: 400}, 1000 * 3000},
		{
			"every kind", sonnet,
			Tokens{Input: 1000, Output: 100, CacheRead: 500, CacheWrite: 300},
			200*3000 + 500*300 + 300*3750 + 100*15000,
		},
		{
			"input smaller than its cache parts is clamped", sonnet,
			Tokens{Input: 100, CacheRead: 80, CacheWrite: 80},
			80*300 + 80*3750,
		},
		{"negative counts count as 0", sonnet, Tokens{Input: -5, Output: -5, CacheRead: -5, CacheWrite: -5}, 0},
		// 100 pico-dollars is a tenth of a nano-dollar: rounded up.
		{"rounds up", Price{Input: 0.0001}, Tokens{Input: 1}, 1},
		{"rounds up once, not per part", Price{Input: 0.0004, Output: 0.0004}, Tokens{Input: 1, Output: 1}, 1},
		{"exact pico sum is not rounded", Price{Input: 0.0005}, Tokens{Input: 2}, 1},
		// 0.1 and 0.00875 are not exact in binary; converted once they do
		// not drift over a million tokens.
		{"no float drift", Price{Input: 0.1}, Tokens{Input: 10_000_000}, NanoPerUSD},
		{"no float drift at a small price", Price{Input: 0.00875}, Tokens{Input: 1_000_000}, 8_750_000},
		// 0.00785e6 is 7849.999999999999 in float64: rounded, not cut.
		{"price just under its decimal value", Price{Input: 0.00785}, Tokens{Input: 1000}, 7850},
		{
			"a billion tokens without overflow",
			Price{Input: 15, Output: 75},
			Tokens{Input: 1_000_000_000, Output: 1_000_000_000},
			90_000 * NanoPerUSD,
		},
		{"saturates instead of wrapping", Price{Input: 1e6}, Tokens{Input: math.MaxInt64}, math.MaxInt64},
		{"zero price", Price{}, Tokens{Input: 1000, Output: 1000, CacheRead: 10, CacheWrite: 10}, 0},
		{"NaN and negative prices cost nothing", Price{Input: math.NaN(), Output: -1}, Tokens{Input: 10, Output: 10}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.price.Cost(tt.tokens); got != tt.want {
				t.Errorf("%+v.Cost(%+v): got %d, want %d", tt.price, tt.tokens, got, tt.want)
			}
		})
	}
}

func TestNormalizeModelID(t *testing.T) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1"
	tests := []struct {
		name, model, key, base string
	}{
		{"plain", "gpt-4o", "gpt-4o", "gpt-4o"},
		{"case", "GPT-4o", "gpt-4o", "gpt-4o"},
		{"space", " gpt-4o\n", "gpt-4o", "gpt-4o"},
		{"dot in an OpenAI name", "gpt-4.1-mini", "gpt-4.1-mini", "gpt-4.1-mini"},
		{"version suffix", haiku + ":0", haiku, haiku},
		{"another version", haiku + ":1", haiku, haiku},
		{"context window", haiku + ":0:200k", haiku, haiku},
		{"numeric context window", "cohere.embed-english-v3:0:512", "cohere.embed-english-v3", "cohere.embed-english-v3"},
		{"multimodal variant", "amazon.nova-premier-v1:0:mm", "amazon.nova-premier-v1", "amazon.nova-premier-v1"},
		{"non-context suffix kept", haiku + ":beta", haiku + ":beta", haiku + ":beta"},
		{"OpenAI fine-tune keeps its colons", "ft:gpt-4o-mini:acme::abc123", "ft:gpt-4o-mini:acme::abc123", "ft:gpt-4o-mini:acme::abc123"},
		{"OpenAI fine-tune ending in digits", "ft:gpt-4o-mini:acme::123", "ft:gpt-4o-mini:acme::123", "ft:gpt-4o-mini:acme::123"},
		{"us profile", "us." + haiku + ":0", "us." + haiku, haiku},
		{"eu profile", "eu." + haiku + ":0", "eu." + haiku, haiku},
		{"apac profile", "apac." + haiku + ":0", "apac." + haiku, haiku},
		{"global profile", "global." + haiku + ":0", "global." + haiku, haiku},
		{"us-gov profile", "us-gov." + haiku + ":0", "us-gov." + haiku, haiku},
		{"ca profile", "ca." + haiku + ":0", "ca." + haiku, haiku},
		{"jp profile", "jp." + haiku + ":0", "jp." + haiku, haiku},
		{"au profile", "au." + haiku + ":0", "au." + haiku, haiku},
		{"upper-case profile", "US." + haiku + ":0", "us." + haiku, haiku},
		{"unknown prefix kept", "xx." + haiku, "xx." + haiku, "xx." + haiku},
		{"prefix needs provider.model after it", "us.gpt-4o", "us.gpt-4o", "us.gpt-4o"},
		{
			"foundation-model ARN",
			"arn:aws:bedrock:us-east-1::foundation-model/" + haiku + ":0",
			haiku, haiku,
		},
		{
			"GovCloud foundation-model ARN",
			"arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/" + haiku + ":0",
			haiku, haiku,
		},
		{
			"inference-profile ARN",
			"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + haiku + ":0",
			"us." + haiku, haiku,
		},
		{
			"application inference profile ARN names no model",
			"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
			"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
			"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
		},
		{"gpt-oss on Bedrock", "openai.gpt-oss-120b-1:0", "openai.gpt-oss-120b-1", "openai.gpt-oss-120b-1"},
		{"empty", "", "", ""},
		{"only a suffix", "x.y:0", "x.y", "x.y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, base := normalizeModelID(tt.model)
			if key != tt.key || base != tt.base {
				t.Errorf("normalizeModelID(%q): got (%q, %q), want (%q, %q)", tt.model, key, base, tt.key, tt.base)
			}
		})
	}
}

func TestStripSnapshotDate(t *testing.T) {
	tests := []struct {
		name, id, want string
		ok             bool
	}{
		{"dated snapshot", "gpt-4o-2024-08-06", "gpt-4o", true},
		{"only the date goes", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", true},
		{"short name", "o1-2024-12-17", "o1", true},
		{"dotted name", "gpt-4.1-nano-2025-04-14", "gpt-4.1-nano", true},
		{"undated", "gpt-4o", "", false},
		{"a variant is not a date", "gpt-4o-mini", "", false},
		{"four-digit snapshot is not a date", "gpt-4-0613", "", false},
		{"one-digit month", "gpt-4o-2024-8-06", "", false},
		{"underscore", "gpt-4o_2024-08-06", "", false},
		{"letters in the date", "gpt-4o-2024-aa-06", "", false},
		{"a date and nothing else", "-2024-08-06", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := stripSnapshotDate(tt.id)
			if got != tt.want || ok != tt.ok {
				t.Errorf("stripSnapshotDate(%q): got (%q, %v), want (%q, %v)", tt.id, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// routingPrices gives every model a price of its own, so that a lookup
// that lands on the wrong entry cannot pass by coincidence.
func routingPrices() map[string]Price {
	return map[string]Price{
		"gpt-4":                                  {Input: 1},
		"gpt-4o":                                 {Input: 2},
		"gpt-4o-2024-05-13":                      {Input: 3},
		"gpt-4o-mini":                            {Input: 4},
		"gpt-4.1":                                {Input: 5},
		"anthropic.claude-3-haiku-20240307-v1:0": {Input: 6},
		"anthropic.claude-3-5-haiku-20241022-v1:0":         {Input: 7},
		"anthropic.claude-sonnet-4-5-20250929-v1:0":        {Input: 8},
		"global.anthropic.claude-sonnet-4-5-20250929-v1:0": {Input: 9},
		"us.meta.llama3-3-70b-instruct-v1:0":               {Input: 10},
		"eu.meta.llama3-3-70b-instruct-v1:0":               {Input: 11},
		"meta.llama3-1-8b-instruct-v1:0":                   {Input: 12},
		"eu.meta.llama3-1-8b-instruct-v1:0":                {Input: 13},
	}
}

func TestPriceTableLookup(t *testing.T) {
	table := buildPriceTable(routingPrices(), nil)
	const sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	tests := []struct {
		name, model string
		want        float64 // the Input price that identifies the entry; 0: none
	}{
		{"exact", "gpt-4o", 2},
		{"case", "GPT-4O", 2},
		{"dated snapshot falls back", "gpt-4o-2024-08-06", 2},
		{"exact snapshot wins over its fallback", "gpt-4o-2024-05-13", 3},
		{"mini is not gpt-4o", "gpt-4o-mini", 4},
		{"mini snapshot is mini", "gpt-4o-mini-2024-07-18", 4},
		{"gpt-4 is not gpt-4o", "gpt-4", 1},
		{"gpt-4o is not gpt-4", "gpt-4o", 2},
		{"a variant of a known model is unknown", "gpt-4o-audio-preview", 0},
		{"snapshot of an unknown model is unknown", "gpt-4o-nano-2025-01-01", 0},
		{"dotted snapshot", "gpt-4.1-2025-04-14", 5},
		{"Bedrock ID", "anthropic.claude-3-haiku-20240307-v1:0", 6},
		{"claude-3-5-haiku is not claude-3-haiku", "anthropic.claude-3-5-haiku-20241022-v1:0", 7},
		{"without version", "anthropic.claude-3-haiku-20240307-v1", 6},
		{"context window", "anthropic.claude-3-haiku-20240307-v1:0:200k", 6},
		{"profile falls back to the plain ID", "us.anthropic.claude-3-haiku-20240307-v1:0", 6},
		{"foundation-model ARN", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", 6},
		{
			"inference-profile ARN",
			"arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
			6,
		},
		{"prefixed entry wins over the plain one", "global." + sonnet, 9},
		{"prefixed entry through an ARN", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global." + sonnet, 9},
		{"other prefixes get the plain one", "us." + sonnet, 8},
		{"plain ID", sonnet, 8},
		{"own prefixed entry", "eu.meta.llama3-3-70b-instruct-v1:0", 11},
		{"without a plain entry the first prefixed one", "apac.meta.llama3-3-70b-instruct-v1:0", 11},
		{"bare model ID without a plain entry", "meta.llama3-3-70b-instruct-v1:0", 11},
		{"plain entry wins over a prefixed one sorting first", "us.meta.llama3-1-8b-instruct-v1:0", 12},
		{"prefixed entry beside a plain one", "eu.meta.llama3-1-8b-instruct-v1:0", 13},
		{"Anthropic API name is not the Bedrock ID", "claude-3-haiku-20240307", 0},
		{"demo models are unknown", "demo-chat", 0},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := table.Lookup(tt.model)
			if ok != (tt.want != 0) || got.Input != tt.want {
				t.Errorf("Lookup(%q): got (%+v, %v), want Input %v (found %v)", tt.model, got, ok, tt.want, tt.want != 0)
			}
		})
	}
}

func TestShippedLookup(t *testing.T) {
	table, err := NewPriceTable(nil)
	if err != nil {
		t.Fatalf("NewPriceTable(nil): got error %v, want nil", err)
	}
	defaults := DefaultPrices()
	tests := []struct{ model, entry string }{
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-5-mini-2025-08-07", "gpt-5-mini"},
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"us.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"},
		{"amazon.titan-embed-text-v2:0:8k", "amazon.titan-embed-text-v2:0"},
		{"arn:aws:bedrock:us-east-1::foundation-model/openai.gpt-oss-120b-1:0", "openai.gpt-oss-120b-1:0"},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			want, ok := defaults[tt.entry]
			if !ok {
				t.Fatalf("DefaultPrices()[%q]: got no entry, want one", tt.entry)
			}
			got, ok := table.Lookup(tt.model)
			if !ok || got != want {
				t.Errorf("Lookup(%q): got (%+v, %v), want (%+v, true)", tt.model, got, ok, want)
			}
		})
	}
}

func TestNewPriceTableOverrides(t *testing.T) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	overrides := map[string]Price{
		"GPT-4o":                                    {Input: 1, Output: 2},
		"anthropic.claude-3-haiku-20240307-v1":      {Input: 3, Output: 4},
		"us.anthropic.claude-3-haiku-20240307-v1:0": {Input: 5, Output: 6},
		"acme-private-model":                        {Input: 7, Output: 8},
		"free-local-model":                          {},
	}
	table, err := NewPriceTable(overrides)
	if err != nil {
		t.Fatalf("NewPriceTable: got error %v, want nil", err)
	}
	tests := []struct {
		name, model string
		want        Price
	}{
		{"override replaces a shipped entry whatever its case", "gpt-4o", Price{Input: 1, Output: 2}},
		{"and its snapshots", "gpt-4o-2024-11-20", Price{Input: 1, Output: 2}},
		{"override without version replaces the versioned entry", haiku, Price{Input: 3, Output: 4}},
		{"override of one profile", "us." + haiku, Price{Input: 5, Output: 6}},
		{"other profiles keep the plain override", "eu." + haiku, Price{Input: 3, Output: 4}},
		{"added model", "acme-private-model", Price{Input: 7, Output: 8}},
		{"free model", "free-local-model", Price{}},
		{"untouched shipped entry", "gpt-4o-mini", DefaultPrices()["gpt-4o-mini"]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := table.Lookup(tt.model)
			if !ok || got != tt.want {
				t.Errorf("Lookup(%q): got (%+v, %v), want (%+v, true)", tt.model, got, ok, tt.want)
			}
		})
	}

	// Two overrides replace shipped entries, three are new.
	if got, want := table.Len(), len(DefaultPrices())+3; got != want {
		t.Errorf("Len(): got %d, want %d", got, want)
	}
	models := table.Models()
	for _, id := range []string{"GPT-4o", "anthropic.claude-3-haiku-20240307-v1", "acme-private-model"} {
		if !slices.Contains(models, id) {
			t.Errorf("Models(): got no %q, want it", id)
		}
	}
	for _, id := range []string{"gpt-4o", haiku} {
		if slices.Contains(models, id) {
			t.Errorf("Models(): got replaced %q, want only its override", id)
		}
	}
}

func TestNewPriceTableRejects(t *testing.T) {
	overrides := map[string]Price{
		"a-negative":  {Input: -1, Output: 1},
		"b-nan":       {Input: 1, Output: math.NaN()},
		"c-inf":       {Input: 1, CacheRead: math.Inf(1)},
		"d-many":      {Input: math.Inf(-1), CacheWrite: -0.5},
		"e-fine":      {Input: 1, Output: 2},
		"":            {Input: 1},
		"x.y:0":       {Input: 1},
		"X.Y":         {Input: 1},
		"no-model-id": {Input: 1},
	}
	table, err := NewPriceTable(overrides)
	if table != nil {
		t.Errorf("NewPriceTable: got a table, want nil")
	}
	if !errors.Is(err, ErrInvalidPrice) {
		t.Fatalf("NewPriceTable: got error %v, want one wrapping ErrInvalidPrice", err)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("NewPriceTable: got error %T, want a list of problems", err)
	}
	var got []string
	for _, e := range joined.Unwrap() {
		if !errors.Is(e, ErrInvalidPrice) {
			t.Errorf("problem %q: does not wrap ErrInvalidPrice", e)
		}
		got = append(got, e.Error())
	}
	want := []string{
		`invalid price: model ID "" names no model`,
		`invalid price: "a-negative": input is negative (-1)`,
		`invalid price: "b-nan": output is not a number`,
		`invalid price: "c-inf": cache_read is infinite`,
		`invalid price: "d-many": input is infinite`,
		`invalid price: "d-many": cache_write is negative (-0.5)`,
		`invalid price: "X.Y" and "x.y:0" name the same model`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewPriceTable problems (-want +got):\n%s", diff)
	}
}

func TestDefaultPrices(t *testing.T) {
	defaults := DefaultPrices()
	if err := validatePrices(defaults); err != nil {
		t.Fatalf("validatePrices(DefaultPrices()): got %v, want nil", err)
	}
	embeddings := embeddingPrices()
	for id, p := range defaults {
		if p.Input <= 0 {
			t.Errorf("%s: got Input %v, want > 0", id, p.Input)
		}
		if _, embedding := embeddings[id]; embedding {
			if p.Output != 0 || p.CacheRead != 0 || p.CacheWrite != 0 {
				t.Errorf("%s: got %+v, want an input price only (an embedding model)", id, p)
			}
		} else if p.Output <= 0 {
			t.Errorf("%s: got Output %v, want > 0", id, p.Output)
		}
		if p.CacheRead > p.Input {
			t.Errorf("%s: got CacheRead %v, want <= Input %v", id, p.CacheRead, p.Input)
		}
		if p.CacheWrite != 0 && p.CacheWrite < p.Input {
			t.Errorf("%s: got CacheWrite %v, want 0 or >= Input %v", id, p.CacheWrite, p.Input)
		}
		if strings.HasPrefix(strings.ToLower(id), "demo") {
			t.Errorf("%s: got a demo model, want none (they cost nothing and need no entry)", id)
		}
	}
}

// TestDefaultPricesRegional checks the Claude 4.5 rule: the plain ID is
// the regional price, 10% over the global profile's list price.
func TestDefaultPricesRegional(t *testing.T) {
	defaults := DefaultPrices()
	var globals int
	for id, global := range defaults {
		plainID, ok := strings.CutPrefix(id, "global.")
		if !ok {
			continue
		}
		globals++
		plain, ok := defaults[plainID]
		if !ok {
			t.Errorf("%s: got no %s, want the regional entry beside it", id, plainID)
			continue
		}
		want := Price{
			Input: global.Input * 1.1, Output: global.Output * 1.1,
			CacheRead: global.CacheRead * 1.1, CacheWrite: global.CacheWrite * 1.1,
		}
		if diff := cmp.Diff(want, plain, cmp.Comparer(closeEnough)); diff != "" {
			t.Errorf("%s: regional price (-want +got):\n%s", plainID, diff)
		}
	}
	if globals == 0 {
		t.Errorf("DefaultPrices(): got no global. entries, want the Claude 4.5 ones")
	}
}

// closeEnough compares prices to a pico-dollar a token, the precision Cost
// works in.
func closeEnough(a, b float64) bool { return picoPerToken(a) == picoPerToken(b) }

func TestDefaultPricesIsACopy(t *testing.T) {
	first := DefaultPrices()
	first["gpt-4o"] = Price{Input: 999}
	delete(first, "gpt-4o-mini")
	second := DefaultPrices()
	if second["gpt-4o"].Input == 999 {
		t.Errorf("DefaultPrices() after a caller changed a copy: got gpt-4o %+v, want the shipped price", second["gpt-4o"])
	}
	if _, ok := second["gpt-4o-mini"]; !ok {
		t.Errorf("DefaultPrices() after a caller deleted from a copy: got no gpt-4o-mini, want it")
	}
	table, err := NewPriceTable(nil)
	if err != nil {
		t.Fatalf("NewPriceTable(nil): got error %v, want nil", err)
	}
	if got, want := table.Len(), len(second); got != want {
		t.Errorf("NewPriceTable(nil).Len(): got %d, want %d", got, want)
	}
}

func TestPriceTableModels(t *testing.T) {
	table := buildPriceTable(routingPrices(), map[string]Price{"Zeta-Model": {Input: 1}})
	got := table.Models()
	want := append(slices.Collect(maps.Keys(routingPrices())), "Zeta-Model")
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Models() (-want +got):\n%s", diff)
	}
	if table.Len() != len(want) {
		t.Errorf("Len(): got %d, want %d", table.Len(), len(want))
	}
	if diff := cmp.Diff(len(want), len(table.Prices())); diff != "" {
		t.Errorf("len(Prices()) (-want +got):\n%s", diff)
	}
}

// TestPriceTableConcurrentLookup lets the race detector see concurrent
// readers of one table.
func TestPriceTableConcurrentLookup(t *testing.T) {
	table, err := NewPriceTable(nil)
	if err != nil {
		t.Fatalf("NewPriceTable(nil): got error %v, want nil", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, ok := table.Lookup("us.anthropic.claude-sonnet-4-5-20250929-v1:0"); !ok {
					t.Error("Lookup(us. Sonnet 4.5): got not found, want found")
					return
				}
				_ = table.Models()
			}
		})
	}
	wg.Wait()
}

func BenchmarkPriceCost(b *testing.B) {
	p := Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75}
	tok := Tokens{Input: 12_345, Output: 678, CacheRead: 10_000, CacheWrite: 1_000}
	var sink NanoUSD
	for b.Loop() {
		sink += p.Cost(tok)
	}
	_ = sink
}

func BenchmarkPriceTableLookup(b *testing.B) {
	table, err := NewPriceTable(nil)
	if err != nil {
		b.Fatalf("NewPriceTable(nil): got error %v, want nil", err)
	}
	for _, bm := range []struct{ name, model string }{
		{"exact", "gpt-4o"},
		{"snapshot", "gpt-4o-2024-08-06"},
		{"profile", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"profile_arn", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"upper_case", "GPT-4o-Mini"},
		{"unknown", "unknown-model"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				table.Lookup(bm.model)
			}
		})
	}
}
