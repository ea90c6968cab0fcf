package kendra

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kendra/types"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// ConfidenceScore maps a Kendra ScoreConfidence bucket to
// retrieval.Hit.Score: VERY_HIGH 1, HIGH 0.75, MEDIUM 0.5, LOW 0.25, and
// 0 for NOT_AVAILABLE, an absent bucket or one Kendra adds later. Kendra
// gives Retrieve results no numeric score, only these relative buckets
// (ScoreAttributes in the model), so a MinScore of 0.5 keeps MEDIUM and
// better. "Confidence score buckets are currently available only for
// English" (https://docs.aws.amazon.com/kendra/latest/APIReference/API_Retrieve.html):
// in other languages a result is NOT_AVAILABLE, scores 0, and any MinScore
// above 0 drops it.
func ConfidenceScore(confidence string) float64 {
	switch types.ScoreConfidence(confidence) {
	case types.ScoreConfidenceVeryHigh:
		return 1
	case types.ScoreConfidenceHigh:
		return 0.75
	case types.ScoreConfidenceMedium:
		return 0.5
	case types.ScoreConfidenceLow:
		return 0.25
	default:
		return 0
	}
}

// hits maps Kendra's result items, in Kendra's order, to at most k hits
// scoring at least minScore.
func hits(items []types.RetrieveResultItem, k int, minScore float64) []retrieval.Hit {
	out := make([]retrieval.Hit, 0, min(len(items), k))
	for i := range items {
		if len(out) == k {
			break
		}
		h := hit(&items[i])
		if h.Score < minScore {
			continue
		}
		out = append(out, h)
	}
	return out
}

func hit(it *types.RetrieveResultItem) retrieval.Hit {
	h := retrieval.Hit{
		ID:       deref(it.Id),
		Text:     deref(it.Content),
		Title:    deref(it.DocumentTitle),
		Source:   deref(it.DocumentURI),
		Metadata: metadata(it.DocumentAttributes),
	}
	if h.Source == "" {
		h.Source = deref(it.DocumentId)
	}
	if it.ScoreAttributes != nil {
		h.Score = ConfidenceScore(string(it.ScoreAttributes.ScoreConfidence))
	}
	return h
}

// metadata renders document attributes as strings: a string as is, a long
// in decimal, a date in RFC 3339 (UTC), a string list joined by ", ". An
// attribute without a value is left out.
func metadata(attrs []types.DocumentAttribute) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		if a.Key == nil || a.Value == nil {
			continue
		}
		if s, ok := attributeString(a.Value); ok {
			m[*a.Key] = s
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func attributeString(v *types.DocumentAttributeValue) (string, bool) {
	switch {
	case v.StringValue != nil:
		return *v.StringValue, true
	case v.LongValue != nil:
		return strconv.FormatInt(*v.LongValue, 10), true
	case v.DateValue != nil:
		return v.DateValue.UTC().Format(time.RFC3339Nano), true
	case v.StringListValue != nil:
		return strings.Join(v.StringListValue, ", "), true
	}
	return "", false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
