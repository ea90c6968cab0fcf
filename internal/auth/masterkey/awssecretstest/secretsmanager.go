package awssecretstest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// StageCurrent is the staging label of a secret's current version, the
// one GetSecretValue returns by default.
const StageCurrent = "AWSCURRENT"

// Secret is one Secrets Manager secret, with its current version.
type Secret struct {
	// Name is the secret's friendly name, e.g. "outcrop/master-key".
	Name string
	// String is the SecretString, sent when Binary is nil (even if empty).
	String string
	// Binary, when non-nil, is the SecretBinary and String is not sent.
	Binary []byte
	// VersionID defaults to a UUID derived from the name.
	VersionID string
	// Created defaults to the time the server started (WithClock).
	Created time.Time
}

// SecretARN is the ARN of the secret name in region. Secrets Manager ends
// it with a hyphen and six random characters; here they derive from the
// name, so the ARN is stable.
func SecretARN(region, name string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte(name))
	suffix := make([]byte, 6)
	for i := range suffix {
		suffix[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return partialSecretARN(region, name) + "-" + string(suffix)
}

// partialSecretARN is the ARN without its random suffix, which Secrets
// Manager also accepts as a SecretId.
func partialSecretARN(region, name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", region, AccountID, name)
}

type getSecretValueRequest struct {
	SecretID     *string `json:"SecretId"`
	VersionID    *string `json:"VersionId"`
	VersionStage *string `json:"VersionStage"`
}

type getSecretValueResponse struct {
	ARN           string   `json:"ARN"`
	CreatedDate   float64  `json:"CreatedDate"`
	Name          string   `json:"Name"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"` // base64, as the protocol writes blobs
	SecretString  *string  `json:"SecretString,omitempty"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

// getSecretValue serves secretsmanager.GetSecretValue.
func (s *Server) getSecretValue(body []byte) awstest.Answer {
	var req getSecretValueRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return (&apiError{Code: CodeSerialization, Capital: true}).answer()
	}
	if req.SecretID == nil {
		return (&apiError{Code: CodeValidation, Message: "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null"}).answer()
	}
	id := *req.SecretID
	sec, found := s.secret(id)
	if s.isDenied(id, sec.Name) {
		return errAccessDenied("secretsmanager:GetSecretValue", id).answer()
	}
	if !found {
		return (&apiError{Code: CodeResourceNotFound, Capital: true, Message: MsgSecretNotFound}).answer()
	}
	if e := checkVersion(req, sec); e != nil {
		return e.answer()
	}
	resp := getSecretValueResponse{
		ARN: SecretARN(s.opts.Region, sec.Name), CreatedDate: epochSeconds(sec.Created), Name: sec.Name,
		VersionID: sec.VersionID, VersionStages: []string{StageCurrent},
	}
	if sec.Binary != nil {
		resp.SecretBinary = sec.Binary
	} else {
		resp.SecretString = &sec.String
	}
	return okJSON(resp)
}

// checkVersion answers a VersionId or VersionStage other than the current
// version's as Secrets Manager does: the secret exists, that version not.
func checkVersion(req getSecretValueRequest, sec Secret) *apiError {
	switch {
	case req.VersionID != nil && *req.VersionID != sec.VersionID:
		return &apiError{Code: CodeResourceNotFound, Capital: true, Message: "Secrets Manager can't find the specified secret value for VersionId: " + *req.VersionID}
	case req.VersionStage != nil && *req.VersionStage != StageCurrent:
		return &apiError{Code: CodeResourceNotFound, Capital: true, Message: "Secrets Manager can't find the specified secret value for staging label: " + *req.VersionStage}
	}
	return nil
}

// secret finds a secret by name, ARN or partial ARN and fills its
// defaults.
func (s *Server) secret(id string) (Secret, bool) {
	var sec Secret
	found := false
	for _, c := range s.opts.secrets {
		if c.Name == id || (strings.HasPrefix(id, "arn:") &&
			(SecretARN(s.opts.Region, c.Name) == id || partialSecretARN(s.opts.Region, c.Name) == id)) {
			sec, found = c, true // a later secret replaces an earlier one
		}
	}
	if !found {
		return Secret{}, false
	}
	if sec.VersionID == "" {
		sec.VersionID = derivedUUID("version|" + sec.Name)
	}
	if sec.Created.IsZero() {
		sec.Created = s.started
	}
	return sec, true
}

// derivedUUID formats the hash of seed as a version 4 UUID.
func derivedUUID(seed string) string {
	b := sha256.Sum256([]byte(seed))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
