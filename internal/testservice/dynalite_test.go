package testservice

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestDynaliteAnswers(t *testing.T) {
	if os.Getenv(EnvDynamoDB) != "" {
		t.Skipf("%s is set: no dynalite is started", EnvDynamoDB)
	}
	u := Dynalite(t)
	resp, err := http.Get(u + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "healthy") {
		t.Fatalf("got %d %q, want 200 healthy", resp.StatusCode, body)
	}
}
