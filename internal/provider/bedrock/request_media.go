package bedrock

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/outcrop/outcrop/internal/openai"
)

// Converse's limits on images and documents, from the Bedrock Runtime
// service model (Message.content): per message, up to 20 images of at most
// 3.75 MB each and up to five documents of at most 4.5 MB each; a message
// with a document needs a text block too; both only in user messages.
// "MB" is read as MiB, so that nothing Bedrock takes is refused here.
const (
	maxImageBytes          = 3_932_160
	maxImagesPerMessage    = 20
	maxDocumentBytes       = 4_718_592
	maxDocumentsPerMessage = 5
	// maxDocumentName is DocumentBlockNameString's max length.
	maxDocumentName = 200
	// defaultDocumentName names a document sent without a filename.
	defaultDocumentName = "document"
)

// imageFormats maps the media types of Bedrock's image formats (the
// ImageFormat enum) to the format. image/jpg is not registered but common.
var imageFormats = map[string]string{
	"image/png":  "png",
	"image/jpeg": "jpeg",
	"image/jpg":  "jpeg",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// documentFormats maps media types to Bedrock's document formats (the
// DocumentFormat enum); documentExtensions maps file extensions.
var (
	documentFormats = map[string]string{
		"application/pdf":    "pdf",
		"text/csv":           "csv",
		"application/msword": "doc",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
		"application/vnd.ms-excel": "xls",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
		"text/html":       "html",
		"text/plain":      "txt",
		"text/markdown":   "md",
		"text/x-markdown": "md",
	}
	documentExtensions = map[string]string{
		".pdf": "pdf", ".csv": "csv", ".doc": "doc", ".docx": "docx", ".xls": "xls", ".xlsx": "xlsx",
		".html": "html", ".htm": "html", ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
	}
)

// documentFormatList is the supported formats, for error messages.
const documentFormatList = "pdf, csv, doc, docx, xls, xlsx, html, txt and md"

// mediaState is what translating images and documents needs across a
// request: the model's capabilities, and the document names taken.
type mediaState struct {
	// model is the model name the client sent, for error messages.
	model string
	info  ModelInfo
	// known is false for a model the catalogue does not know: its
	// capabilities are unknown, so images and documents are sent and
	// Bedrock decides.
	known bool
	names map[string]bool
	// docs holds the parameter path of each document block, in order,
	// for the check that follows the conversion (checkTurns).
	docs []string
}

func newMediaState(req *openai.ChatCompletionRequest, opts RequestOptions) *mediaState {
	model := req.ClientModel
	if model == "" {
		model = req.Model
	}
	return &mediaState{model: model, info: opts.Model, known: opts.Model.Prefix != ""}
}

// addUser maps a user message: its texts, images (image_url parts with a
// data URI; remote URLs were fetched before translation, see
// media_fetch.go) and documents (file parts), in order. Audio and other
// parts are a 400 naming the part.
func (c *conversation) addUser(m *openai.Message, i int) error {
	if c.media == nil {
		// No options: an unknown model, whose media Bedrock judges.
		c.media = &mediaState{}
	}
	if m.Content.Kind != openai.ContentParts {
		return eachText(&m.Content, i, m.Role, func(s *string) {
			c.push(RoleUser, i, ContentBlock{Text: s})
		})
	}
	for j := range m.Content.Parts {
		p := &m.Content.Parts[j]
		var b ContentBlock
		var err error
		switch p.Type {
		case "text":
			if p.Text == "" {
				continue
			}
			b.Text = &p.Text
		case "image_url":
			b.Image, err = c.media.image(p, i, j)
		case "file":
			b.Document, err = c.media.document(p, i, j)
		default:
			return partError(i, j, m.Role, p.Type)
		}
		if err != nil {
			return err
		}
		if b.Document != nil {
			c.media.docs = append(c.media.docs, partParam(i, j))
		}
		c.push(RoleUser, i, b)
		if err := checkMessageLimits(&c.messages[len(c.messages)-1], b, i, j); err != nil {
			return err
		}
	}
	return nil
}

// checkMessageLimits checks the Bedrock turn that just received b against
// the per-message limits. The turn may hold several OpenAI messages, since
// consecutive user messages are merged.
func checkMessageLimits(turn *Message, b ContentBlock, i, j int) error {
	if b.Image == nil && b.Document == nil {
		return nil
	}
	images, docs := 0, 0
	for _, cb := range turn.Content {
		if cb.Image != nil {
			images++
		}
		if cb.Document != nil {
			docs++
		}
	}
	param := partParam(i, j)
	if images > maxImagesPerMessage {
		return openai.Errorf(param, "Invalid '%s': Bedrock takes at most %d images per user message (consecutive user messages count as one).", param, maxImagesPerMessage)
	}
	if docs > maxDocumentsPerMessage {
		return openai.Errorf(param, "Invalid '%s': Bedrock takes at most %d documents per user message (consecutive user messages count as one).", param, maxDocumentsPerMessage)
	}
	return nil
}

// checkTurns runs once the conversation is complete: Bedrock refuses a
// message with a document but no text, and only the finished turn (after
// merging) tells.
func (s *mediaState) checkTurns(turns []Message) error {
	if s == nil {
		return nil
	}
	next := 0
	for _, t := range turns {
		first, hasText := "", false
		for _, b := range t.Content {
			switch {
			case b.Text != nil:
				hasText = true
			case b.Document != nil:
				if first == "" && next < len(s.docs) {
					first = s.docs[next]
				}
				next++
			}
		}
		if first != "" && !hasText {
			return openai.Errorf(first, "Invalid '%s': Bedrock needs a text part in a message that sends a document; add the question or instruction as a text part.", first)
		}
	}
	return nil
}

// toolResultMedia maps an image_url or file part (part j of tool message
// i) to tool result content; ok is false for any other part. Bedrock's
// toolResult takes images (Claude 3 and later, Nova) and documents. It is
// for addToolResult, which walks the parts of a tool message.
func (s *mediaState) toolResultMedia(p *openai.ContentPart, i, j int) (_ ToolResultContent, ok bool, _ error) {
	switch p.Type {
	case "image_url":
		img, err := s.image(p, i, j)
		return ToolResultContent{Image: img}, true, err
	case "file":
		doc, err := s.document(p, i, j)
		return ToolResultContent{Document: doc}, true, err
	}
	return ToolResultContent{}, false, nil
}

func partParam(i, j int) string { return fmt.Sprintf("messages[%d].content[%d]", i, j) }

// image maps image_url part j of message i to an image block. The data
// URI's declared type must be one Bedrock takes and must match the bytes.
func (s *mediaState) image(p *openai.ContentPart, i, j int) (*ImageBlock, error) {
	param := partParam(i, j)
	if s.known && !s.info.Vision {
		return nil, openai.Errorf(param, "Invalid '%s': the model '%s' does not take image input on Bedrock; send text only, or use a model that takes images.", param, s.model)
	}
	urlParam := param + ".image_url.url"
	if p.ImageURL == nil || p.ImageURL.URL == "" {
		return nil, openai.Errorf(urlParam, "Missing required parameter: '%s'.", urlParam)
	}
	raw := p.ImageURL.URL
	if isRemoteURL(raw) {
		return nil, openai.Errorf(urlParam, "Invalid '%s': remote image URLs are not enabled on this gateway; send the image as a data URI (data:image/png;base64,...).", urlParam)
	}
	uri, err := parseDataURI(raw, maxImageBytes)
	if errors.Is(err, errDataTooLarge) {
		return nil, tooLarge(urlParam, "image", maxImageBytes, "3.75 MB")
	}
	if err != nil {
		return nil, openai.Errorf(urlParam, "Invalid '%s': %v; send the image as a data URI (data:image/png;base64,...).", urlParam, err)
	}
	format, ok := imageFormats[uri.mediaType]
	if !ok {
		return nil, openai.Errorf(urlParam, "Invalid '%s': image type '%s' is not supported; Bedrock takes image/png, image/jpeg, image/gif and image/webp.", urlParam, uri.mediaType)
	}
	if sniffed := http.DetectContentType(uri.data); imageFormats[sniffed] != format {
		return nil, openai.Errorf(urlParam, "Invalid '%s': the data URI says %s but the bytes are %s.", urlParam, uri.mediaType, describeSniffed(sniffed))
	}
	return &ImageBlock{Format: format, Source: ImageSource{Bytes: uri.data}}, nil
}

// errDataTooLarge is decodeBase64's refusal of data over its limit.
var errDataTooLarge = errors.New("the data is too large")

func tooLarge(param, what string, limit int, human string) error {
	return openai.Errorf(param, "Invalid '%s': the %s is larger than %s (%d bytes), the most Bedrock takes per %s.", param, what, human, limit, what)
}

// describeSniffed names what http.DetectContentType found.
func describeSniffed(mt string) string {
	if mt == "application/octet-stream" {
		return "not a recognised image"
	}
	mt, _, _ = strings.Cut(mt, ";")
	return mt
}

// isRemoteURL reports whether s is an http(s) URL (scheme case-insensitive).
func isRemoteURL(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	return ok && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https"))
}

// dataURI is a decoded data: URI.
type dataURI struct {
	// mediaType is lower-case, without parameters; "" when none was
	// given.
	mediaType string
	data      []byte
}

// parseDataURI decodes a base64 data URI (RFC 2397). Data larger than
// limit bytes is refused before it is decoded. The error says what is
// wrong, for a 400.
func parseDataURI(s string, limit int) (dataURI, error) {
	if len(s) < 5 || !strings.EqualFold(s[:5], "data:") {
		return dataURI{}, fmt.Errorf("not a data URI")
	}
	header, payload, ok := strings.Cut(s[5:], ",")
	if !ok {
		return dataURI{}, fmt.Errorf("the data URI has no comma before its data")
	}
	params := strings.Split(header, ";")
	if !strings.EqualFold(strings.TrimSpace(params[len(params)-1]), "base64") {
		return dataURI{}, fmt.Errorf("the data URI must be base64-encoded (;base64,)")
	}
	data, err := decodeBase64(payload, limit)
	if err != nil {
		return dataURI{}, err
	}
	mt := strings.ToLower(strings.TrimSpace(params[0]))
	if len(params) == 1 {
		mt = ""
	}
	return dataURI{mediaType: mt, data: data}, nil
}

// decodeBase64 decodes standard base64, padded or not. Data whose decoded
// size would exceed limit is refused with errDataTooLarge before it is
// decoded, so that a huge payload costs no allocation.
func decodeBase64(s string, limit int) ([]byte, error) {
	s = strings.TrimRight(s, "=\r\n")
	n := len(s) - strings.Count(s, "\n") - strings.Count(s, "\r")
	if base64.RawStdEncoding.DecodedLen(n) > limit {
		return nil, errDataTooLarge
	}
	// Padding is optional: some clients drop it. Line breaks are ignored
	// by the decoder.
	data, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the data is not valid base64")
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("the data is empty")
	}
	return data, nil
}

