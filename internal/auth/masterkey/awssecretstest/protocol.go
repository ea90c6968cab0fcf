package awssecretstest

import (
	"encoding/json"
	"mime"
	"net/http"
	"time"
)

// The X-Amz-Target values of the two operations served.
const (
	TargetGetParameter   = "AmazonSSM.GetParameter"
	TargetGetSecretValue = "secretsmanager.GetSecretValue"
)

// contentType is the media type of AWS JSON 1.1 requests and answers.
const contentType = "application/x-amz-json-1.1"

// isJSON11 reports whether a Content-Type header names AWS JSON 1.1.
func isJSON11(header string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && mt == contentType
}

// operation is one served operation: the signing name its requests need
// and its handler, which sees requests that passed authentication.
type operation struct {
	service string
	handle  func(s *Server, body []byte) answer
}

// lookupOperation finds the operation an X-Amz-Target names.
func lookupOperation(target string) (operation, bool) {
	switch target {
	case TargetGetParameter:
		return operation{service: ServiceSSM, handle: (*Server).getParameter}, true
	case TargetGetSecretValue:
		return operation{service: ServiceSecretsManager, handle: (*Server).getSecretValue}, true
	}
	return operation{}, false
}

// epochSeconds is t as the AWS JSON protocols write timestamps: seconds
// since the epoch, with milliseconds as the fraction.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// okJSON is a 200 answer with v as its body.
func okJSON(v any) answer {
	b, _ := json.Marshal(v) // the response structs hold only strings and numbers
	return answer{status: http.StatusOK, body: b}
}
