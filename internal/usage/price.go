package usage

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// ErrInvalidPrice is wrapped by every problem NewPriceTable finds in the
// configured prices.
var ErrInvalidPrice = errors.New("invalid price")

// Price is what a model costs, in US dollars per million tokens, as the
// vendors' price lists quote it. Prices are held to a millionth of a dollar
// per million tokens (one pico-dollar a token); finer digits are rounded.
type Price struct {
	// Input is the price of a prompt token that was neither read from nor
	// written to a prompt cache.
	Input float64 `json:"input" yaml:"input"`
	// Output is the price of a generated token, reasoning tokens included.
	// Embedding models have none: 0.
	Output float64 `json:"output" yaml:"output"`
	// CacheRead is the price of a prompt token read from a prompt cache;
	// 0 means Input's price (a model without a cache discount).
	CacheRead float64 `json:"cache_read,omitempty" yaml:"cache_read,omitempty"`
	// CacheWrite is the price of a prompt token written to a prompt cache;
	// 0 means Input's price (OpenAI charges nothing extra for writes).
	CacheWrite float64 `json:"cache_write,omitempty" yaml:"cache_write,omitempty"`
}

// Tokens are one request's token counts.
type Tokens struct {
	// Input counts every prompt token, cached ones included: OpenAI's
	// prompt_tokens, and what Outcrop's Bedrock translation reports as
	// prompt_tokens (inputTokens + cacheReadInputTokens +
	// cacheWriteInputTokens).
	Input int64
	// Output counts generated tokens.
	Output int64
	// CacheRead and CacheWrite are the parts of Input read from and
	// written to a prompt cache.
	CacheRead  int64
	CacheWrite int64
}

// picoPerNano is how many pico-dollars make a nano-dollar.
const picoPerNano = 1000

// Cost is what t costs at p: the uncached part of the prompt (Input less
// CacheRead and CacheWrite, never below 0) at Input, the cache parts at
// their own prices and Output at Output. Negative counts count as 0. The
// sum is exact in pico-dollars and rounded up once to the nano-dollar, so
// a request never costs less than it did; it saturates at the largest
// NanoUSD rather than wrapping.
func (p Price) Cost(t Tokens) NanoUSD {
	in := picoPerToken(p.Input)
	read, write := in, in
	if p.CacheRead > 0 {
		read = picoPerToken(p.CacheRead)
	}
	if p.CacheWrite > 0 {
		write = picoPerToken(p.CacheWrite)
	}
	cacheRead, cacheWrite := count(t.CacheRead), count(t.CacheWrite)
	uncached := count(t.Input)
	uncached -= min(uncached, cacheRead)
	uncached -= min(uncached, cacheWrite)

	var sum uint128
	sum.addProduct(uncached, in)
	sum.addProduct(cacheRead, read)
	sum.addProduct(cacheWrite, write)
	sum.addProduct(count(t.Output), picoPerToken(p.Output))
	return sum.ceilNano()
}

// picoPerToken converts a price per million tokens to pico-dollars per
// token ($1/M is 10^-6 $ a token, 10^6 pico-dollars). Converting each
// price once, then multiplying integers, keeps float drift out of sums
// over many tokens. A price that is not positive (NaN included) is 0.
func picoPerToken(usdPerMillion float64) uint64 {
	if !(usdPerMillion > 0) {
		return 0
	}
	pico := math.Round(usdPerMillion * 1e6)
	if pico >= math.MaxInt64 {
		return math.MaxInt64
	}
	return uint64(pico)
}

// count turns a token count into an unsigned one, negative counts to 0.
func count(n int64) uint64 { return uint64(max(n, 0)) }

// uint128 is an unsigned 128-bit sum: four products of a count and a price
// each below 2^63 cannot overflow it, so big requests cost what they cost.
type uint128 struct{ hi, lo uint64 }

// addProduct adds a*b.
func (u *uint128) addProduct(a, b uint64) {
	hi, lo := bits.Mul64(a, b)
	var carry uint64
	u.lo, carry = bits.Add64(u.lo, lo, 0)
	u.hi, _ = bits.Add64(u.hi, hi, carry)
}

