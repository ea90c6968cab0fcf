package contextsrc

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestAttrText(t *testing.T) {
	tests := []struct {
		name  string
		av    types.AttributeValue
		want  string
		found bool
	}{
		{"string as is", str(`say "hi" <b>`), `say "hi" <b>`, true},
		{"number as its text", &types.AttributeValueMemberN{Value: "12345678901234567890123456789012345678"}, "12345678901234567890123456789012345678", true},
		{"UTF-8 binary as text", &types.AttributeValueMemberB{Value: []byte("plain text")}, "plain text", true},
		{"NULL is no context", &types.AttributeValueMemberNULL{Value: true}, "", false},
		{"bool", &types.AttributeValueMemberBOOL{Value: true}, "true", true},
		{
			"map as a JSON object with sorted keys and no HTML escapes",
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"z":    str("<last>"),
				"a":    &types.AttributeValueMemberN{Value: "1.50"},
				"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ok": &types.AttributeValueMemberBOOL{Value: false}}},
				"none": &types.AttributeValueMemberNULL{Value: true},
			}},
			`{"a":1.50,"m":{"ok":false},"none":null,"z":"<last>"}`, true,
		},
		{
			"list",
			&types.AttributeValueMemberL{Value: []types.AttributeValue{str("a"), &types.AttributeValueMemberN{Value: "2"}, &types.AttributeValueMemberB{Value: []byte{0xff}}}},
			`["a",2,"/w=="]`, true,
		},
		{"string set", &types.AttributeValueMemberSS{Value: []string{"x", "y"}}, `["x","y"]`, true},
		{"number set", &types.AttributeValueMemberNS{Value: []string{"1", "-2.5"}}, `[1,-2.5]`, true},
		{"binary set", &types.AttributeValueMemberBS{Value: [][]byte{{1, 2}}}, `["AQI="]`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := attrText(tt.av)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || found != tt.found {
				t.Fatalf("got %q, %v; want %q, %v", got, found, tt.want, tt.found)
			}
		})
	}
}

func TestAttrTextBinaryNotText(t *testing.T) {
	_, _, err := attrText(&types.AttributeValueMemberB{Value: []byte{0x1f, 0x8b, 0xff}})
	if !errors.Is(err, errNotText) {
		t.Fatalf("got %v, want errNotText", err)
	}
}
