package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/outcrop/outcrop/internal/jsonx"
)

var (
	contentType        = reflect.TypeFor[Content]()
	stopType           = reflect.TypeFor[Stop]()
	toolChoiceType     = reflect.TypeFor[ToolChoice]()
	promptType         = reflect.TypeFor[Prompt]()
	embeddingInputType = reflect.TypeFor[EmbeddingInput]()
)

// jsonKind names the JSON kind of a value for error messages.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// decode unmarshals a request body into v, turning every failure into a 400
// that names the offending field. The body must be valid UTF-8 and one JSON
// object.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf("", "We could not parse the JSON body of your request: the body is empty. (HINT: send a JSON object with Content-Type: application/json.)")
	}
	if !utf8.Valid(body) {
		return Errorf("", "We could not parse the JSON body of your request: it is not valid UTF-8.")
	}
	if t := bytes.TrimSpace(body); t[0] != '{' {
		return Errorf("", "We could not parse the JSON body of your request: expected a JSON object, got %s.", jsonKind(t))
	}
	if fd, ok := v.(fastDecoder); ok {
		if fd.decodeFast(body) {
			return nil
		}
		fd.reset()
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return checkDuplicateKeys(body)
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return Errorf("", "We could not parse the JSON body of your request: %s at byte %d. (HINT: the body must be valid JSON.)", se.Error(), se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return Errorf("", "Invalid type in request body: expected %s, got %s.", typeName(te.Type), te.Value)
		}
		return Errorf(field, "Invalid type for '%s': expected %s, but got %s.", field, typeName(te.Type), te.Value)
	}
	return Errorf("", "Invalid request body: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

// fastDecoder is a request with a decoder of its own for the usual
// bodies (decodeFast), which reset undoes when it gave up midway.
type fastDecoder interface {
	decodeFast(body []byte) bool
	reset()
}

// typeName describes a Go type in the API's terms.
func typeName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t {
	case contentType:
		return "a string, an array of content parts or null"
	case stopType:
		return "a string or an array of strings"
	case toolChoiceType:
		return "a string or an object"
	case promptType, embeddingInputType:
		return "a string, an array of strings, or an array of tokens"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return fmt.Sprintf("a %s", t.Kind())
}

// request is what the Decode functions need of a request type.
type request[T any] interface {
	*T
	Validate() error
	setRaw(body []byte)
}

func (r *ChatCompletionRequest) setRaw(b []byte) { r.Raw = b }
func (r *CompletionRequest) setRaw(b []byte)     { r.Raw = b }
func (r *EmbeddingRequest) setRaw(b []byte)      { r.Raw = b }

// decodeRequest parses and validates a request body into a new T, which
// keeps body as Raw. Errors are *Error with status 400.
func decodeRequest[T any, P request[T]](body []byte) (P, error) {
	req := P(new(T))
	if err := decode(body, req); err != nil {
		return nil, err
	}
	req.setRaw(body)
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeChatCompletionRequest parses and validates a chat completion body.
// The returned request keeps body as Raw. Errors are *Error with status 400.
func DecodeChatCompletionRequest(body []byte) (*ChatCompletionRequest, error) {
	return decodeRequest[ChatCompletionRequest](body)
}

// DecodeCompletionRequest parses and validates a legacy completion body.
func DecodeCompletionRequest(body []byte) (*CompletionRequest, error) {
	return decodeRequest[CompletionRequest](body)
}

// DecodeEmbeddingRequest parses and validates an embeddings body.
func DecodeEmbeddingRequest(body []byte) (*EmbeddingRequest, error) {
	return decodeRequest[EmbeddingRequest](body)
}

// checkDuplicateKeys rejects a body with a top-level key given twice.
// encoding/json keeps the last value while the relay path splices the
// first, so `{"model":"a","model":"b"}` could otherwise route by one model
// and reach the upstream with the other. A key written with escapes
// (`"mod\u0065l"`) is compared unescaped, as encoding/json reads it.
//
// The keys are compared as slices of body: the first 32 in a list, the
// rest in a map, so that a usual body costs no allocation.
func checkDuplicateKeys(body []byte) error {
	var small [32][]byte
	keys := small[:0]
	var seen map[string]struct{}
	var dup []byte
	err := jsonx.Members(body, func(m jsonx.Member) bool {
		k := m.Key
		if bytes.IndexByte(k, '\\') >= 0 {
			var s string
			if json.Unmarshal(body[m.Start:m.Start+len(k)+2], &s) == nil {
				k = []byte(s)
			}
		}
		if seen == nil && len(keys) < len(small) {
			for _, prev := range keys {
				if bytes.Equal(prev, k) {
					dup = k
					return false
				}
			}
			keys = append(keys, k)
			return true
		}
		if seen == nil {
			seen = make(map[string]struct{}, 2*len(keys))
			for _, prev := range keys {
				seen[string(prev)] = struct{}{}
			}
		}
		if _, ok := seen[string(k)]; ok {
			dup = k
			return false
		}
		seen[string(k)] = struct{}{}
		return true
	})
	if err != nil {
		return Errorf("", "We could not parse the JSON body of your request.")
	}
	if dup != nil {
		return Errorf(string(dup), "Duplicate key '%s' in the request body.", dup)
	}
	return nil
}
