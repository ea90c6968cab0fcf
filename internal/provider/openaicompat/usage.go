package openaicompat

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
)

var jsonNull = []byte("null")

// decodeUsage decodes the top-level `usage` member of a JSON object, nil
// when it is absent or null. Nothing else is decoded.
func decodeUsage(obj []byte) (*openai.Usage, error) {
	m, ok, err := jsonx.Find(obj, "usage")
	if err != nil || !ok {
		return nil, err
	}
	return usageValue(m.Value(obj))
}

// usageValue decodes a `usage` value, nil for null. Every response and the
// last chunk of every stream carry one, so it is read by hand, without
// reflection: the counts and the two detail objects; other members are
// skipped, as encoding/json would. A count written as a float (1.0) is
// accepted, since some OpenAI-compatible servers write them so.
func usageValue(v []byte) (*openai.Usage, error) {
	if bytes.Equal(v, jsonNull) {
		return nil, nil
	}
	u := new(openai.Usage)
	if err := readUsage(v, u); err != nil {
		return nil, fmt.Errorf("decode usage %.100q: %w", v, err)
	}
	return u, nil
}

// errCount reports a token count that is not a non-negative number.
var errCount = errors.New("token count is not a non-negative number")

func readUsage(v []byte, u *openai.Usage) error {
	var shapeErr error
	err := jsonx.Members(v, func(m jsonx.Member) bool {
		val := m.Value(v)
		switch string(m.Key) {
		case "prompt_tokens":
			u.PromptTokens, shapeErr = readInt(val)
		case "completion_tokens":
			u.CompletionTokens, shapeErr = readInt(val)
		case "total_tokens":
			u.TotalTokens, shapeErr = readInt(val)
		case "prompt_tokens_details":
			shapeErr = readPromptDetails(val, u)
		case "completion_tokens_details":
			shapeErr = readCompletionDetails(val, u)
		}
		return shapeErr == nil
	})
	if err != nil {
		return err
	}
	return shapeErr
}

func readPromptDetails(v []byte, u *openai.Usage) error {
	if bytes.Equal(v, jsonNull) {
		return nil
	}
	d := new(openai.PromptTokensDetails)
	u.PromptTokensDetails = d
	return readInts(v, intFields{
		{"cached_tokens", &d.CachedTokens}, {"audio_tokens", &d.AudioTokens}, {"cache_write_tokens", &d.CacheWriteTokens},
	})
}

func readCompletionDetails(v []byte, u *openai.Usage) error {
	if bytes.Equal(v, jsonNull) {
		return nil
	}
	d := new(openai.CompletionTokensDetails)
	u.CompletionTokensDetails = d
	return readInts(v, intFields{
		{"reasoning_tokens", &d.ReasoningTokens},
		{"audio_tokens", &d.AudioTokens},
		{"accepted_prediction_tokens", &d.AcceptedPredictionTokens},
		{"rejected_prediction_tokens", &d.RejectedPredictionTokens},
	})
}

// intFields names the integer fields of a details object. It is a small
// array of pairs rather than a map so that it stays on the stack.
type intFields [4]struct {
	name string
	dst  *int
}

// readInts reads an object's integer members into the named fields;
// members not named are skipped, as encoding/json would.
func readInts(v []byte, fields intFields) error {
	var shapeErr error
	err := jsonx.Members(v, func(m jsonx.Member) bool {
		for _, f := range fields {
			if f.dst != nil && string(m.Key) == f.name {
				*f.dst, shapeErr = readInt(m.Value(v))
				break
			}
		}
		return shapeErr == nil
	})
	if err != nil {
		return err
	}
	return shapeErr
}

// readInt reads a non-negative JSON number as an int (null as 0).
func readInt(b []byte) (int, error) {
	if bytes.Equal(b, jsonNull) {
		return 0, nil
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' || n > 1<<50 {
			return readFloat(b)
		}
		n = n*10 + int(c-'0')
	}
	if len(b) == 0 {
		return 0, errCount
	}
	return n, nil
}

func readFloat(b []byte) (int, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > 1<<52 {
		return 0, errCount
	}
	return int(f), nil
}
