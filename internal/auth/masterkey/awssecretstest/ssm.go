package awssecretstest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Parameter types of Parameter Store.
const (
	TypeSecureString = "SecureString"
	TypeString       = "String"
	TypeStringList   = "StringList"
)

// Parameter is one Parameter Store parameter.
type Parameter struct {
	// Name is the parameter's name, e.g. "/outcrop/api-key".
	Name  string
	Value string
	// Type is TypeSecureString (the default), TypeString or
	// TypeStringList.
	Type string
	// Version defaults to 1.
	Version int64
	// LastModified defaults to the time the server started (WithClock).
	LastModified time.Time
}

// ParameterARN is the ARN of the parameter name in region: Parameter
// Store writes a hierarchical name ("/a/b") after "parameter" without a
// second slash.
func ParameterARN(region, name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", region, AccountID, strings.TrimPrefix(name, "/"))
}

// EncryptedValue is what GetParameter returns for a SecureString asked
// for without WithDecryption: base64 text shaped like a KMS ciphertext
// blob, derived from the name and version only, so it never carries the
// plain value.
func EncryptedValue(name string, version int64) string {
	a := sha256.Sum256([]byte("awssecretstest/key|" + name))
	b := sha256.Sum256([]byte("awssecretstest/data|" + name + "|" + strconv.FormatInt(version, 10)))
	blob := append([]byte{0x01, 0x02, 0x02, 0x00, 0x78}, a[:]...)
	return base64.StdEncoding.EncodeToString(append(blob, b[:]...))
}

type getParameterRequest struct {
	Name           *string `json:"Name"`
	WithDecryption *bool   `json:"WithDecryption"`
}

type getParameterResponse struct {
	Parameter parameterJSON `json:"Parameter"`
}

type parameterJSON struct {
	ARN              string  `json:"ARN"`
	DataType         string  `json:"DataType"`
	LastModifiedDate float64 `json:"LastModifiedDate"`
	Name             string  `json:"Name"`
	Type             string  `json:"Type"`
	Value            string  `json:"Value"`
	Version          int64   `json:"Version"`
}

// getParameter serves AmazonSSM.GetParameter.
func (s *Server) getParameter(body []byte) awstest.Answer {
	var req getParameterRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return (&apiError{Code: CodeSerialization}).answer()
	}
	if req.Name == nil {
		return (&apiError{Code: CodeValidation, Message: "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"}).answer()
	}
	// Parameter Store drops spaces around a name (GetParameter's API
	// reference).
	id := strings.TrimSpace(*req.Name)
	p, found := s.parameter(id)
	if s.isDenied(id, p.Name) {
		resource := id
		if !strings.HasPrefix(id, "arn:") {
			resource = ParameterARN(s.opts.Region, id)
		}
		return errAccessDenied("ssm:GetParameter", resource).answer()
	}
	if !found {
		return (&apiError{Code: CodeParameterNotFound, Message: "Parameter " + id + " not found."}).answer()
	}
	value := p.Value
	if p.Type == TypeSecureString && (req.WithDecryption == nil || !*req.WithDecryption) {
		value = EncryptedValue(p.Name, p.Version)
	}
	return okJSON(getParameterResponse{Parameter: parameterJSON{
		ARN: ParameterARN(s.opts.Region, p.Name), DataType: "text",
		LastModifiedDate: epochSeconds(p.LastModified), Name: p.Name,
		Type: p.Type, Value: value, Version: p.Version,
	}})
}

// parameter finds a parameter by name or ARN and fills its defaults.
func (s *Server) parameter(id string) (Parameter, bool) {
	var p Parameter
	found := false
	for _, q := range s.opts.params {
		if q.Name == id || (strings.HasPrefix(id, "arn:") && ParameterARN(s.opts.Region, q.Name) == id) {
			p, found = q, true // a later parameter replaces an earlier one
		}
	}
	if !found {
		return Parameter{}, false
	}
	if p.Type == "" {
		p.Type = TypeSecureString
	}
	if p.Version == 0 {
		p.Version = 1
	}
	if p.LastModified.IsZero() {
		p.LastModified = s.started
	}
	return p, true
}

// isDenied reports whether WithDenied listed the ID as sent or the
// name it resolved to.
func (s *Server) isDenied(id, name string) bool {
	for _, d := range s.opts.denied {
		if d == id || (name != "" && d == name) {
			return true
		}
	}
	return false
}