// document maps file part j of message i to a document block.
func (s *mediaState) document(p *openai.ContentPart, i, j int) (*DocumentBlock, error) {
	param := partParam(i, j)
	if s.known && !s.info.Documents {
		return nil, openai.Errorf(param, "Invalid '%s': the model '%s' does not take documents (file parts) on Bedrock; send the text of the document instead, or use a model that takes documents.", param, s.model)
	}
	f := p.File
	if f == nil {
		return nil, openai.Errorf(param+".file", "Missing required parameter: '%s.file'.", param)
	}
	if f.FileData == "" {
		if f.FileID != "" {
			return nil, openai.Errorf(param+".file.file_id", "Invalid '%s.file.file_id': uploaded files are not supported for Bedrock models (the gateway stores no files); send the content in 'file_data' as a data URI.", param)
		}
		return nil, openai.Errorf(param+".file.file_data", "Missing required parameter: '%s.file.file_data'.", param)
	}
	dataParam := param + ".file.file_data"
	uri, err := parseFileData(f.FileData)
	if errors.Is(err, errDataTooLarge) {
		return nil, tooLarge(dataParam, "document", maxDocumentBytes, "4.5 MB")
	}
	if err != nil {
		return nil, openai.Errorf(dataParam, "Invalid '%s': %v; send the document as a data URI (data:application/pdf;base64,...).", dataParam, err)
	}
	format, err := documentFormat(uri.mediaType, f.Filename)
	if err != nil {
		return nil, openai.Errorf(param+".file", "Invalid '%s.file': %v.", param, err)
	}
	if !documentBytesMatch(format, uri.data) {
		return nil, openai.Errorf(dataParam, "Invalid '%s': the content is not a %s document.", dataParam, format)
	}
	return &DocumentBlock{Format: format, Name: s.documentName(f.Filename), Source: DocumentSource{Bytes: uri.data}}, nil
}

