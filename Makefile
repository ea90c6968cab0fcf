# Shortcuts; scripts/test is the source of truth for what CI runs.
.PHONY: test lint run conformance build fmt bench

# Every check and test, exactly as CI runs them.
test:
	bash scripts/test

# gofmt, go vet and the pinned golangci-lint (installed into .tools/bin).
lint:
	bash scripts/test tools lint

# The gateway with the built-in demo upstream on 127.0.0.1:8080.
run:
	go run ./cmd/outcrop serve

# npm ci, then the official openai npm SDK against a running gateway.
conformance:
	bash scripts/test conformance

build:
	go build -o outcrop ./cmd/outcrop

# Rewrites Go files to satisfy the formatters of .golangci.yml (gofumpt, gci).
fmt:
	bash scripts/test tools
	.tools/bin/golangci-lint fmt ./...

# The load harness (bench/): every target interleaved, figures and chart
# into bench/results/. "go run ./bench/cmd/harness -smoke" checks it works.
bench:
	go run ./bench/cmd/harness
