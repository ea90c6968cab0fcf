// Package awsclient holds what the gateway's AWS clients share: the HTTP
// client wrapper that keeps a fast answer from being lost to a race in
// the SDK's request bodies, the check of a region for a host name, and
// the cleaning of an error code.
package awsclient

import (
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// HTTP returns c wrapped so that the body of each request it sends is a
// plain reader: what net/http reads of it cannot fail once the SDK has
// closed it.
//
// The SDK (smithy-go) wraps a request body in a closer whose WriteTo
// answers io.EOF once closed, and closes it as soon as Do returns. When
// a service answers before net/http has finished with the body (it reads
// once more past Content-Length to check the length), net/http takes that
// io.EOF for a write error and closes the connection under the response
// still being read: the call fails with "use of closed network
// connection" although the service answered 200. Without WriteTo, the
// read after the close is a clean end of body.
//
// A nil c is the SDK's default client.
func HTTP(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if _, ok := c.(client); ok {
		return c
	}
	return client{c}
}

type client struct{ aws.HTTPClient }

// Do sends req with its body behind a plain reader.
func (c client) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = body{req.Body}
	}
	return c.HTTPClient.Do(req)
}

// body hides every method of the wrapped body but Read and Close.
type body struct{ rc io.ReadCloser }

func (b body) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b body) Close() error               { return b.rc.Close() }

// ValidRegion reports whether region can go into a host name: AWS
// regions are lower-case letters, digits and hyphens.
func ValidRegion(region string) bool {
	if region == "" {
		return false
	}
	for i := 0; i < len(region); i++ {
		c := region[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// ErrorCode is an AWS error code as the SDKs report it: without what
// follows the first ':' (X-Amzn-ErrorType appends a URL) and what
// precedes the last '#' (a shape namespace).
func ErrorCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return strings.TrimSpace(code)
}