// ceilNano divides the pico-dollar sum by 1000, rounding up, and caps the
// result at the largest NanoUSD.
func (u uint128) ceilNano() NanoUSD {
	lo, carry := bits.Add64(u.lo, picoPerNano-1, 0)
	hi := u.hi + carry
	if hi >= picoPerNano { // the quotient would not fit in 64 bits
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, picoPerNano)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return NanoUSD(q)
}

// PriceTable is the price of every known model: the shipped list prices
// with the configured ones over them. It is immutable once built and safe
// for concurrent use.
type PriceTable struct {
	// byID holds every entry by its normalised ID, inference-profile
	// prefix kept.
	byID map[string]priceEntry
	// byBase holds the entries by their ID without an inference-profile
	// prefix; an entry that has none wins over prefixed ones.
	byBase map[string]priceEntry
}

// priceEntry is one model's price under the ID it was given.
type priceEntry struct {
	id    string
	price Price
}

// NewPriceTable builds the table from the shipped defaults (DefaultPrices)
// and overrides, the `prices:` of the config, which replace or add entries
// by model ID. An override names the same model as a shipped entry when
// both normalise alike (case, ARN and context-window suffix aside), so
// "anthropic.claude-3-haiku-20240307-v1" replaces the shipped
// "anthropic.claude-3-haiku-20240307-v1:0". Every problem in overrides is
// reported at once, each wrapping ErrInvalidPrice.
func NewPriceTable(overrides map[string]Price) (*PriceTable, error) {
	if err := validatePrices(overrides); err != nil {
		return nil, err
	}
	return buildPriceTable(defaultPrices(), overrides), nil
}

// buildPriceTable merges overrides over defaults, both already valid.
func buildPriceTable(defaults, overrides map[string]Price) *PriceTable {
	byID := make(map[string]priceEntry, len(defaults)+len(overrides))
	for _, prices := range []map[string]Price{defaults, overrides} {
		for id, p := range prices {
			key, _ := normalizeModelID(id)
			byID[key] = priceEntry{id: id, price: p}
		}
	}
	// Sorted, so that among prefixed entries sharing a base the choice
	// does not depend on map order; an unprefixed entry always wins.
	byBase := make(map[string]priceEntry, len(byID))
	for _, key := range slices.Sorted(maps.Keys(byID)) {
		base := stripProfilePrefix(key)
		if _, taken := byBase[base]; !taken || key == base {
			byBase[base] = byID[key]
		}
	}
	return &PriceTable{byID: byID, byBase: byBase}
}

