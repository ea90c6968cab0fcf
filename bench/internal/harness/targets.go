package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/outcrop/outcrop/bench/internal/load"
	"github.com/outcrop/outcrop/bench/internal/procstat"
	"github.com/outcrop/outcrop/bench/internal/upstream"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// kind is what a target is.
type kind string

const (
	kindDirect  kind = "direct"  // the upstream emulator itself
	kindFloor   kind = "floor"   // a bare proxy of bench/
	kindGateway kind = "gateway" // Outcrop
)

// Names of the targets the report singles out.
const (
	directOpenAI  = "direct-openai"
	directBedrock = "direct-bedrock"
	fastFloor     = "fasthttp-floor"
	stdFloor      = "httputil-floor"
)

// target is one process under test and how to talk to it.
type target struct {
	name string
	kind kind
	// bedrock: the answers come from the Bedrock emulator.
	bedrock bool
	gw      gatewaySpec
	// streams takes part in the stream phase; open in the open-loop
	// phase; probe in the goroutine probe (proxies only).
	streams, open, probe bool
	desc                 string

	proc *proc  // the running instance (the upstream, for direct targets)
	addr string // its host:port
	key  string // the virtual key, for +key targets
	// pprof is the profiler's host:port (server.pprof_addr), with
	// -profile.
	pprof string
	// bin, when set, is the Outcrop binary of this target instead of the
	// one built for the run (the twins of -before).
	bin string
}

// beforeSuffix names the twin of a gateway target that runs the -before
// binary.
const beforeSuffix = "@before"

// catalogue is every target, in the order they run in a round.
func catalogue() []*target {
	oc := func(name string, spec gatewaySpec, open bool, desc string) *target {
		return &target{name: name, kind: kindGateway, bedrock: spec.bedrock, gw: spec, open: open, desc: desc}
	}
	key := gatewaySpec{key: true}
	keyBR := gatewaySpec{bedrock: true, key: true}
	redis := gatewaySpec{key: true, redis: true}
	redisBR := gatewaySpec{bedrock: true, key: true, redis: true}
	logged := gatewaySpec{key: true, redis: true, accessLog: true}
	loggedBR := gatewaySpec{bedrock: true, key: true, redis: true, accessLog: true}
	ocOpenAI := oc("outcrop-openai", gatewaySpec{}, true, "Outcrop, `openai-compatible` upstream (the relay path)")
	ocBedrock := oc("outcrop-bedrock", gatewaySpec{bedrock: true}, true, "Outcrop, `bedrock` upstream (the translation path: Converse, SigV4, event stream)")
	for _, t := range []*target{ocOpenAI, ocBedrock} {
		t.streams, t.probe = true, true
	}
	return []*target{
		{name: directOpenAI, kind: kindDirect, streams: true, open: true, desc: "the OpenAI emulator itself (fasthttp server)"},
		{name: directBedrock, kind: kindDirect, bedrock: true, streams: true, open: true, desc: "the Bedrock emulator itself (bedrocktest, net/http; bearer token)"},
		{name: fastFloor, kind: kindFloor, streams: true, open: true, probe: true, desc: "bare fasthttp reverse proxy to the OpenAI emulator, no JSON work"},
		{name: stdFloor, kind: kindFloor, streams: true, open: true, probe: true, desc: "`httputil.ReverseProxy`: tuned Transport, BufferPool, body read first"},
		ocOpenAI,
		ocBedrock,
		oc("outcrop-openai+key", key, false, "relay + a virtual key, rate limits in memory"),
		oc("outcrop-bedrock+key", keyBR, false, "translation + a virtual key, rate limits in memory"),
		oc("outcrop-openai+key+redis", redis, false, "relay + the key's rate limits in Redis"),
		oc("outcrop-bedrock+key+redis", redisBR, false, "translation + the key's rate limits in Redis"),
		oc("outcrop-openai+key+redis+log", logged, true, "relay + key + Redis + the access log to a file"),
		oc("outcrop-bedrock+key+redis+log", loggedBR, true, "translation + key + Redis + the access log to a file"),
	}
}

// targetNames lists the catalogue's names.
func targetNames() []string {
	var n []string
	for _, t := range catalogue() {
		n = append(n, t.name)
	}
	return n
}

// baseline is the direct target a target's latencies are compared with.
func (t *target) baseline() string {
	if t.bedrock {
		return directBedrock
	}
	return directOpenAI
}

// speaksBedrock: the generator calls the Bedrock API itself.
func (t *target) speaksBedrock() bool { return t.kind == kindDirect && t.bedrock }

// framing is how the target's streams are cut into events.
func (t *target) framing() load.Framing {
	if t.speaksBedrock() {
		return load.EventStream
	}
	return load.SSE
}

