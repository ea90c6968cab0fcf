package contextsrc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// errNotText is returned for a binary context attribute that is not UTF-8
// text: a prompt cannot use it, and base64 of it would only waste tokens.
var errNotText = errors.New("binary context attribute is not UTF-8 text")

// attrText turns the context attribute into the text handed to the model.
//
//   - S is returned as is, and so is N (a number is already its text).
//   - B is returned as is when it is UTF-8 text (some writers store text
//     as binary) and refused otherwise.
//   - NULL means there is no context: found is false.
//   - BOOL, M, L, SS, NS and BS are written as plain JSON (attrJSON), the
//     form a model reads best: {"plan":"pro","seats":3}, not DynamoDB's
//     {"M":{"plan":{"S":"pro"},...}}.
func attrText(av types.AttributeValue) (text string, found bool, err error) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, true, nil
	case *types.AttributeValueMemberN:
		return v.Value, true, nil
	case *types.AttributeValueMemberB:
		if !utf8.Valid(v.Value) {
			return "", false, errNotText
		}
		return string(v.Value), true, nil
	case *types.AttributeValueMemberNULL:
		return "", false, nil
	}
	plain, err := attrJSON(av)
	if err != nil {
		return "", false, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// The text goes into a prompt, not into HTML: "<" stays "<".
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plain); err != nil {
		return "", false, fmt.Errorf("encode context attribute as JSON: %w", err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), true, nil
}

// attrJSON converts an attribute value into the value encoding/json
// writes as its plain form: maps become objects (keys sorted, so the text
// and a Redis copy of it are stable), lists and sets arrays, numbers
// json.Number (keeping DynamoDB's 38 digits, which float64 would round),
// binary base64 strings (encoding/json's form of []byte).
func attrJSON(av types.AttributeValue) (any, error) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, nil
	case *types.AttributeValueMemberN:
		return json.Number(v.Value), nil
	case *types.AttributeValueMemberB:
		return v.Value, nil
	case *types.AttributeValueMemberBOOL:
		return v.Value, nil
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberSS:
		return v.Value, nil
	case *types.AttributeValueMemberNS:
		ns := make([]json.Number, len(v.Value))
		for i, n := range v.Value {
			ns[i] = json.Number(n)
		}
		return ns, nil
	case *types.AttributeValueMemberBS:
		return v.Value, nil
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			x, err := attrJSON(e)
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		return l, nil
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(v.Value))
		for k, e := range v.Value {
			x, err := attrJSON(e)
			if err != nil {
				return nil, err
			}
			m[k] = x
		}
		return m, nil
	}
	// A union member added to the SDK after this was written.
	return nil, fmt.Errorf("unsupported DynamoDB attribute type %T", av)
}