// parseFileData decodes file_data: a data URI, or bare base64 (the type
// then comes from the filename).
func parseFileData(s string) (dataURI, error) {
	if len(s) >= 5 && strings.EqualFold(s[:5], "data:") {
		return parseDataURI(s, maxDocumentBytes)
	}
	data, err := decodeBase64(s, maxDocumentBytes)
	return dataURI{data: data}, err
}

// documentFormat picks the Bedrock format from the media type, or from
// the filename's extension when the type is missing or generic.
func documentFormat(mediaType, filename string) (string, error) {
	mediaType, _, _ = strings.Cut(mediaType, ";")
	if f, ok := documentFormats[mediaType]; ok {
		return f, nil
	}
	if mediaType != "" && mediaType != "application/octet-stream" {
		if _, isImage := imageFormats[mediaType]; isImage {
			return "", fmt.Errorf("'%s' is an image; send images as image_url parts", mediaType)
		}
		return "", fmt.Errorf("document type '%s' is not supported; Bedrock takes %s documents", mediaType, documentFormatList)
	}
	ext := strings.ToLower(path.Ext(baseName(filename)))
	if f, ok := documentExtensions[ext]; ok {
		return f, nil
	}
	if filename == "" {
		return "", fmt.Errorf("the document's format is unknown: give 'file_data' as a data URI with its media type, or a 'filename' with an extension (%s)", documentFormatList)
	}
	return "", fmt.Errorf("the format of '%s' is not supported; Bedrock takes %s documents", filename, documentFormatList)
}