// Request bodies: a short chat with a system prompt; max_tokens keeps
// the gateway's token estimate (for tokens-per-minute limits) small.
const (
	chatBody     = `{"model":%q,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"max_tokens":64,"temperature":0.2}`
	streamBody   = `{"model":%q,"stream":true,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"max_tokens":64,"temperature":0.2}`
	converseBody = `{"messages":[{"role":"user","content":[{"text":"Say hello."}]}],"system":[{"text":"You are terse."}],"inferenceConfig":{"maxTokens":64,"temperature":0.2}}`
)

// request is what the generator sends the target for shape s.
func (t *target) request(s upstream.Shape) load.Request {
	if t.speaksBedrock() {
		op, expect := "/converse", `"output"`
		if s.Stream {
			op, expect = "/converse-stream", "messageStop"
		}
		return load.Request{
			Addr: t.addr, Path: "/model/" + s.BedrockModel() + op, Body: []byte(converseBody), Expect: []byte(expect),
			Header: [][2]string{{"Authorization", "Bearer " + bedrocktest.BearerToken}},
		}
	}
	body, expect := chatBody, `"content"`
	if s.Stream {
		body, expect = streamBody, "[DONE]"
	}
	r := load.Request{
		Addr: t.addr, Path: "/v1/chat/completions",
		Body: fmt.Appendf(nil, body, s.OpenAIModel()), Expect: []byte(expect),
	}
	if t.key != "" {
		r.Header = [][2]string{{"Authorization", "Bearer " + t.key}}
	}
	return r
}

// bedrockModelFor is the Bedrock model ID behind a public model name
// (a shape's OpenAIModel).
func bedrockModelFor(public string) string { return upstream.BedrockPrefix + public }

// instance is a started target: its process, address and key.
type instance struct {
	proc  *proc
	addr  string
	key   string
	pprof string
}

// startTarget starts an instance of t (for direct targets: returns the
// shared upstream). role, when set, names the instance's logs and data
// apart from the first one's ("probe", "streams"); a probe instance
// dumps its goroutines to counter.
func (h *harness) startTarget(ctx context.Context, t *target, role string, counter *procstat.GoroutineCounter) (instance, error) {
	name := t.name
	if role != "" {
		name += "-" + role
	}
	spec := startSpec{logDir: h.work}
	if counter != nil {
		spec.env = childEnv(procstat.GoroutineProbeEnv(h.plan.ProbePeriodMs))
		spec.stderr = counter.Read
	}
	spec.name = strings.ReplaceAll(name, "+", "_")
	switch t.kind {
	case kindDirect:
		addr := h.openaiAddr
		if t.bedrock {
			addr = h.bedrockAddr
		}
		return instance{proc: h.up, addr: addr}, nil
	case kindFloor:
		spec.bin, spec.want = h.bins.fastproxy, []string{"listening"}
		if t.name == stdFloor {
			spec.bin = h.bins.stdproxy
		}
		spec.args = []string{"-upstream", h.openaiAddr}
		if spec.env == nil {
			spec.env = childEnv()
		}
		p, err := start(ctx, spec)
		if err != nil {
			return instance{}, err
		}
		return instance{proc: p, addr: p.addrs["listening"]}, nil
	}
	return h.startGateway(ctx, t, spec)
}

func (h *harness) startGateway(ctx context.Context, t *target, spec startSpec) (instance, error) {
	addr, err := freeAddr()
	if err != nil {
		return instance{}, err
	}
	cfg := gatewayConfig{
		spec: t.gw, dir: filepath.Join(h.work, spec.name), addr: addr,
		openaiAddr: h.openaiAddr, bedrockURL: "http://" + h.bedrockAddr,
		redisURL: h.opts.RedisURL, prefix: h.redisPrefix + t.name + ":",
	}
	for _, s := range h.plan.shapes() {
		cfg.shapes = append(cfg.shapes, s.OpenAIModel())
	}
	path, err := writeConfig(cfg)
	if err != nil {
		return instance{}, err
	}
	bin := h.bins.outcrop
	if t.bin != "" {
		bin = t.bin
	}
	var key string
	if t.gw.key {
		if key, err = createKey(ctx, bin, path); err != nil {
			return instance{}, err
		}
	}
	extra := []string{}
	if spec.env != nil { // the probe's GODEBUG
		extra = append(extra, procstat.GoroutineProbeEnv(h.plan.ProbePeriodMs))
	}
	var pprofAddr string
	if h.opts.Profile != "" && spec.env == nil {
		if pprofAddr, err = freeAddr(); err != nil {
			return instance{}, err
		}
		extra = append(extra, "OUTCROP_PPROF_ADDR="+pprofAddr)
	}
	spec.env = gatewayEnv(extra...)
	spec.bin, spec.args = bin, []string{"serve", "--config", path}
	spec.ready = "http://" + addr + "/ready"
	p, err := start(ctx, spec)
	if err != nil {
		return instance{}, err
	}
	return instance{proc: p, addr: addr, key: key, pprof: pprofAddr}, nil
}
