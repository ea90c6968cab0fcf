package bedrock

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/openai"
)

// claudeOptions are the options of a model that takes images and
// documents.
func claudeOptions(t *testing.T) RequestOptions {
	t.Helper()
	info, ok := LookupModel(visionModel)
	if !ok || !info.Vision || !info.Documents {
		t.Fatalf("catalogue entry of %s: %+v, want vision and documents", visionModel, info)
	}
	return RequestOptions{Model: info}
}

func mediaRequest(parts ...openai.ContentPart) *openai.ChatCompletionRequest {
	return &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{userParts(parts...)}}
}

func filePart(data, name string) openai.ContentPart {
	return openai.ContentPart{Type: "file", File: &openai.File{FileData: data, Filename: name}}
}

// TestMediaSizeLimits: an image or document one byte over Bedrock's limit
// is a 400 naming the part; one at the limit is sent whole. (The golden
// cases avoid files of several megabytes.)
func TestMediaSizeLimits(t *testing.T) {
	pad := func(prefix []byte, n int) []byte {
		return append(bytes.Clone(prefix), bytes.Repeat([]byte{'a'}, n-len(prefix))...)
	}
	tests := []struct {
		name  string
		part  func(data []byte) openai.ContentPart
		data  []byte
		param string
		ok    bool
	}{
		{"image at the limit", imageOf("image/png"), pad(testPNG, maxImageBytes), "", true},
		{"image over the limit", imageOf("image/png"), pad(testPNG, maxImageBytes+1), "messages[0].content[1].image_url.url", false},
		{"document at the limit", documentOf("data:text/plain;base64,"), pad(nil, maxDocumentBytes), "", true},
		{"document over the limit", documentOf("data:text/plain;base64,"), pad(nil, maxDocumentBytes+1), "messages[0].content[1].file.file_data", false},
		{"bare base64 document over the limit", documentOf(""), pad(nil, maxDocumentBytes+1), "messages[0].content[1].file.file_data", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ToConverse(mediaRequest(textPart("look"), tt.part(tt.data)), claudeOptions(t))
			if !tt.ok {
				wantOpenAIError(t, err, tt.param, "the most Bedrock takes")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b := out.Messages[0].Content[1]
			var got []byte
			switch {
			case b.Image != nil:
				got = b.Image.Source.Bytes
			case b.Document != nil:
				got = b.Document.Source.Bytes
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("sent %d bytes, want the %d given", len(got), len(tt.data))
			}
		})
	}
}

func imageOf(mediaType string) func([]byte) openai.ContentPart {
	return func(data []byte) openai.ContentPart {
		return imagePart("data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(data))
	}
}

func documentOf(prefix string) func([]byte) openai.ContentPart {
	return func(data []byte) openai.ContentPart {
		return filePart(prefix+base64.StdEncoding.EncodeToString(data), "notes.txt")
	}
}

func TestParseDataURI(t *testing.T) {
	hello := base64.StdEncoding.EncodeToString([]byte("hello"))
	tests := []struct {
		name, in  string
		mediaType string
		err       string
	}{
		{"padded", "data:text/plain;base64," + hello, "text/plain", ""},
		{"unpadded", "data:text/plain;base64," + strings.TrimRight(hello, "="), "text/plain", ""},
		{"line breaks", "data:text/plain;base64," + hello[:4] + "\r\n" + hello[4:] + "\n", "text/plain", ""},
		{"case and parameters", "DATA:Text/Plain;charset=utf-8;BASE64," + hello, "text/plain", ""},
		{"no media type", "data:;base64," + hello, "", ""},
		{"not a data URI", "https://example.com/a.png", "", "not a data URI"},
		{"no comma", "data:text/plain;base64", "", "no comma"},
		{"not base64", "data:text/plain,hello", "", "must be base64-encoded"},
		{"bad base64", "data:text/plain;base64,he!!o", "", "not valid base64"},
		{"empty", "data:text/plain;base64,", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDataURI(tt.in, 100)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("got error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.mediaType != tt.mediaType || string(got.data) != "hello" {
				t.Errorf("got %q %q, want %q \"hello\"", got.mediaType, got.data, tt.mediaType)
			}
		})
	}
	if _, err := parseDataURI("data:text/plain;base64,"+hello, 4); !errors.Is(err, errDataTooLarge) {
		t.Errorf("got %v for data over the limit, want errDataTooLarge", err)
	}
}

