package awstest

import (
	"regexp"
	"strings"
)

// sigV4Header matches "AWS4-HMAC-SHA256 Credential=AKID/date/region/
// service/aws4_request, SignedHeaders=a;b, Signature=hex" (wire.md §3.1).
var sigV4Header = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request, ?SignedHeaders=([a-z0-9;_.-]+), ?Signature=([0-9a-f]{64})$`)

// Authorization is what a SigV4 Authorization header says about its
// signer.
type Authorization struct {
	AccessKeyID string
	// Date is the YYYYMMDD of the credential scope.
	Date    string
	Region  string
	Service string
	// SignedHeaders are the lower-case names the client signed.
	SignedHeaders []string
	// Signature is the hex signature.
	Signature string
}

// ParseAuthorization parses an Authorization header value. It fails with
// an *Error wrapping ErrMissing for an empty header and ErrMalformed for
// any other that is not a complete SigV4 header.
func ParseAuthorization(h string) (Authorization, error) {
	if h == "" {
		return Authorization{}, refuse(ErrMissing, CodeMissingAuthenticationToken, MsgMissingAuthenticationToken)
	}
	m := sigV4Header.FindStringSubmatch(h)
	if m == nil {
		return Authorization{}, refuse(ErrMalformed, CodeIncompleteSignature, "Authorization header requires 'Credential', "+
			"'SignedHeaders' and 'Signature' parameters. Authorization="+strings.SplitN(h, " ", 2)[0])
	}
	return Authorization{
		AccessKeyID: m[1], Date: m[2], Region: m[3], Service: m[4],
		SignedHeaders: strings.Split(m[5], ";"), Signature: m[6],
	}, nil
}
