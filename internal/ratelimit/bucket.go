package ratelimit

import "time"

// unitsPerToken is the resolution of a bucket level: a token (or a
// request) is 60,000 units and time is counted in milliseconds, so a
// bucket refilling at limit per minute gains exactly limit units per
// millisecond. Refill is then integer arithmetic without any rounding, in
// Go and in the Lua scripts alike.
const unitsPerToken = 60_000

// ceilDiv is ⌈a/b⌉ for a ≥ 0 and b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// refill returns the level and time stamp (ms) of a bucket of the given
// per-minute limit at now (ms). A level above the capacity (the limit was
// lowered) is cut to it. A clock that went backwards refills nothing and
// keeps the later stamp, so the same time is never refilled twice. The
// Lua function refill in scripts.go is the same computation.
func refill(level, stamp, now, limit int64) (int64, int64) {
	capacity := limit * unitsPerToken
	level = min(level, capacity)
	if now <= stamp {
		return level, stamp
	}
	// Comparing with the time to full instead of multiplying first keeps
	// elapsed × limit within the range the level already spans.
	if need := capacity - level; need > 0 {
		if now-stamp >= ceilDiv(need, limit) {
			level = capacity
		} else {
			level += (now - stamp) * limit
		}
	}
	return level, now
}

// untilFull is how long a bucket at level takes to be full again.
func untilFull(level, limit int64) time.Duration {
	need := limit*unitsPerToken - level
	if need <= 0 {
		return 0
	}
	return time.Duration(ceilDiv(need, limit)) * time.Millisecond
}

// window is the header figures of a bucket at level.
func window(level, limit int64) Window {
	return Window{Limit: limit, Remaining: max(level, 0) / unitsPerToken, Reset: untilFull(level, limit)}
}

// tighter reports whether w has less of its limit left than than; a
// window without a limit is never tighter, and any window is tighter
// than none.
func (w Window) tighter(than Window) bool {
	if w.Limit == 0 {
		return false
	}
	if than.Limit == 0 {
		return true
	}
	// Cross-multiplying could overflow int64; the ratio only ranks.
	return float64(w.Remaining)/float64(w.Limit) < float64(than.Remaining)/float64(than.Limit)
}
