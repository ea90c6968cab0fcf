// Package fasthdr turns a fasthttp header list into an http.Header with
// a few allocations for the whole list instead of three per field: the
// server's request headers and the upstream client's response headers,
// on every request.
//
// The names and values are copied into one string that the header's
// strings share, the values' slices share one array, and the names in
// common use are constants. A name is canonical as
// textproto.CanonicalMIMEHeaderKey makes it. Fields collects the list in
// place, so that the caller's loop over fasthttp's iterator needs no
// closure on the heap.
package fasthdr

import (
	"net/http"
	"net/textproto"
	"strings"
)

// maxFields is how many fields a Fields holds in place; more (rare:
// fasthttp's 16 KiB header buffer fits a few hundred) go to a slice.
const maxFields = 48

// Fields collects a fasthttp header's fields, as its All yields them, for
// Header. It lives on the caller's stack:
//
//	var f fasthdr.Fields
//	for k, v := range fc.Request.Header.All() {
//		f.Add(k, v)
//	}
//	r.Header = f.Header("Host")
//
// The bytes added must stay unchanged until Header returns.
type Fields struct {
	list [maxFields]field
	n    int
	more []field
}

type field struct {
	name string // the canonical name when common, else ""
	k, v []byte
}

// Add appends one field.
func (f *Fields) Add(k, v []byte) {
	fl := field{name: Common(k), k: k, v: v}
	if f.n < maxFields {
		f.list[f.n] = fl
		f.n++
		return
	}
	f.more = append(f.more, fl)
}

// Header returns the fields as an http.Header, without the names in drop
// (canonical). Its names and values share one string, and its values'
// slices one array.
func (f *Fields) Header(drop ...string) http.Header {
	fields := f.list[:f.n]
	if len(f.more) > 0 {
		fields = append(fields[:len(fields):len(fields)], f.more...)
	}
	size := 0
	for i := range fields {
		if fields[i].name == "" {
			size += len(fields[i].k)
		}
		size += len(fields[i].v)
	}
	var b strings.Builder
	b.Grow(size)
	for i := range fields {
		if fields[i].name == "" {
			b.Write(fields[i].k)
		}
		b.Write(fields[i].v)
	}
	s := b.String()
	values := make([]string, len(fields))
	h := make(http.Header, len(fields))
	at := 0
	for i := range fields {
		fl := &fields[i]
		name := fl.name
		if name == "" {
			name = textproto.CanonicalMIMEHeaderKey(s[at : at+len(fl.k)])
			at += len(fl.k)
		}
		values[i] = s[at : at+len(fl.v)]
		at += len(fl.v)
		if prev, ok := h[name]; ok {
			h[name] = append(prev, values[i])
		} else {
			h[name] = values[i : i+1 : i+1]
		}
	}
	for _, d := range drop {
		delete(h, d)
	}
	return h
}

// Common returns the canonical form of the header name k when it is one
// of the names in common use on Outcrop's two sides (an OpenAI SDK's
// request, an OpenAI or Bedrock answer), and "" otherwise. It matches
// ASCII letters case-insensitively and allocates nothing.
func Common(k []byte) string {
	var buf [40]byte
	if len(k) > len(buf) {
		return ""
	}
	for i, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(k)]) {
	case "accept":
		return "Accept"
	case "accept-encoding":
		return "Accept-Encoding"
	case "accept-language":
		return "Accept-Language"
	case "api-key":
		return "Api-Key"
	case "authorization":
		return "Authorization"
	case "cache-control":
		return "Cache-Control"
	case "connection":
		return "Connection"
	case "content-encoding":
		return "Content-Encoding"
	case "content-length":
		return "Content-Length"
	case "content-type":
		return "Content-Type"
	case "date":
		return "Date"
	case "host":
		return "Host"
	case "idempotency-key":
		return "Idempotency-Key"
	case "keep-alive":
		return "Keep-Alive"
	case "openai-organization":
		return "Openai-Organization"
	case "openai-processing-ms":
		return "Openai-Processing-Ms"
	case "openai-project":
		return "Openai-Project"
	case "openai-version":
		return "Openai-Version"
	case "origin":
		return "Origin"
	case "retry-after":
		return "Retry-After"
	case "server":
		return "Server"
	case "transfer-encoding":
		return "Transfer-Encoding"
	case "user-agent":
		return "User-Agent"
	case "x-amzn-bedrock-content-type":
		return "X-Amzn-Bedrock-Content-Type"
	case "x-amzn-bedrock-input-token-count":
		return "X-Amzn-Bedrock-Input-Token-Count"
	case "x-amzn-bedrock-invocation-latency":
		return "X-Amzn-Bedrock-Invocation-Latency"
	case "x-amzn-bedrock-output-token-count":
		return "X-Amzn-Bedrock-Output-Token-Count"
	case "x-amzn-errortype":
		return "X-Amzn-Errortype"
	case "x-amzn-requestid":
		return "X-Amzn-Requestid"
	case "x-api-key":
		return "X-Api-Key"
	case "x-forwarded-for":
		return "X-Forwarded-For"
	case "x-ratelimit-limit-requests":
		return "X-Ratelimit-Limit-Requests"
	case "x-ratelimit-limit-tokens":
		return "X-Ratelimit-Limit-Tokens"
	case "x-ratelimit-remaining-requests":
		return "X-Ratelimit-Remaining-Requests"
	case "x-ratelimit-remaining-tokens":
		return "X-Ratelimit-Remaining-Tokens"
	case "x-ratelimit-reset-requests":
		return "X-Ratelimit-Reset-Requests"
	case "x-ratelimit-reset-tokens":
		return "X-Ratelimit-Reset-Tokens"
	case "x-request-id":
		return "X-Request-Id"
	case "x-stainless-arch":
		return "X-Stainless-Arch"
	case "x-stainless-lang":
		return "X-Stainless-Lang"
	case "x-stainless-os":
		return "X-Stainless-Os"
	case "x-stainless-package-version":
		return "X-Stainless-Package-Version"
	case "x-stainless-retry-count":
		return "X-Stainless-Retry-Count"
	case "x-stainless-runtime":
		return "X-Stainless-Runtime"
	case "x-stainless-runtime-version":
		return "X-Stainless-Runtime-Version"
	case "x-stainless-timeout":
		return "X-Stainless-Timeout"
	}
	return ""
}
