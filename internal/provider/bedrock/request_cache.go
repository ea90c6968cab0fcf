package bedrock

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/outcrop/outcrop/internal/openai"
)

// CachePolicy is the deployment's prompt-caching policy; its values are
// those of the configuration key bedrock.prompt_caching.
type CachePolicy string

// The prompt-caching policies; the empty string means CacheOnRequest.
const (
	// CacheOnRequest places cache points where the client asks: its
	// cache_control markers, and the automatic points its prompt_caching
	// extension turns on.
	CacheOnRequest CachePolicy = "auto"
	// CacheAlways also places the automatic points on every request,
	// unless its prompt_caching extension turns them off
	// (bedrock-access-gateway's ENABLE_PROMPT_CACHING=true).
	CacheAlways CachePolicy = "true"
	// CacheNever places none: markers and the extension are ignored.
	CacheNever CachePolicy = "false"
)

// maxCachePoints is the most cache points Bedrock takes in one request
// (the prompt-caching page's "maximum number of cache checkpoints per
// request", 4 for every model that caches).
const maxCachePoints = 4

// cacheTTL1h is the extended time to live a cache point may ask for.
const cacheTTL1h = "1h"

// cacheSwitch is the prompt_caching extension: true or false for every
// section, or an object {"system", "messages", "tools": bool, "ttl"} in
// the shape bedrock-access-gateway reads from extra_body. An unset
// section follows the policy.
type cacheSwitch struct {
	System   *bool  `json:"system"`
	Messages *bool  `json:"messages"`
	Tools    *bool  `json:"tools"`
	TTL      string `json:"ttl"`
}

func parseCacheSwitch(raw json.RawMessage) (cacheSwitch, error) {
	var sw cacheSwitch
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return sw, nil
	}
	var all bool
	if json.Unmarshal(raw, &all) == nil {
		return cacheSwitch{System: &all, Messages: &all, Tools: &all}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sw); err != nil {
		return sw, openai.Errorf(extCaching, "Invalid '%s': expected true, false or an object with 'system', 'messages' and 'tools' booleans and a 'ttl' (%v).", extCaching, err)
	}
	switch sw.TTL {
	case "", "5m":
		sw.TTL = "" // the default; not every caching model takes the member
	case cacheTTL1h:
	default:
		return sw, openai.Errorf(extCaching+".ttl", "Invalid value for '%s.ttl': '%s'. Supported values are: '5m' and '1h'.", extCaching, sw.TTL)
	}
	return sw, nil
}

// cacheMark is a cache point to insert after block (or tool) index i of
// a section; for messages, msg is the message index.
type cacheMark struct {
	msg, i int
	ttl    string
}

// cachePlan is where the cache points go, per section.
type cachePlan struct {
	tools, system, messages []cacheMark
}

func (p *cachePlan) count() int { return len(p.tools) + len(p.system) + len(p.messages) }

// applyCaching places cache points, for a model that takes them
// (ModelInfo.PromptCaching; in toolConfig.tools only with ToolCaching),
// unless the policy is CacheNever. It runs last, on the final request.
//
// A client's cache_control marker (Anthropic's {"type": "ephemeral"},
// with "ttl": "1h" for the extended time to live) becomes a cache point
// right after what it marks:
//
//   - on a text part of a system or developer message: after its system
//     block;
//   - on a text part of a user or assistant message: after its block;
//   - on a text part of a tool message: after the toolResult block;
//   - on a tool: after its tool spec.
//
// Markers on other parts (images, files) are ignored: Bedrock's cache
// point follows a block, and clients mark the text after such a part.
// For a model that does not cache, markers are ignored too: a caching
// hint is never a reason to fail a request.
//
// The automatic points go after the system prompt, after the tools and
// at the end of the last user turn, each in a section where the client
// placed no marker, when the prompt_caching extension or, for a section
// it leaves unset, CacheAlways asks for them.
//
// Bedrock takes at most four cache points. Past four, the earliest
// message points are dropped first (the latest cover the longest prefix,
// which the next turn reuses), then the earliest system points, then the
// tools'.
func applyCaching(req *openai.ChatCompletionRequest, x *requestExtras, opts RequestOptions, out *ConverseRequest) error {
	sw, err := parseCacheSwitch(x.caching)
	if err != nil {
		return err
	}
	if !opts.Model.PromptCaching || opts.PromptCaching == CacheNever {
		return nil
	}
	plan := explicitMarks(req, out, opts.Model.ToolCaching)
	plan.addAutomatic(sw, opts, out)
	plan.limit(maxCachePoints)
	plan.insert(out)
	return nil
}

