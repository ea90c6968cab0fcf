package upstream

import (
	"sync"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// StartBedrock starts the repository's Bedrock emulator on addr, tuned
// for load: nothing recorded, no header latency (it shields the AWS SDK
// from a transport race that the gateway's own client does not have;
// internal/app's benchmarks set it the same way), any model ID accepted,
// and each answer shaped by the model ID (ShapeOf). SigV4 signatures are
// checked against bedrocktest's fixed credentials, as they are by
// default; a bearer token (bedrocktest.BearerToken) is accepted too, so
// a client can call it directly without signing.
func StartBedrock(addr string) (*bedrocktest.Server, error) {
	var b bedrockReplies
	return bedrocktest.Start(
		bedrocktest.WithAddr(addr),
		bedrocktest.WithoutRecording(),
		bedrocktest.WithHeaderLatency(0),
		bedrocktest.WithAnyModel(),
		bedrocktest.WithAnswer(AnswerText),
		bedrocktest.WithResponder(b.reply),
	)
}

// bedrockReplies renders one Reply per model ID and hands out copies;
// the events are shared, which the emulator only reads.
type bedrockReplies struct {
	replies sync.Map // model ID -> bedrocktest.Reply
}

func (b *bedrockReplies) reply(req bedrocktest.Request) (bedrocktest.Reply, bool) {
	if r, ok := b.replies.Load(req.ModelID); ok {
		return r.(bedrocktest.Reply), true
	}
	s, err := ShapeOf(req.ModelID)
	if err != nil {
		return bedrocktest.Reply{Error: &bedrocktest.Error{Code: bedrocktest.CodeValidation, Message: err.Error()}}, true
	}
	r := bedrocktest.Reply{Latency: s.Delay}
	if s.Stream {
		r.Events = bedrockEvents(s)
	}
	b.replies.Store(req.ModelID, r)
	return r, true
}

// bedrockEvents is a ConverseStream answer of s.Chunks text deltas, Gap
// apart, between Bedrock's usual opening and closing events.
func bedrockEvents(s Shape) []bedrocktest.Event {
	evs := []bedrocktest.Event{bedrocktest.MessageStart()}
	for i := range s.Chunks {
		ev := bedrocktest.TextDelta(0, chunkWord)
		if i > 0 {
			ev.Delay = s.Gap
		}
		evs = append(evs, ev)
	}
	return append(evs,
		bedrocktest.BlockStop(0),
		bedrocktest.MessageStop("end_turn"),
		bedrocktest.Metadata(bedrocktest.Usage{InputTokens: 12, OutputTokens: s.Chunks}),
	)
}
