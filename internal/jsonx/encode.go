package jsonx

import (
	"math"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string exactly as encoding/json does:
// HTML's <, > and & escaped, \b \f \n \r \t short, other control
// characters and U+2028/U+2029 as \u escapes, and invalid UTF-8 as
// \ufffd.
func AppendString(b []byte, s string) []byte { return appendString(b, s, &htmlSafe, true) }

// AppendLogString appends s as log/slog's JSON handler writes a string:
// as encoding/json does, but with <, > and & as they are, and with only
// \n, \r and \t short (\b and \f are \u escapes).
func AppendLogString(b []byte, s string) []byte { return appendString(b, s, &logSafe, false) }

// htmlSafe and logSafe hold the ASCII bytes each encoding writes as
// they are.
var htmlSafe, logSafe = func() (html, log [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		log[c] = c >= 0x20 && c != '"' && c != '\\'
		html[c] = log[c] && c != '<' && c != '>' && c != '&'
	}
	return html, log
}()

// appendString is the string encoder of both: safe says which ASCII
// bytes go out as they are, and shortBF whether \b and \f are short.
func appendString(b []byte, s string, safe *[utf8.RuneSelf]bool, shortBF bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case shortBF && c == '\b':
				b = append(b, '\\', 'b')
			case shortBF && c == '\f':
				b = append(b, '\\', 'f')
			default: // other control characters, and <, > and & for HTML
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendFloat appends f as encoding/json writes a float64: the shortest
// decimal that reads back as f, in exponent form below 1e-6 and from
// 1e21 on (with a one-digit negative exponent shortened, e-7 not
// e-07). It reports false (b unchanged) for NaN and the infinities,
// which JSON cannot hold.
func AppendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}
