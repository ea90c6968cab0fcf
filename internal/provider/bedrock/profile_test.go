package bedrock

import (
	"context"
	"testing"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// TestProfileRetry asks for a model that Bedrock serves only through an
// inference profile, by its bare ID: the first request is refused and
// retried once with the profile, later ones go to the profile directly.
func TestProfileRetry(t *testing.T) {
	const model = "anthropic.claude-sonnet-4-20250514-v1:0"
	const profile = "us." + model
	for _, stream := range []bool{false, true} {
		srv := bedrocktest.New(t)
		lookups := 0
		c, _ := emulatorClient(t, srv, Config{Profiles: func(id string) (string, bool) {
			lookups++
			return "us." + id, id == model
		}})
		for i := 0; i < 2; i++ {
			req := chatRequest(model, "hello")
			if stream {
				st, err := c.ChatCompletionStream(context.Background(), req)
				if err != nil {
					t.Fatalf("stream %d: %v", i, err)
				}
				if r := collect(t, st); r.Err != nil || r.Content == "" {
					t.Fatalf("stream %d: got %+v", i, r)
				}
			} else if _, err := c.ChatCompletion(context.Background(), req); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		var got []string
		for _, r := range srv.Requests() {
			got = append(got, r.ModelID)
		}
		want := []string{model, profile, profile}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("stream=%v: Bedrock got model IDs %q, want %q", stream, got, want)
		}
		if lookups != 1 {
			t.Errorf("stream=%v: %d profile lookups, want 1 (the mapping is remembered)", stream, lookups)
		}
	}
}

// TestProfileRetryNeedsAProfile leaves the refusal as it is when no
// profile is known (an ARN has no geography profile): a 400 the client can
// act on.
func TestProfileRetryNeedsAProfile(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{Profiles: func(string) (string, bool) { return "", false }})
	_, err := c.ChatCompletion(context.Background(), chatRequest(bedrocktest.ModelARN(srv.Region(), "anthropic.claude-sonnet-4-20250514-v1:0"), "hello"))
	_ = checkStatus(t, err, 400)
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("Bedrock got %d requests, want 1", n)
	}
}

// TestProfileRetryByGeography retries with the profile of the region's
// geography when no lookup is configured.
func TestProfileRetryByGeography(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	const model = "anthropic.claude-sonnet-4-20250514-v1:0"
	if _, err := c.ChatCompletion(context.Background(), chatRequest(model, "hello")); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].ModelID != "us."+model {
		t.Errorf("got %d requests, the last for %q; want a retry with us.%s", len(reqs), reqs[len(reqs)-1].ModelID, model)
	}
}

func TestGeographyPrefix(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "us", "us-gov-west-1": "us-gov", "eu-west-3": "eu", "ap-southeast-2": "apac", "ca-central-1": "ca"} {
		if got := GeographyPrefix(region); got != want {
			t.Errorf("GeographyPrefix(%q) = %q, want %q", region, got, want)
		}
	}
}
