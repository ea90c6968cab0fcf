package openaicompat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// bodyOptions says what to splice into a request body.
type bodyOptions struct {
	// model is the upstream model ID to set; empty leaves `model` alone.
	model string
	// stream sets `"stream":true` and `stream_options.include_usage:true`,
	// so that a stream always ends with its usage.
	stream bool
}

var (
	jsonTrue         = []byte("true")
	usageOptionsOnly = []byte(`{"include_usage":true}`)
)

// requestBody returns the body to send upstream: the client's raw body, or
// typed marshalled when raw is nil, with only what opts asks spliced in.
// Every other byte is the client's. raw is never modified.
func requestBody(raw []byte, typed any, opts bodyOptions) ([]byte, error) {
	if raw == nil {
		b, err := json.Marshal(typed)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		raw = b
	}
	s := splicer{raw: raw}
	if err := s.scan(); err != nil {
		return nil, fmt.Errorf("splice request: %w", err)
	}
	if opts.model != "" {
		s.set(keyModel, jsonString(opts.model))
	}
	if opts.stream {
		s.set(keyStream, value{raw: jsonTrue})
		opt, err := includeUsage(raw, s.last(keyStreamOptions))
		if err != nil {
			return nil, fmt.Errorf("splice stream_options: %w", err)
		}
		if opt != nil {
			s.set(keyStreamOptions, value{raw: opt})
		}
	}
	return s.apply(), nil
}

// includeUsage returns the stream_options value to send so that usage is
// reported, or nil when m (if found) already asks for it. Other options,
// such as include_obfuscation, are kept.
func includeUsage(raw []byte, m *jsonx.Member) ([]byte, error) {
	if m == nil {
		return usageOptionsOnly, nil
	}
	v := m.Value(raw)
	if v[0] != '{' {
		// null, or a value the upstream would reject anyway: replace it.
		return usageOptionsOnly, nil
	}
	u, ok, err := jsonx.Find(v, "include_usage")
	if err != nil {
		return nil, err
	}
	if ok && bytes.Equal(u.Value(v), jsonTrue) {
		return nil, nil
	}
	return jsonx.Set(v, "include_usage", jsonTrue)
}

// The members a splicer may rewrite.
const (
	keyModel = iota
	keyStream
	keyStreamOptions
	numKeys
)

var spliceKeys = [numKeys]string{"model", "stream", "stream_options"}

// splicer rewrites a few top-level members of a JSON object in one copy.
//
// A key written twice is rewritten at every occurrence: JSON parsers differ
// on which duplicate wins (Python's and Go's take the last, jsonx the
// first), and a client must not smuggle its own `model` past the router.
//
// Its storage is fixed arrays, not slices into itself, so that it stays on
// the stack: a body needs no allocation but its output.
type splicer struct {
	raw     []byte
	members int
	found   [numKeys][maxDuplicates]jsonx.Member
	nfound  [numKeys]int
	edits   [numKeys * maxDuplicates]edit
	nedits  int
}

// maxDuplicates bounds how often a spliced key may appear in one body.
const maxDuplicates = 4

// errDuplicates reports a body that repeats a spliced key absurdly often.
var errDuplicates = fmt.Errorf("more than %d members named model, stream or stream_options", maxDuplicates)

// edit replaces raw[start:end] with val; an insertion has start == end and
// the key of the new member.
type edit struct {
	start, end int
	key        string
	val        value
}

// value is a JSON value to write: raw bytes, or a string that needs no
// escaping, written between quotes.
type value struct {
	raw []byte
	str string
}

// jsonString returns s as a JSON string value. Model IDs are plain ASCII,
// which is written as is; anything else goes through the encoder.
func jsonString(s string) value {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return value{raw: b}
		}
	}
	return value{str: s}
}

// equal reports whether the JSON text b is exactly v.
func (v value) equal(b []byte) bool {
	if v.raw != nil {
		return bytes.Equal(b, v.raw)
	}
	return len(b) == len(v.str)+2 && b[0] == '"' && string(b[1:len(b)-1]) == v.str
}

// size is the length of v's text.
func (v value) size() int {
	if v.raw != nil {
		return len(v.raw)
	}
	return len(v.str) + 2
}

func (v value) appendTo(out []byte) []byte {
	if v.raw != nil {
		return append(out, v.raw...)
	}
	out = append(out, '"')
	out = append(out, v.str...)
	return append(out, '"')
}

// scan finds the members the splicer may rewrite.
func (s *splicer) scan() error {
	var err error
	serr := jsonx.Members(s.raw, func(m jsonx.Member) bool {
		s.members++
		key := m.Key
		if bytes.IndexByte(key, '\\') >= 0 {
			// An escaped key such as "mod\u0065l" is still `model` to the
			// upstream's parser.
			key = unescapeKey(s.raw[m.Start : m.Start+len(m.Key)+2])
		}
		for k, name := range spliceKeys {
			if string(key) != name {
				continue
			}
			if s.nfound[k] == maxDuplicates {
				err = errDuplicates
				return false
			}
			s.found[k][s.nfound[k]] = m
			s.nfound[k]++
		}
		return true
	})
	if serr != nil {
		return serr
	}
	return err
}

// last returns the last occurrence of key, nil when absent.
func (s *splicer) last(key int) *jsonx.Member {
	if n := s.nfound[key]; n > 0 {
		return &s.found[key][n-1]
	}
	return nil
}

// set schedules key's value to become val: in place wherever it occurs
// (and differs), else as a new member at the end.
func (s *splicer) set(key int, val value) {
	for _, m := range s.found[key][:s.nfound[key]] {
		if !val.equal(m.Value(s.raw)) {
			s.edits[s.nedits] = edit{start: m.ValueStart, end: m.End, val: val}
			s.nedits++
		}
	}
	if s.nfound[key] == 0 {
		end := bytes.LastIndexByte(s.raw, '}')
		at := len(bytes.TrimRight(s.raw[:end], " \t\r\n"))
		s.edits[s.nedits] = edit{start: at, end: at, key: spliceKeys[key], val: val}
		s.nedits++
	}
}

// apply returns raw with the scheduled edits, or raw itself when there are
// none.
func (s *splicer) apply() []byte {
	edits := s.edits[:s.nedits]
	if len(edits) == 0 {
		return s.raw
	}
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	size := len(s.raw)
	for _, e := range edits {
		size += e.val.size() - (e.end - e.start) + len(e.key) + 4
	}
	out := make([]byte, 0, size)
	last := 0
	for _, e := range edits {
		out = append(out, s.raw[last:e.start]...)
		if e.key != "" {
			if s.members > 0 {
				out = append(out, ',')
			}
			s.members++
			out = append(out, '"')
			out = append(out, e.key...)
			out = append(out, '"', ':')
		}
		out = e.val.appendTo(out)
		last = e.end
	}
	return append(out, s.raw[last:]...)
}

// unescapeKey decodes the quoted JSON string b.
func unescapeKey(b []byte) []byte {
	var key string
	if err := json.Unmarshal(b, &key); err != nil {
		return nil
	}
	return []byte(key)
}
