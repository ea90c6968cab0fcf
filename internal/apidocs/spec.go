package apidocs

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// specYAML is the OpenAPI document as authored. YAML keeps the long
// descriptions readable; clients get JSON.
//
//go:embed openapi.yaml
var specYAML []byte

// Spec returns the OpenAPI document as indented JSON, with members in the
// order they are written in openapi.yaml. Each call returns a new slice.
//
// The document is embedded at build time and its tests parse it, so a
// conversion failure is a programming error and panics.
func Spec() []byte {
	b, err := yamlToJSON(specYAML)
	if err != nil {
		panic(fmt.Sprintf("apidocs: embedded openapi.yaml: %v", err))
	}
	return b
}

// yamlToJSON converts one YAML document to JSON. It walks the node tree
// instead of decoding into maps so that key order survives: documentation
// renderers list paths and schemas in document order.
func yamlToJSON(src []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse yaml: want exactly one document")
	}
	if len(doc.Content) != 1 {
		return nil, fmt.Errorf("parse yaml: empty document")
	}
	var buf bytes.Buffer
	if err := writeNode(&buf, doc.Content[0]); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("indent json: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func writeNode(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		return writeMapping(buf, n)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeNode(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return writeScalar(buf, n)
	case yaml.AliasNode:
		return writeNode(buf, n.Alias)
	}
	return fmt.Errorf("line %d: unsupported yaml node kind %d", n.Line, n.Kind)
}

func writeMapping(buf *bytes.Buffer, n *yaml.Node) error {
	seen := make(map[string]bool, len(n.Content)/2)
	buf.WriteByte('{')
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		// JSON has no merge keys and no non-string keys; a duplicate key
		// would silently drop one of the values in most JSON parsers.
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return fmt.Errorf("line %d: mapping keys must be plain strings", k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		seen[k.Value] = true
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(k.Value)
		buf.Write(key)
		buf.WriteByte(':')
		if err := writeNode(buf, v); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!str":
		b, err := json.Marshal(n.Value)
		if err != nil {
			return err
		}
		buf.Write(b)
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		buf.WriteString(strconv.FormatBool(v))
	case "!!int", "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("line %d: %s has no JSON form", n.Line, n.Value)
		}
		buf.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	default:
		return fmt.Errorf("line %d: unsupported yaml tag %s", n.Line, n.ShortTag())
	}
	return nil
}