// explicitMarks finds the blocks the client's markers follow. Text blocks
// share their string with the request's part (see convertMessages), so a
// part's block is the one holding a pointer to its text.
func explicitMarks(req *openai.ChatCompletionRequest, out *ConverseRequest, tools bool) cachePlan {
	var plan cachePlan
	where := textBlocks(out)
	for i := range req.Messages {
		m := &req.Messages[i]
		if m.Content.Kind != openai.ContentParts {
			continue
		}
		for j := range m.Content.Parts {
			p := &m.Content.Parts[j]
			ttl, ok := cacheMarker(p.CacheControl)
			if !ok {
				continue
			}
			at, found := where[&p.Text]
			switch {
			case !found:
			case at.msg < 0:
				plan.system = append(plan.system, cacheMark{msg: -1, i: at.i, ttl: ttl})
			default:
				plan.messages = append(plan.messages, cacheMark{msg: at.msg, i: at.i, ttl: ttl})
			}
		}
	}
	if tools && out.ToolConfig != nil {
		plan.tools = toolMarks(req.Tools, out.ToolConfig.Tools)
	}
	return plan
}

// textBlocks maps the text each block of out holds to the block: msg -1
// for a system block. A toolResult block is found by the texts of its
// content.
func textBlocks(out *ConverseRequest) map[*string]cacheMark {
	where := make(map[*string]cacheMark)
	for i, b := range out.System {
		if b.Text != nil {
			where[b.Text] = cacheMark{msg: -1, i: i}
		}
	}
	for mi := range out.Messages {
		for bi, b := range out.Messages[mi].Content {
			at := cacheMark{msg: mi, i: bi}
			switch {
			case b.Text != nil:
				where[b.Text] = at
			case b.ToolResult != nil:
				for _, c := range b.ToolResult.Content {
					if c.Text != nil {
						where[c.Text] = at
					}
				}
			}
		}
	}
	return where
}

// toolMarks places the markers of the client's tools after their specs,
// found by name (toolConfig may hold only some of the tools, or more).
func toolMarks(tools []openai.Tool, specs []Tool) []cacheMark {
	var marks []cacheMark
	for i := range tools {
		ttl, ok := cacheMarker(tools[i].CacheControl)
		if !ok || tools[i].Function == nil {
			continue
		}
		for k, s := range specs {
			if s.ToolSpec != nil && s.ToolSpec.Name == tools[i].Function.Name {
				marks = append(marks, cacheMark{i: k, ttl: ttl})
				break
			}
		}
	}
	return marks
}

// cacheMarker reads a cache_control value: any object is a marker, and
// its "ttl" of "1h" asks for the extended time to live (other values, the
// default "5m" among them, leave Bedrock's default).
func cacheMarker(raw json.RawMessage) (ttl string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return "", false
	}
	var cc struct {
		TTL string `json:"ttl"`
	}
	if json.Unmarshal(raw, &cc) == nil && cc.TTL == cacheTTL1h {
		return cacheTTL1h, true
	}
	return "", true
}