// Signatures of the binary document formats.
var (
	pdfMagic = []byte("%PDF-")
	// zipMagic starts docx and xlsx (Office Open XML is a zip archive).
	zipMagic = []byte("PK\x03\x04")
	// cfbMagic starts doc and xls (OLE2 compound files).
	cfbMagic = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
)

// documentBytesMatch reports whether data looks like format: the binary
// formats by their signature, the text formats as UTF-8 without NUL bytes.
func documentBytesMatch(format string, data []byte) bool {
	switch format {
	case "pdf":
		return bytes.HasPrefix(data, pdfMagic)
	case "docx", "xlsx":
		return bytes.HasPrefix(data, zipMagic)
	case "doc", "xls":
		return bytes.HasPrefix(data, cfbMagic)
	}
	return utf8.Valid(data) && bytes.IndexByte(data, 0) < 0
}

// documentName makes a document name Bedrock accepts from a filename, and
// unique within the request (Bedrock refuses two documents of the same
// name). Bedrock allows ASCII letters and digits, single spaces, hyphens,
// parentheses and square brackets, up to 200 characters: the extension is
// dropped, every other character becomes a space, and runs of spaces
// become one. A taken name gets " (2)", " (3)"...
func (s *mediaState) documentName(filename string) string {
	name := sanitizeDocumentName(filename)
	if s.names == nil {
		s.names = make(map[string]bool)
	}
	unique := name
	for n := 2; s.names[unique]; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		unique = strings.TrimRight(truncate(name, maxDocumentName-len(suffix)), " ") + suffix
	}
	s.names[unique] = true
	return unique
}

func sanitizeDocumentName(filename string) string {
	base := baseName(filename)
	if _, known := documentExtensions[strings.ToLower(path.Ext(base))]; known {
		base = strings.TrimSuffix(base, path.Ext(base))
	}
	var b strings.Builder
	space := false
	for _, r := range base {
		if r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.ContainsRune("-()[]", r)) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
			continue
		}
		space = true
	}
	name := strings.TrimRight(truncate(b.String(), maxDocumentName), " ")
	if name == "" {
		return defaultDocumentName
	}
	return name
}

// baseName is the last element of a path with / or \ separators.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// truncate cuts an ASCII string to n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
