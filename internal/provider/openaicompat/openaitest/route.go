package openaitest

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// surface is which API a path belongs to.
type surface int

const (
	surfaceOpenAI  surface = iota
	surfaceAzure           // classic: /openai/deployments/{deployment}/...
	surfaceAzureV1         // /openai/v1/...
)

// Operations.
const (
	opChat       = "chat/completions"
	opCompletion = "completions"
	opEmbeddings = "embeddings"
	opModels     = "models"
)

// route is a parsed request path.
type route struct {
	surface surface
	// op is the operation ("chat/completions", "models", ...), empty for
	// an unknown path.
	op string
	// model is the {model} of GET /models/{model}.
	model string
	// deployment is the Azure classic deployment.
	deployment string
	method     string
	path       string
	// seq numbers the request, for deterministic IDs.
	seq int64
}

// parseRoute maps a request onto a surface and operation. Paths are
// matched on their unescaped form, so a deployment or model name may hold
// escaped characters.
func parseRoute(r *http.Request, seq int64) route {
	rt := route{method: r.Method, path: r.URL.Path, seq: seq}
	var rest string
	var ok bool
	switch {
	case strings.HasPrefix(rt.path, "/openai/v1/"):
		rt.surface, rest = surfaceAzureV1, strings.TrimPrefix(rt.path, "/openai/v1/")
	case strings.HasPrefix(rt.path, "/openai/deployments/"):
		rt.surface = surfaceAzure
		rt.deployment, rest, ok = strings.Cut(strings.TrimPrefix(rt.path, "/openai/deployments/"), "/")
		if !ok {
			return rt
		}
	case rt.path == "/openai/models":
		rt.surface, rest = surfaceAzure, opModels
	case strings.HasPrefix(rt.path, "/v1/"):
		rest = strings.TrimPrefix(rt.path, "/v1/")
	default:
		return rt
	}
	switch {
	case r.Method == http.MethodPost && (rest == opChat || rest == opCompletion || rest == opEmbeddings):
		rt.op = rest
	case r.Method == http.MethodGet && rest == opModels:
		rt.op = opModels
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "models/") && rt.surface != surfaceAzure:
		rt.op, rt.model = opModels, strings.TrimPrefix(rest, "models/")
	}
	return rt
}

// check applies what a real service checks before anything else: the key,
// and on Azure's classic surface the api-version and the deployment. It
// returns the error reply and true when a check failed.
func (s *Server) check(r *http.Request, rt route) (Reply, bool) {
	if s.opts.apiKey != "" && !s.authorized(r, rt.surface) {
		if rt.surface == surfaceOpenAI {
			return ErrorReply(&openai.Error{
				Status:  http.StatusUnauthorized,
				Type:    openai.TypeInvalidRequest,
				Code:    "invalid_api_key",
				Message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
			}), true
		}
		return AzureErrorReply(http.StatusUnauthorized, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."), true
	}
	if rt.surface != surfaceAzure {
		return Reply{}, false
	}
	if r.URL.Query().Get("api-version") == "" {
		return AzureErrorReply(http.StatusNotFound, "404", "Resource not found"), true
	}
	if rt.deployment != "" && s.opts.deployments != nil && !s.opts.deployments[rt.deployment] {
		return AzureErrorReply(http.StatusNotFound, "DeploymentNotFound",
			"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."), true
	}
	return Reply{}, false
}

// authorized reports whether r carries the key the way surface takes it.
func (s *Server) authorized(r *http.Request, sf surface) bool {
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if sf == surfaceOpenAI {
		return same(bearer, s.opts.apiKey)
	}
	return same(r.Header.Get("Api-Key"), s.opts.apiKey) || same(bearer, s.opts.apiKey)
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// statusReply is the error answer for a scripted status without a body.
func statusReply(sf surface, status int) Reply {
	msg := http.StatusText(status)
	if sf != surfaceOpenAI {
		return AzureErrorReply(status, fmt.Sprint(status), msg)
	}
	typ := openai.TypeInvalidRequest
	switch {
	case status == http.StatusTooManyRequests:
		typ = openai.TypeRateLimit
	case status >= 500:
		typ = openai.TypeServer
	}
	return ErrorReply(&openai.Error{Status: status, Type: typ, Message: msg})
}

// notFound is OpenAI's answer to an unknown path or method.
func notFound(rt route) Reply {
	if rt.surface != surfaceOpenAI {
		return AzureErrorReply(http.StatusNotFound, "404", "Resource not found")
	}
	return ErrorReply(&openai.Error{
		Status:  http.StatusNotFound,
		Type:    openai.TypeInvalidRequest,
		Message: fmt.Sprintf("Invalid URL (%s %s)", rt.method, rt.path),
	})
}
