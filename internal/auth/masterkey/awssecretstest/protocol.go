package awssecretstest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// The X-Amz-Target values of the two operations served.
const (
	TargetGetParameter   = "AmazonSSM.GetParameter"
	TargetGetSecretValue = "secretsmanager.GetSecretValue"
)

// operation is one served operation: the signing name its requests need,
// whether its service spells the error member "Message", and its handler,
// which sees requests that passed authentication.
type operation struct {
	service string
	capital bool
	handle  func(s *Server, body []byte) awstest.Answer
}

// lookupOperation finds the operation an X-Amz-Target names.
func lookupOperation(target string) (operation, bool) {
	switch target {
	case TargetGetParameter:
		return operation{service: ServiceSSM, handle: (*Server).getParameter}, true
	case TargetGetSecretValue:
		return operation{service: ServiceSecretsManager, capital: true, handle: (*Server).getSecretValue}, true
	}
	return operation{}, false
}

// epochSeconds is t as the AWS JSON protocols write timestamps: seconds
// since the epoch, with milliseconds as the fraction.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// okJSON is a 200 answer with v as its body.
func okJSON(v any) awstest.Answer {
	b, _ := json.Marshal(v) // the response structs hold only strings and numbers
	return awstest.Answer{Status: http.StatusOK, Body: b}
}
