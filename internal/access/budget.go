package access

import (
	"strconv"
	"time"

	"github.com/outcrop/outcrop/internal/store"
)

// The budget periods a key may have.
const (
	PeriodDay   = "day"
	PeriodMonth = "month"
	PeriodTotal = "total"
)

// ValidPeriod reports whether p is a budget period ("" is none).
func ValidPeriod(p string) bool {
	switch p {
	case "", PeriodDay, PeriodMonth, PeriodTotal:
		return true
	}
	return false
}

// period returns the current budget period of a key at now, in UTC:
// when it started, when it ends (zero for a total budget), and when its
// spend is counted from (the later of the start and the key's last
// budget reset).
func period(k *store.Key, now time.Time) (start, end, since time.Time) {
	now = now.UTC()
	switch k.BudgetPeriod {
	case PeriodDay:
		start = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 0, 1)
	case PeriodMonth:
		start = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, 0)
	}
	since = start
	if k.BudgetResetAt.After(since) {
		since = k.BudgetResetAt
	}
	return start, end, since
}

// budgetID names the spend counter of a key's current period: a new
// period, or a reset, starts a new counter.
func budgetID(k *store.Key, start, since time.Time) string {
	var buf [96]byte // on the stack: the string is the one allocation
	b := append(append(append(append(buf[:0], "budget:"...), k.ID...), ':'), k.BudgetPeriod...)
	b = strconv.AppendInt(append(b, ':'), start.Unix(), 10)
	b = strconv.AppendInt(append(b, ':'), since.UnixMilli(), 10)
	return string(b)
}
