// Package jsonx edits the top level of a JSON object in place, without
// decoding it. The relay path uses it to rewrite `model`, to ask an upstream
// for usage, and to drop fields from stream chunks while every other byte the
// client or the upstream sent is kept as it was: fields Outcrop does not know
// are forwarded untouched, and no time is spent re-encoding large prompts.
//
// The functions assume their input is one valid JSON object (the caller has
// validated it); on input that is not, they return ErrSyntax rather than
// guessing.
package jsonx

import (
	"bytes"
	"errors"
)

// ErrSyntax reports input that is not a JSON object this package can walk.
var ErrSyntax = errors.New("jsonx: not a JSON object")

// Member is one top-level member of an object, as byte offsets into the
// object's text. Start is the offset of the key's opening quote, End the
// offset just past the value; ValueStart is where the value begins.
type Member struct {
	Key        []byte // the key as written, without quotes and unescaped only if it had no escapes
	Start      int
	ValueStart int
	End        int
}

// Value returns the member's value bytes within obj.
func (m Member) Value(obj []byte) []byte { return obj[m.ValueStart:m.End] }

// Members calls fn for each top-level member of the object in obj, in order,
// and stops early when fn returns false.
func Members(obj []byte, fn func(Member) bool) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return ErrSyntax
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return ErrSyntax
		}
		start := i
		end, err := skipString(obj, i)
		if err != nil {
			return err
		}
		key := obj[start+1 : end-1]
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return ErrSyntax
		}
		i = skipSpace(obj, i+1)
		vs := i
		ve, err := skipValue(obj, i)
		if err != nil {
			return err
		}
		if !fn(Member{Key: key, Start: start, ValueStart: vs, End: ve}) {
			return nil
		}
		i = skipSpace(obj, ve)
		if i >= len(obj) {
			return ErrSyntax
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return nil
		default:
			return ErrSyntax
		}
	}
}

// Find returns the top-level member named key. Keys written with escape
// sequences are compared as written, which is enough for the ASCII names the
// OpenAI API uses.
func Find(obj []byte, key string) (Member, bool, error) {
	var found Member
	ok := false
	err := Members(obj, func(m Member) bool {
		if string(m.Key) == key {
			found, ok = m, true
			return false
		}
		return true
	})
	return found, ok, err
}

// Set returns obj with the top-level member key set to the JSON value val:
// the old value's bytes are replaced in place, or the member is appended
// before the closing brace when absent. obj is not modified.
func Set(obj []byte, key string, val []byte) ([]byte, error) {
	m, ok, err := Find(obj, key)
	if err != nil {
		return nil, err
	}
	if ok {
		out := make([]byte, 0, len(obj)-(m.End-m.ValueStart)+len(val))
		out = append(out, obj[:m.ValueStart]...)
		out = append(out, val...)
		return append(out, obj[m.End:]...), nil
	}
	end := bytes.LastIndexByte(obj, '}')
	if end < 0 {
		return nil, ErrSyntax
	}
	empty := true
	if err := Members(obj, func(Member) bool { empty = false; return false }); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(obj)+len(key)+len(val)+4)
	out = append(out, bytes.TrimRight(obj[:end], " \t\r\n")...)
	if !empty {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, key...)
	out = append(out, '"', ':')
	out = append(out, val...)
	return append(out, obj[end:]...), nil
}

// Delete returns obj without the top-level member key, with its separating
// comma. obj is returned unchanged when the key is absent.
func Delete(obj []byte, key string) ([]byte, error) {
	prevEnd := -1
	var target Member
	found := false
	nextStart := -1
	err := Members(obj, func(m Member) bool {
		if found {
			nextStart = m.Start
			return false
		}
		if string(m.Key) == key {
			target, found = m, true
			return true
		}
		prevEnd = m.End
		return true
	})
	if err != nil || !found {
		return obj, err
	}
	out := make([]byte, 0, len(obj))
	switch {
	case nextStart >= 0: // drop from the key up to the next member's key
		out = append(out, obj[:target.Start]...)
		out = append(out, obj[nextStart:]...)
	case prevEnd >= 0: // last member: drop from the end of the previous one
		out = append(out, obj[:prevEnd]...)
		out = append(out, obj[target.End:]...)
	default: // the only member
		out = append(out, obj[:target.Start]...)
		out = append(out, obj[target.End:]...)
	}
	return out, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the offset just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, ErrSyntax
}

// skipValue returns the offset just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, ErrSyntax
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, ErrSyntax
	default: // number, true, false, null
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				if j == i {
					return 0, ErrSyntax
				}
				return j, nil
			}
			j++
		}
		if j == i {
			return 0, ErrSyntax
		}
		return j, nil
	}
}
