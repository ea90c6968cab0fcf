package jsonx

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Scanner reads JSON values one by one for the hand-written decoders of
// hot shapes (a chat request, a Bedrock stream event). It does what
// encoding/json does with the values it reads, and every method reports
// false at what it cannot read — invalid JSON, or a form the caller did
// not ask for — after which the scan is abandoned and the caller decodes
// with encoding/json instead. The zero offset is the start of B.
type Scanner struct {
	B []byte
	// UTF8 says that B is known to be valid UTF-8 (a request body the
	// caller checked whole), so that String need not check each string
	// again.
	UTF8 bool
	i    int
}

// space skips whitespace.
func (s *Scanner) space() {
	for s.i < len(s.B) {
		switch s.B[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek returns the first byte of the next value, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.space()
	if s.i >= len(s.B) {
		return 0
	}
	return s.B[s.i]
}

// End reports whether only whitespace is left.
func (s *Scanner) End() bool {
	s.space()
	return s.i == len(s.B)
}

// Object reads an object, calling member after each key and its colon;
// member reads the value. A key with escapes is not read.
func (s *Scanner) Object(member func(key []byte) bool) bool {
	if s.Peek() != '{' {
		return false
	}
	s.i++
	if s.Peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.Raw()
		if !ok || s.Peek() != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		switch s.Peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// Fields reads an object whose keys are among names (at most 64), each
// given once, calling field with the name to read its value. Another key,
// or one given twice, is not read.
func (s *Scanner) Fields(names []string, field func(name string) bool) bool {
	var seen uint64
	return s.Object(func(key []byte) bool {
		for i, n := range names {
			if string(key) == n {
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				return field(n)
			}
		}
		return false
	})
}

// Array reads an array, calling elem for each element.
func (s *Scanner) Array(elem func() bool) bool {
	if s.Peek() != '[' {
		return false
	}
	s.i++
	if s.Peek() == ']' {
		s.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch s.Peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// Raw reads a string without escapes or control characters and returns
// its bytes between the quotes, which alias B.
func (s *Scanner) Raw() ([]byte, bool) {
	if s.Peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.B); j++ {
		switch c := s.B[j]; {
		case c == '"':
			s.i = j + 1
			return s.B[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// String reads a string as encoding/json does: escapes decoded, an
// unpaired surrogate escape and invalid UTF-8 each read as U+FFFD.
func (s *Scanner) String() (string, bool) {
	if s.Peek() != '"' {
		return "", false
	}
	start := s.i + 1
	// The common case: nothing to decode.
	for j := start; j < len(s.B); j++ {
		c := s.B[j]
		if c == '"' {
			if !s.UTF8 && !utf8.Valid(s.B[start:j]) {
				break
			}
			s.i = j + 1
			return string(s.B[start:j]), true
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	b, ok := s.unquote(start)
	return string(b), ok
}

// SkipString reads a string and drops it.
func (s *Scanner) SkipString() bool {
	if s.Peek() != '"' {
		return false
	}
	for j := s.i + 1; j < len(s.B); j++ {
		switch c := s.B[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(s.B) {
				return false
			}
			switch s.B[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if hex4(s.B[j+2:]) < 0 {
					return false
				}
				j += 5
			default:
				return false
			}
		}
	}
	return false
}

// unquote decodes the string whose contents start at B[start].
func (s *Scanner) unquote(start int) ([]byte, bool) {
	out := make([]byte, 0, 64)
	for j := start; j < len(s.B); {
		c := s.B[j]
		switch {
		case c == '"':
			s.i = j + 1
			return out, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if j+1 >= len(s.B) {
				return nil, false
			}
			switch e := s.B[j+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(s.B[j+2:])
				if r < 0 {
					return nil, false
				}
				j += 6
				if utf16.IsSurrogate(r) {
					// A pair is two escapes; anything else is U+FFFD,
					// and what follows is read on its own.
					if len(s.B)-j >= 6 && s.B[j] == '\\' && s.B[j+1] == 'u' {
						if r2 := hex4(s.B[j+2:]); r2 >= 0 {
							if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
								out = utf8.AppendRune(out, d)
								j += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return nil, false
			}
			j += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			j++
		default:
			r, size := utf8.DecodeRune(s.B[j:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, s.B[j:j+size]...)
			}
			j += size
		}
	}
	return nil, false
}

// hex4 reads four hex digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Bool reads true or false.
func (s *Scanner) Bool() (bool, bool) {
	s.space()
	rest := s.B[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}

// Null reads null.
func (s *Scanner) Null() bool {
	s.space()
	if len(s.B)-s.i >= 4 && string(s.B[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// number reads a JSON number, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?,
// and reports whether it is an integer (no fraction or exponent).
func (s *Scanner) number() (b []byte, integer, ok bool) {
	s.space()
	start, j := s.i, s.i
	digits := func() int {
		k := j
		for j < len(s.B) && '0' <= s.B[j] && s.B[j] <= '9' {
			j++
		}
		return j - k
	}
	if j < len(s.B) && s.B[j] == '-' {
		j++
	}
	switch {
	case j < len(s.B) && s.B[j] == '0':
		j++
	case digits() == 0:
		return nil, false, false
	}
	integer = true
	if j < len(s.B) && s.B[j] == '.' {
		j++
		if digits() == 0 {
			return nil, false, false
		}
		integer = false
	}
	if j < len(s.B) && (s.B[j] == 'e' || s.B[j] == 'E') {
		j++
		if j < len(s.B) && (s.B[j] == '+' || s.B[j] == '-') {
			j++
		}
		if digits() == 0 {
			return nil, false, false
		}
		integer = false
	}
	s.i = j
	return s.B[start:j], integer, true
}

// Int reads an integer that fits bits bits, as encoding/json reads one
// into an integer field (a fraction or an exponent is not read).
func (s *Scanner) Int(bits int) (int64, bool) {
	b, integer, ok := s.number()
	if !ok || !integer {
		return 0, false
	}
	n, err := strconv.ParseInt(unsafeString(b), 10, bits)
	return n, err == nil
}

// Float reads a number into a float64, as encoding/json does.
func (s *Scanner) Float() (float64, bool) {
	b, _, ok := s.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafeString(b), 64)
	return f, err == nil
}

// unsafeString is b as a string without a copy, for strconv's parsers:
// the string is not kept (their errors, which would keep it, are
// dropped) and b is not changed while it is read.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
