package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error types used in the envelope's `type`, as OpenAI names them.
const (
	TypeInvalidRequest    = "invalid_request_error"
	TypeAuthentication    = "authentication_error"
	TypePermission        = "permission_error"
	TypeNotFound          = "not_found_error"
	TypeRateLimit         = "rate_limit_exceeded"
	TypeInsufficientQuota = "insufficient_quota"
	TypeServer            = "server_error"
	TypeUpstream          = "upstream_error"
	TypeTimeout           = "timeout_error"
)

// Error is an API error with its HTTP status. It is an error value and is
// written to clients as OpenAI's envelope
// {"error":{"message","type","param","code"}}, all four keys present.
type Error struct {
	Status  int
	Message string
	Type    string
	Param   string // empty is written as null
	Code    string // empty is written as null
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%d %s: %s (param %s)", e.Status, e.Type, e.Message, e.Param)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

// MarshalJSON writes the envelope.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(Envelope{Error: ErrorBody{
		Message: e.Message,
		Type:    nullable(e.Type),
		Param:   nullable(e.Param),
		Code:    nullable(e.Code),
	}})
}

// Envelope is the JSON shape of an error response.
type Envelope struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the inner object of an error response. Type, Param and Code
// are pointers because the spec has them null when absent.
type ErrorBody struct {
	Message string  `json:"message"`
	Type    *string `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// UnmarshalJSON accepts the loose shapes upstreams use: Azure sends `code`
// as a number or a numeric string and may omit `type`.
func (b *ErrorBody) UnmarshalJSON(data []byte) error {
	var raw struct {
		Message string          `json:"message"`
		Type    *string         `json:"type"`
		Param   *string         `json:"param"`
		Code    json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	b.Message, b.Type, b.Param, b.Code = raw.Message, raw.Type, raw.Param, nil
	if len(raw.Code) > 0 && string(raw.Code) != "null" {
		var s string
		if json.Unmarshal(raw.Code, &s) != nil {
			s = string(raw.Code)
		}
		b.Code = &s
	}
	return nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Errorf returns an invalid_request_error with status 400 naming param.
func Errorf(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Param: param, Message: fmt.Sprintf(format, args...)}
}

// ModelNotFound is the 404 OpenAI returns for an unknown model.
func ModelNotFound(model string) *Error {
	return &Error{
		Status:  http.StatusNotFound,
		Type:    TypeInvalidRequest,
		Code:    "model_not_found",
		Message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model),
	}
}
