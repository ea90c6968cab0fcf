package harness

import (
	"github.com/outcrop/outcrop/bench/internal/hist"
	"github.com/outcrop/outcrop/bench/internal/procstat"
)

// Results is everything a run measured; results.json holds it as it is.
type Results struct {
	Machine  Machine        `json:"machine"`
	Plan     Plan           `json:"plan"`
	Started  string         `json:"started"`
	Seconds  float64        `json:"seconds"`
	Targets  []TargetInfo   `json:"targets"`
	Windows  []Window       `json:"windows"`
	OpenLoop []OpenLoop     `json:"open_loop"`
	Streams  []StreamPhase  `json:"streams"`
	Probes   []Probe        `json:"goroutine_probes"`
	Idle     map[string]Mem `json:"idle_memory"`
	Summary  []Summary      `json:"summary"`
	// Problems are errors seen during the run (failed requests, missing
	// targets); Notes are what the reader should know (skipped targets).
	Problems []string `json:"problems"`
	Notes    []string `json:"notes"`
}

// TargetInfo describes a target.
type TargetInfo struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Baseline string `json:"baseline"`
	About    string `json:"about"`
}

// Mem is a process's size at one moment.
type Mem = procstat.Memory

// Window is one closed-loop measured window.
type Window struct {
	Target      string       `json:"target"`
	Round       int          `json:"round"`
	Load        string       `json:"load"` // "c16", "c64", "stream-c16"
	Concurrency int          `json:"concurrency"`
	Shape       string       `json:"shape"`
	Requests    int64        `json:"requests"`
	Errors      int64        `json:"errors"`
	FirstError  string       `json:"first_error,omitempty"`
	Seconds     float64      `json:"seconds"`
	Rate        float64      `json:"rate"`
	Latency     hist.Summary `json:"latency"`
	CPU         cpuUsage     `json:"cpu"`
	// Allocs is the gateway's heap allocation per request (per stream,
	// for stream loads), read from the Go runtime's counters during the
	// first round's windows of a -profile run.
	Allocs *Allocs `json:"allocs,omitempty"`
}

// Allocs is heap allocation per request.
type Allocs struct {
	ObjectsPerRequest float64 `json:"objects_per_request"`
	BytesPerRequest   float64 `json:"bytes_per_request"`
}

// OpenLoop is the open-loop rate search of one target.
type OpenLoop struct {
	Target string `json:"target"`
	Shape  string `json:"shape"`
	Steps  []Step `json:"steps"`
	// MaxRate is the highest offered rate whose p99 stayed under the
	// limit with no errors; 0 when the first step failed.
	MaxRate float64 `json:"max_rate"`
}

// Step is one open-loop rate.
type Step struct {
	Offered    float64      `json:"offered_rps"`
	Achieved   float64      `json:"achieved_rps"`
	Requests   int64        `json:"requests"`
	Errors     int64        `json:"errors"`
	FirstError string       `json:"first_error,omitempty"`
	Latency    hist.Summary `json:"latency"`
	CPU        cpuUsage     `json:"cpu"`
	Pass       bool         `json:"pass"`
}

// StreamPhase is the stream and memory measurements of one target.
type StreamPhase struct {
	Target string `json:"target"`
	// Hold is Plan.Hold streams open at once, for memory.
	Hold    Rung `json:"hold"`
	HoldRSS Mem  `json:"hold_rss"`
	// Ladder is the concurrency steps, up to the first that failed.
	Ladder []Rung `json:"ladder"`
	// MaxStreams is the largest rung served without a stall or error.
	MaxStreams int `json:"max_streams"`
	After      Mem `json:"after"`
}

// Rung is one stream run.
type Rung struct {
	Streams    int          `json:"streams"`
	Shape      string       `json:"shape"`
	Completed  int64        `json:"completed"`
	Errors     int64        `json:"errors"`
	FirstError string       `json:"first_error,omitempty"`
	Chunks     int64        `json:"chunks"`
	Stalled    int64        `json:"stalled"`
	PeakOpen   int64        `json:"peak_open"`
	TTFT       hist.Summary `json:"ttft"`
	Gap        hist.Summary `json:"gap"`
	// CPUPerStream and CPUPerChunk are the target's CPU µs.
	CPUPerStream float64 `json:"cpu_us_per_stream"`
	CPUPerChunk  float64 `json:"cpu_us_per_chunk"`
	// UpstreamLateMs is how late the OpenAI emulator sent its worst
	// chunk (-1: not known, the Bedrock emulator does not say).
	UpstreamLateMs float64 `json:"upstream_late_ms"`
	Pass           bool    `json:"pass"`
}

// Probe is the goroutine count of a fresh instance of a target, read
// from the Go runtime's scheduler dumps.
type Probe struct {
	Target string `json:"target"`
	Idle   int    `json:"idle"`
	Peak   int    `json:"peak"`
	After  int    `json:"after"`
	// AfterSeconds is how long after the load After was read.
	AfterSeconds float64 `json:"after_seconds"`
	IdleMem      Mem     `json:"idle_mem"`
	AfterMem     Mem     `json:"after_mem"`
}
