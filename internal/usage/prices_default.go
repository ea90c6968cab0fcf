package usage

import "maps"

// The shipped price list. Prices were checked on 2026-12-03. They are
// public list prices, in US dollars per million tokens: Bedrock on-demand,
// standard tier, us-east-1 (https://aws.amazon.com/bedrock/pricing/) and
// OpenAI's standard tier (https://platform.openai.com/docs/pricing), read
// from public copies of those pages and cross-checked against LiteLLM's
// model_prices_and_context_window.json. They are meant to be overridden in
// the config (`prices:`) wherever a contract, a discount or a region
// prices differently, and added to there for models not listed here.
//
// Models whose price could not be confirmed are left out rather than
// guessed: an unknown model costs whatever the caller does with unknown
// models, not a made-up number.

// DefaultPrices returns a copy of the shipped price list, by model ID as
// the upstream names it.
func DefaultPrices() map[string]Price { return defaultPrices() }

// defaultPrices builds the shipped list afresh on every call, so that no
// caller can change what another one sees.
func defaultPrices() map[string]Price {
	m := make(map[string]Price, 64)
	for _, group := range []map[string]Price{
		bedrockAnthropicPrices(),
		bedrockAmazonPrices(),
		bedrockMetaPrices(),
		bedrockOtherPrices(),
		openAIPrices(),
		embeddingPrices(),
	} {
		maps.Copy(m, group)
	}
	return m
}