// addAutomatic adds the automatic points the switch or the policy asks
// for, in the sections without a marker.
func (p *cachePlan) addAutomatic(sw cacheSwitch, opts RequestOptions, out *ConverseRequest) {
	on := func(b *bool) bool {
		if b != nil {
			return *b
		}
		return opts.PromptCaching == CacheAlways
	}
	if on(sw.Tools) && opts.Model.ToolCaching && len(p.tools) == 0 && out.ToolConfig != nil && len(out.ToolConfig.Tools) > 0 {
		p.tools = []cacheMark{{i: len(out.ToolConfig.Tools) - 1, ttl: sw.TTL}}
	}
	if on(sw.System) && len(p.system) == 0 && len(out.System) > 0 {
		p.system = []cacheMark{{msg: -1, i: len(out.System) - 1, ttl: sw.TTL}}
	}
	if on(sw.Messages) && len(p.messages) == 0 {
		for mi := len(out.Messages) - 1; mi >= 0; mi-- {
			if m := out.Messages[mi]; m.Role == RoleUser && len(m.Content) > 0 {
				p.messages = []cacheMark{{msg: mi, i: len(m.Content) - 1, ttl: sw.TTL}}
				break
			}
		}
	}
}

// limit drops points past n: the earliest message points first, then the
// earliest system points, then the earliest tool points. The marks of a
// section are in request order, earliest first.
func (p *cachePlan) limit(n int) {
	for _, s := range []*[]cacheMark{&p.messages, &p.system, &p.tools} {
		*s = uniqueMarks(*s)
	}
	for _, s := range []*[]cacheMark{&p.messages, &p.system, &p.tools} {
		if extra := p.count() - n; extra > 0 {
			*s = (*s)[min(extra, len(*s)):]
		}
	}
}

// uniqueMarks merges the marks on one block (two marked texts of one tool
// result), keeping the extended time to live if one asks for it.
func uniqueMarks(marks []cacheMark) []cacheMark {
	out := marks[:0:0]
	for _, m := range marks {
		k := slices.IndexFunc(out, func(o cacheMark) bool { return o.msg == m.msg && o.i == m.i })
		switch {
		case k < 0:
			out = append(out, m)
		case m.ttl != "":
			out[k].ttl = m.ttl
		}
	}
	return out
}

// insert writes the plan's cache points into out. The slices are copied,
// never modified in place: they may share arrays with the conversion.
func (p *cachePlan) insert(out *ConverseRequest) {
	if len(p.tools) > 0 {
		tc := *out.ToolConfig
		tc.Tools = insertAfter(tc.Tools, p.tools, func(ttl string) Tool { return Tool{CachePoint: cachePoint(ttl)} })
		out.ToolConfig = &tc
	}
	out.System = insertAfter(out.System, p.system, func(ttl string) SystemBlock { return SystemBlock{CachePoint: cachePoint(ttl)} })
	if len(p.messages) == 0 {
		return
	}
	msgs := append([]Message(nil), out.Messages...)
	byMsg := make(map[int][]cacheMark)
	for _, m := range p.messages {
		byMsg[m.msg] = append(byMsg[m.msg], m)
	}
	for mi, marks := range byMsg {
		msgs[mi].Content = insertAfter(msgs[mi].Content, marks, func(ttl string) ContentBlock { return ContentBlock{CachePoint: cachePoint(ttl)} })
	}
	out.Messages = msgs
}

// insertAfter returns a copy of s with point(ttl) after each marked index;
// two marks on one index give one point.
func insertAfter[T any](s []T, marks []cacheMark, point func(string) T) []T {
	if len(marks) == 0 {
		return s
	}
	after := make(map[int]string, len(marks))
	for _, m := range marks {
		after[m.i] = m.ttl
	}
	out := make([]T, 0, len(s)+len(after))
	for i, v := range s {
		out = append(out, v)
		if ttl, ok := after[i]; ok {
			out = append(out, point(ttl))
		}
	}
	return out
}

func cachePoint(ttl string) *CachePoint { return &CachePoint{Type: "default", TTL: ttl} }