// validatePrices returns every problem in prices, sorted by model ID.
func validatePrices(prices map[string]Price) error {
	var errs []error
	seen := make(map[string]string, len(prices))
	for _, id := range slices.Sorted(maps.Keys(prices)) {
		key, _ := normalizeModelID(id)
		if key == "" {
			errs = append(errs, fmt.Errorf("%w: model ID %q names no model", ErrInvalidPrice, id))
			continue
		}
		if other, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("%w: %q and %q name the same model", ErrInvalidPrice, other, id))
		}
		seen[key] = id
		p := prices[id]
		for _, f := range []struct {
			name string
			v    float64
		}{{"input", p.Input}, {"output", p.Output}, {"cache_read", p.CacheRead}, {"cache_write", p.CacheWrite}} {
			if err := checkPrice(f.v); err != nil {
				errs = append(errs, fmt.Errorf("%w: %q: %s %w", ErrInvalidPrice, id, f.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// checkPrice says what is wrong with one price in dollars per million
// tokens, or nil.
func checkPrice(v float64) error {
	switch {
	case math.IsNaN(v):
		return errors.New("is not a number")
	case math.IsInf(v, 0):
		return errors.New("is infinite")
	case v < 0:
		return fmt.Errorf("is negative (%g)", v)
	}
	return nil
}

// Lookup finds the price of a model ID as an upstream knows it. It tries
// the ID as given (normalised: case, a Bedrock ARN and context-window
// suffixes aside), then without a cross-Region inference-profile prefix,
// then, for a dated OpenAI snapshot such as "gpt-4o-2024-08-06", the model
// it snapshots. It returns false for a model it does not know.
func (t *PriceTable) Lookup(model string) (Price, bool) {
	key, base := normalizeModelID(model)
	if e, ok := t.byID[key]; ok {
		return e.price, true
	}
	if e, ok := t.byBase[base]; ok {
		return e.price, true
	}
	if undated, ok := stripSnapshotDate(base); ok {
		if e, ok := t.byBase[undated]; ok {
			return e.price, true
		}
	}
	return Price{}, false
}

// Len is the number of models in the table.
func (t *PriceTable) Len() int { return len(t.byID) }

// Models lists the model IDs in the table as they were given, sorted: for
// documentation and the admin API.
func (t *PriceTable) Models() []string {
	ids := make([]string, 0, len(t.byID))
	for _, e := range t.byID {
		ids = append(ids, e.id)
	}
	slices.Sort(ids)
	return ids
}

// Prices returns a copy of the table by model ID as given, for the admin
// API.
func (t *PriceTable) Prices() map[string]Price {
	out := make(map[string]Price, len(t.byID))
	for _, e := range t.byID {
		out[e.id] = e.price
	}
	return out
}

// normalizeModelID returns the key a model ID is priced under and its
// base, the key without a cross-Region inference-profile prefix. The key
// is lower case, without the ARN around a foundation model or
// system-defined inference profile and without Bedrock's version and
// context-window suffixes (":0", ":1", ":0:200k"):
// "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"
// has the key "us.anthropic.claude-3-haiku-20240307-v1" and the base
// "anthropic.claude-3-haiku-20240307-v1".
func normalizeModelID(model string) (key, base string) {
	key = strings.ToLower(strings.TrimSpace(model))
	key = stripARN(key)
	key = stripContextSuffixes(key)
	return key, stripProfilePrefix(key)
}

// stripARN returns the model or inference-profile ID inside a Bedrock
// ARN. Other ARNs (an application inference profile names no model) are
// returned as they are, and so stay unknown.
func stripARN(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	for _, resource := range [...]string{":foundation-model/", ":inference-profile/"} {
		if _, after, ok := strings.Cut(id, resource); ok {
			return after
		}
	}
	return id
}

// stripContextSuffixes removes the colon-separated version and
// context-window suffixes of a Bedrock model ID
// (https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html):
// a version ("v1:0") and a context window ("200k", "mm") price alike. Only
// IDs shaped like Bedrock's, "provider.model" before the first colon, are
// touched: an OpenAI fine-tune "ft:gpt-4o-mini:org::abc" keeps its colons.
func stripContextSuffixes(id string) string {
	first := strings.IndexByte(id, ':')
	if first < 0 || !strings.Contains(id[:first], ".") {
		return id
	}
	for {
		i := strings.LastIndexByte(id, ':')
		if i < 0 || !isContextSuffix(id[i+1:]) {
			return id
		}
		id = id[:i]
	}
}

// isContextSuffix reports whether s is a Bedrock version or context-window
// suffix: digits ("0", "512"), digits and k or m ("200k", "1m"), or "mm"
// (multimodal).
func isContextSuffix(s string) bool {
	if s == "mm" {
		return true
	}
	digits := strings.TrimSuffix(strings.TrimSuffix(s, "k"), "m")
	return digits != "" && strings.Trim(digits, "0123456789") == ""
}

// stripProfilePrefix removes a cross-Region inference-profile prefix
// ("us.", "global." ...) from a normalised Bedrock model ID
// (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
// What remains must still be "provider.model".
func stripProfilePrefix(key string) string {
	prefix, rest, ok := strings.Cut(key, ".")
	if ok && isProfilePrefix(prefix) && strings.Contains(rest, ".") {
		return rest
	}
	return key
}

// isProfilePrefix reports whether s names the geography of a system-defined
// cross-Region inference profile.
func isProfilePrefix(s string) bool {
	switch s {
	case "us", "us-gov", "eu", "apac", "jp", "au", "ca", "global":
		return true
	}
	return false
}

// stripSnapshotDate returns the model a dated OpenAI snapshot belongs to:
// "gpt-4o-mini-2024-07-18" is "gpt-4o-mini" (never "gpt-4o": only the
// date is removed). It reports false when id does not end in -YYYY-MM-DD.
func stripSnapshotDate(id string) (string, bool) {
	const suffix = len("-2006-01-02")
	if len(id) <= suffix {
		return "", false
	}
	date := id[len(id)-suffix:]
	for i, c := range date {
		switch i {
		case 0, 5, 8:
			if c != '-' {
				return "", false
			}
		default:
			if c < '0' || c > '9' {
				return "", false
			}
		}
	}
	return id[:len(id)-suffix], true
}