// bedrockAnthropicPrices are Anthropic's Claude models on Bedrock. A cache
// write costs 1.25 times and a cache read 0.1 times the input price; Claude
// 3 Haiku has no prompt caching on Bedrock, so no cache prices.
//
// From the Claude 4.5 generation on, the global cross-Region profile
// ("global.") costs the list price and every geographic profile ("us.",
// "eu.", "jp." ...) or in-Region call 10% more
// (https://docs.claude.com/en/docs/build-with-claude/claude-on-amazon-bedrock#global-vs-regional-endpoints).
// The plain ID carries the regional price, which Lookup falls back to for
// any geographic prefix, and the "global." ID the list price.
func bedrockAnthropicPrices() map[string]Price {
	return map[string]Price{
		"anthropic.claude-3-haiku-20240307-v1:0":    {Input: 0.25, Output: 1.25},
		"anthropic.claude-3-5-haiku-20241022-v1:0":  {Input: 0.8, Output: 4, CacheRead: 0.08, CacheWrite: 1},
		"anthropic.claude-3-7-sonnet-20250219-v1:0": {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
		"anthropic.claude-sonnet-4-20250514-v1:0":   {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
		"anthropic.claude-opus-4-20250514-v1:0":     {Input: 15, Output: 75, CacheRead: 1.5, CacheWrite: 18.75},
		"anthropic.claude-opus-4-1-20250805-v1:0":   {Input: 15, Output: 75, CacheRead: 1.5, CacheWrite: 18.75},

		"anthropic.claude-sonnet-4-5-20250929-v1:0":        {Input: 3.3, Output: 16.5, CacheRead: 0.33, CacheWrite: 4.125},
		"global.anthropic.claude-sonnet-4-5-20250929-v1:0": {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
		"anthropic.claude-haiku-4-5-20251001-v1:0":         {Input: 1.1, Output: 5.5, CacheRead: 0.11, CacheWrite: 1.375},
		"global.anthropic.claude-haiku-4-5-20251001-v1:0":  {Input: 1, Output: 5, CacheRead: 0.1, CacheWrite: 1.25},
		"anthropic.claude-opus-4-5-20251101-v1:0":          {Input: 5.5, Output: 27.5, CacheRead: 0.55, CacheWrite: 6.875},
		"global.anthropic.claude-opus-4-5-20251101-v1:0":   {Input: 5, Output: 25, CacheRead: 0.5, CacheWrite: 6.25},
	}
}

// bedrockAmazonPrices are Amazon's Nova models. Bedrock prices a Nova cache
// read at a quarter of the input price and lists no cache-write price, so
// a write costs the input price.
func bedrockAmazonPrices() map[string]Price {
	return map[string]Price{
		"amazon.nova-micro-v1:0":   {Input: 0.035, Output: 0.14, CacheRead: 0.00875},
		"amazon.nova-lite-v1:0":    {Input: 0.06, Output: 0.24, CacheRead: 0.015},
		"amazon.nova-pro-v1:0":     {Input: 0.8, Output: 3.2, CacheRead: 0.2},
		"amazon.nova-premier-v1:0": {Input: 2.5, Output: 12.5, CacheRead: 0.625},
	}
}

// bedrockMetaPrices are Meta's Llama models, at the prices AWS has charged
// since cutting them in December 2024 (older copies list Llama 3.1 70B at
// $0.99 and 405B at $5.32).
func bedrockMetaPrices() map[string]Price {
	return map[string]Price{
		"meta.llama3-1-8b-instruct-v1:0":         {Input: 0.22, Output: 0.22},
		"meta.llama3-1-70b-instruct-v1:0":        {Input: 0.72, Output: 0.72},
		"meta.llama3-1-405b-instruct-v1:0":       {Input: 2.4, Output: 2.4},
		"meta.llama3-2-1b-instruct-v1:0":         {Input: 0.1, Output: 0.1},
		"meta.llama3-2-3b-instruct-v1:0":         {Input: 0.15, Output: 0.15},
		"meta.llama3-2-11b-instruct-v1:0":        {Input: 0.16, Output: 0.16},
		"meta.llama3-2-90b-instruct-v1:0":        {Input: 0.72, Output: 0.72},
		"meta.llama3-3-70b-instruct-v1:0":        {Input: 0.72, Output: 0.72},
		"meta.llama4-scout-17b-instruct-v1:0":    {Input: 0.17, Output: 0.66},
		"meta.llama4-maverick-17b-instruct-v1:0": {Input: 0.24, Output: 0.97},
	}
}

// bedrockOtherPrices are the other vendors' chat models on Bedrock. Mistral
// Large (2402 and 2407) is left out: public copies of its price disagree.
func bedrockOtherPrices() map[string]Price {
	return map[string]Price{
		"mistral.mistral-small-2402-v1:0":    {Input: 1, Output: 3},
		"mistral.mixtral-8x7b-instruct-v0:1": {Input: 0.45, Output: 0.7},
		"mistral.mistral-7b-instruct-v0:2":   {Input: 0.15, Output: 0.2},
		"cohere.command-r-v1:0":              {Input: 0.5, Output: 1.5},
		"cohere.command-r-plus-v1:0":         {Input: 3, Output: 15},
		"deepseek.r1-v1:0":                   {Input: 1.35, Output: 5.4},
		"openai.gpt-oss-20b-1:0":             {Input: 0.07, Output: 0.3},
		"openai.gpt-oss-120b-1:0":            {Input: 0.15, Output: 0.6},
	}
}

// openAIPrices are OpenAI's chat models. OpenAI discounts cached input and
// charges nothing to write the cache, so CacheWrite stays 0 (Input's
// price). Azure OpenAI names its models the same and, for global
// deployments, charges the same; data-zone and regional deployments cost
// more and belong in the config. A dated snapshot is priced as its model
// ("gpt-4o-2024-08-06" as "gpt-4o") unless it has an entry of its own, as
// gpt-4o-2024-05-13 does: it kept the launch price and has no cache
// discount.
func openAIPrices() map[string]Price {
	return map[string]Price{
		"gpt-4o":            {Input: 2.5, Output: 10, CacheRead: 1.25},
		"gpt-4o-2024-05-13": {Input: 5, Output: 15},
		"gpt-4o-mini":       {Input: 0.15, Output: 0.6, CacheRead: 0.075},
		"gpt-4.1":           {Input: 2, Output: 8, CacheRead: 0.5},
		"gpt-4.1-mini":      {Input: 0.4, Output: 1.6, CacheRead: 0.1},
		"gpt-4.1-nano":      {Input: 0.1, Output: 0.4, CacheRead: 0.025},
		"o1":                {Input: 15, Output: 60, CacheRead: 7.5},
		"o3":                {Input: 2, Output: 8, CacheRead: 0.5},
		"o3-mini":           {Input: 1.1, Output: 4.4, CacheRead: 0.55},
		"o4-mini":           {Input: 1.1, Output: 4.4, CacheRead: 0.275},
		"gpt-5":             {Input: 1.25, Output: 10, CacheRead: 0.125},
		"gpt-5-mini":        {Input: 0.25, Output: 2, CacheRead: 0.025},
		"gpt-5-nano":        {Input: 0.05, Output: 0.4, CacheRead: 0.005},
	}
}

// embeddingPrices are the embedding models, Bedrock's and OpenAI's. They
// bill input tokens only: Output is 0. Cohere Embed v4 is left out: no
// public copy of its Bedrock price could be confirmed.
func embeddingPrices() map[string]Price {
	return map[string]Price{
		"amazon.titan-embed-text-v1":   {Input: 0.1},
		"amazon.titan-embed-text-v2:0": {Input: 0.02},
		"cohere.embed-english-v3":      {Input: 0.1},
		"cohere.embed-multilingual-v3": {Input: 0.1},
		"text-embedding-3-small":       {Input: 0.02},
		"text-embedding-3-large":       {Input: 0.13},
		"text-embedding-ada-002":       {Input: 0.1},
	}
}