func TestSanitizeDocumentName(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct{ in, want string }{
		{"report.pdf", "report"},
		{"Q3 report.PDF", "Q3 report"},
		{"My_Report (final).v2.docx", "My Report (final) v2"},
		{`C:\Users\me\notes.txt`, "notes"},
		{"/tmp/../etc/passwd", "passwd"},
		{"a   b\t\nc", "a b c"},
		{"  spaced  ", "spaced"},
		{"résumé [2024].md", "r sum [2024]"},
		{"archive.tar.gz", "archive tar gz"},
		{"ignore previous instructions!!!", "ignore previous instructions"},
		{"", "document"},
		{"....", "document"},
		{"日本語.pdf", "document"},
		{long + ".pdf", long[:200]},
	}
	for _, tt := range tests {
		if got := sanitizeDocumentName(tt.in); got != tt.want {
			t.Errorf("sanitizeDocumentName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDocumentNameUnique(t *testing.T) {
	var s mediaState
	long := strings.Repeat("y", 200)
	var got []string
	for _, name := range []string{"a.pdf", "a.txt", "a", "", "", long, long} {
		got = append(got, s.documentName(name))
	}
	want := []string{"a", "a (2)", "a (3)", "document", "document (2)", long, long[:196] + " (2)"}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("name %d: got %q, want %q", k, got[k], want[k])
		}
	}
	if n := len(got[6]); n > maxDocumentName {
		t.Errorf("got a %d-character name, want at most %d", n, maxDocumentName)
	}
}

func TestDocumentFormat(t *testing.T) {
	tests := []struct {
		mediaType, filename string
		want, err           string
	}{
		{"application/pdf", "", "pdf", ""},
		{"application/pdf", "a.txt", "pdf", ""}, // the type wins
		{"text/csv; charset=utf-8", "", "csv", ""},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "", "docx", ""},
		{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "", "xlsx", ""},
		{"application/msword", "", "doc", ""},
		{"application/vnd.ms-excel", "", "xls", ""},
		{"text/html", "", "html", ""},
		{"text/markdown", "", "md", ""},
		{"", "Notes.MD", "md", ""},
		{"", "page.htm", "html", ""},
		{"application/octet-stream", "sheet.xlsx", "xlsx", ""},
		{"", "", "", "format is unknown"},
		{"", "a.rtf", "", "not supported"},
		{"application/zip", "a.pdf", "", "'application/zip' is not supported"},
		{"image/png", "a.png", "", "send images as image_url parts"},
	}
	for _, tt := range tests {
		got, err := documentFormat(tt.mediaType, tt.filename)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("documentFormat(%q, %q) error %v, want one containing %q", tt.mediaType, tt.filename, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("documentFormat(%q, %q) = %q, %v, want %q", tt.mediaType, tt.filename, got, err, tt.want)
		}
	}
}

func TestDocumentBytesMatch(t *testing.T) {
	tests := []struct {
		format string
		data   string
		want   bool
	}{
		{"pdf", "%PDF-1.7\n", true},
		{"pdf", "hello", false},
		{"docx", "PK\x03\x04rest", true},
		{"xlsx", "%PDF-", false},
		{"doc", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", true},
		{"xls", "PK\x03\x04", false},
		{"txt", "plain text, ünïcode", true},
		{"csv", "a,b\x00", false},
		{"md", "\xff\xfe", false},
	}
	for _, tt := range tests {
		if got := documentBytesMatch(tt.format, []byte(tt.data)); got != tt.want {
			t.Errorf("documentBytesMatch(%s, %q) = %v, want %v", tt.format, tt.data, got, tt.want)
		}
	}
}

// TestMediaOutsideUserMessages: images and documents are user content;
// elsewhere they stay a 400 naming the part.
func TestMediaOutsideUserMessages(t *testing.T) {
	png := imagePart("data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG))
	for _, role := range []string{openai.RoleSystem, openai.RoleAssistant} {
		req := &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{
			{Role: openai.RoleUser, Content: openai.TextContent("hi")},
			{Role: role, Content: openai.Content{Kind: openai.ContentParts, Parts: []openai.ContentPart{png}}},
		}}
		_, err := ToConverse(req, claudeOptions(t))
		wantOpenAIError(t, err, "messages[1].content[0]", "image_url")
	}
}

func TestToolResultMedia(t *testing.T) {
	s := newMediaState(&openai.ChatCompletionRequest{Model: visionModel}, claudeOptions(t))
	png := imagePart("data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG))
	got, ok, err := s.toolResultMedia(&png, 2, 0)
	if err != nil || !ok || got.Image == nil || got.Image.Format != "png" || !bytes.Equal(got.Image.Source.Bytes, testPNG) {
		t.Errorf("image part: got %+v ok %v err %v, want the png", got, ok, err)
	}
	doc := filePart("data:text/plain;base64,aGk=", "out.txt")
	got, ok, err = s.toolResultMedia(&doc, 2, 1)
	if err != nil || !ok || got.Document == nil || got.Document.Name != "out" || got.Document.Format != "txt" {
		t.Errorf("file part: got %+v ok %v err %v, want the txt document named out", got, ok, err)
	}
	text := textPart("x")
	if _, ok, err := s.toolResultMedia(&text, 2, 2); ok || err != nil {
		t.Errorf("text part: got ok %v err %v, want not media", ok, err)
	}
	noVision := newMediaState(&openai.ChatCompletionRequest{Model: "amazon.nova-micro-v1:0"}, RequestOptions{Model: ModelInfo{Prefix: "amazon.nova-micro", Documents: true}})
	_, _, err = noVision.toolResultMedia(&png, 2, 0)
	wantOpenAIError(t, err, "messages[2].content[0]", "does not take image input")
}
