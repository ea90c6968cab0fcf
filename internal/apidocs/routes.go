package apidocs

// Route is one method and path that the gateway serves and the OpenAPI
// document describes.
type Route struct {
	// Method is the HTTP method, upper case.
	Method string
	// Path is the OpenAPI path template, as it appears under `paths` in the
	// document, for example /v1/models/{model}.
	Path string
	// Example is a concrete request path for the route, for tests that
	// check a server answers it. For /v1/models/{model} it holds a model
	// name with ':' and '/' in it, as Bedrock ARNs have.
	Example string
}

// exampleModel is a model name with the characters a ServeMux pattern must
// let through: a Bedrock application inference profile ARN has both ':'
// and '/'.
const exampleModel = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"

// exampleKey is a virtual key's ID, as the admin routes take it (a key's
// name works too).
const exampleKey = "key_abc123"

// Routes returns every route the server must serve, in a new slice. Each
// has a path in the OpenAPI document (TestSpecDocumentsRoutes); a server
// test can check that its mux answers each Example with something other
// than 404 or 405.
//
// The OpenAI routes are served under two prefixes: OpenAI's own and the one
// aws-samples/bedrock-access-gateway uses, so clients of either work
// unchanged. The admin routes (key management, master key only) and the
// native API's routes have one.
func Routes() []Route {
	var routes []Route
	for _, p := range []string{"/v1", "/api/v1"} {
		routes = append(routes,
			Route{"POST", p + "/chat/completions", p + "/chat/completions"},
			Route{"POST", p + "/completions", p + "/completions"},
			Route{"POST", p + "/embeddings", p + "/embeddings"},
			Route{"GET", p + "/models", p + "/models"},
			Route{"GET", p + "/models/{model}", p + "/models/" + exampleModel},
		)
	}
	const key = "/admin/keys/{key}"
	routes = append(routes,
		Route{"POST", "/admin/keys", "/admin/keys"},
		Route{"GET", "/admin/keys", "/admin/keys"},
		Route{"GET", key, "/admin/keys/" + exampleKey},
		Route{"PATCH", key, "/admin/keys/" + exampleKey},
		Route{"DELETE", key, "/admin/keys/" + exampleKey},
		Route{"POST", key + "/rotate", "/admin/keys/" + exampleKey + "/rotate"},
		Route{"POST", key + "/reset-budget", "/admin/keys/" + exampleKey + "/reset-budget"},
		Route{"GET", key + "/spend", "/admin/keys/" + exampleKey + "/spend"},
	)
	routes = append(routes,
		Route{"POST", "/chat", "/chat"},
		Route{"POST", "/generate", "/generate"},
		Route{"GET", "/models", "/models"},
		Route{"POST", "/prompt", "/prompt"},
		Route{"POST", "/process", "/process"},
	)
	return append(routes,
		Route{"GET", "/health", "/health"},
		Route{"GET", "/ready", "/ready"},
		Route{"GET", "/openapi.json", "/openapi.json"},
		Route{"GET", "/docs", "/docs"},
		Route{"GET", "/redoc", "/redoc"},
	)
}
