package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/usage"
)

// DB is where the usage ledger writes its batches.
var _ usage.Sink = (*DB)(nil)

// usageColumns are the usage table's columns InsertUsage fills, in the
// order of usageRow.
const usageColumns = `time_ms, request_id, key_id, model, deployment, route, status, stream,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_nano, latency_us`

// usageColumnCount is how many values one record takes.
const usageColumnCount = 14

// maxRowsPerInsert bounds one INSERT statement: 1000 rows are 14,000
// parameters, under both SQLite's limit (32,766) and PostgreSQL's
// (65,535).
const maxRowsPerInsert = 1000

// InsertUsage writes recs in one transaction, as multi-row INSERTs of up
// to maxRowsPerInsert rows. Latency is stored in microseconds. The
// INSERTs of the sizes insertCache keeps run prepared.
func (db *DB) InsertUsage(ctx context.Context, recs []usage.Record) error {
	if len(recs) == 0 {
		return nil
	}
	// The first chunk's size, and the last one's when it differs; the
	// statements are prepared before the transaction starts.
	first, last := min(len(recs), maxRowsPerInsert), len(recs)%maxRowsPerInsert
	prepared := [2]*cachedInsert{db.inserts.get(ctx, db, first)}
	if len(recs) > maxRowsPerInsert && last != 0 {
		prepared[1] = db.inserts.get(ctx, db, last)
	}
	defer db.inserts.release(prepared[0])
	defer db.inserts.release(prepared[1])
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var inTx [2]*sql.Stmt // prepared's statements, in tx
		stmt := func(n int) *sql.Stmt {
			for i, e := range prepared {
				if e != nil && e.rows == n {
					if inTx[i] == nil {
						inTx[i] = tx.StmtContext(ctx, e.stmt)
					}
					return inTx[i]
				}
			}
			return nil
		}
		args := make([]any, 0, first*usageColumnCount)
		for chunk := range slices.Chunk(recs, maxRowsPerInsert) {
			args = args[:0]
			for i := range chunk {
				args = appendUsageRow(args, &chunk[i])
			}
			var err error
			if s := stmt(len(chunk)); s != nil {
				_, err = s.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, db.insertUsageSQL(len(chunk)), args...)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: insert %d usage records: %w", len(recs), err)
	}
	return nil
}

// insertUsageSQL is an INSERT of n rows. It is the one statement with
// anonymous ? placeholders on SQLite: SQLite looks a $N up in a list of
// the names seen so far, which makes parsing thousands of them quadratic
// (a 1000-row INSERT took 0.6 s to prepare), while ? needs no lookup.
func (db *DB) insertUsageSQL(n int) string {
	var b strings.Builder
	b.Grow(80 + n*usageColumnCount*6)
	b.WriteString("INSERT INTO usage (")
	b.WriteString(usageColumns)
	b.WriteString(") VALUES ")
	p := 1
	for row := range n {
		if row > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for col := range usageColumnCount {
			if col > 0 {
				b.WriteByte(',')
			}
			if db.dialect == DialectSQLite {
				b.WriteByte('?')
				continue
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

func appendUsageRow(args []any, r *usage.Record) []any {
	stream := int64(0)
	if r.Stream {
		stream = 1
	}
	return append(args,
		toMS(r.Time), r.RequestID, r.KeyID, r.Model, r.Deployment, r.Route,
		int64(r.Status), stream, r.InputTokens, r.OutputTokens, r.CacheReadTokens,
		r.CacheWriteTokens, int64(r.Cost), r.Latency.Microseconds())
}

// Spend is what a key's requests added up to.
type Spend struct {
	Requests         int64
	InputTokens      int64
	OutputTokens     int64
	CacheReadTokens  int64
	CacheWriteTokens int64
	Cost             usage.NanoUSD
}

// spendColumns sum the ledger. CAST keeps PostgreSQL's SUM of a BIGINT
// (a NUMERIC) an integer; COALESCE makes the sum of no rows 0.
const spendColumns = `COUNT(*),
	CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(cache_read_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(cost_nano), 0) AS BIGINT)`

// SpendSince sums the ledger of the key keyID from since (inclusive) on;
// an empty keyID sums the requests made without a key. A zero since sums
// everything.
func (db *DB) SpendSince(ctx context.Context, keyID string, since time.Time) (Spend, error) {
	var s Spend
	row := db.r.QueryRowContext(ctx,
		`SELECT `+spendColumns+` FROM usage WHERE key_id = $1 AND time_ms >= $2`, keyID, toMS(since))
	if err := row.Scan(s.dest()...); err != nil {
		return Spend{}, fmt.Errorf("store: spend of key %q: %w", keyID, err)
	}
	return s, nil
}

// UsageByModel is SpendSince grouped by the model the clients asked for,
// for the admin API's spend report. Models without requests are absent.
func (db *DB) UsageByModel(ctx context.Context, keyID string, since time.Time) (map[string]Spend, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT model, `+spendColumns+
		` FROM usage WHERE key_id = $1 AND time_ms >= $2 GROUP BY model`, keyID, toMS(since))
	if err != nil {
		return nil, fmt.Errorf("store: usage of key %q by model: %w", keyID, err)
	}
	defer rows.Close()
	out := map[string]Spend{}
	for rows.Next() {
		var (
			model string
			s     Spend
		)
		if err := rows.Scan(append([]any{&model}, s.dest()...)...); err != nil {
			return nil, fmt.Errorf("store: usage of key %q by model: %w", keyID, err)
		}
		out[model] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: usage of key %q by model: %w", keyID, err)
	}
	return out, nil
}

// dest lists s's fields in the order of spendColumns.
func (s *Spend) dest() []any {
	return []any{
		&s.Requests, &s.InputTokens, &s.OutputTokens, &s.CacheReadTokens,
		&s.CacheWriteTokens, (*int64)(&s.Cost),
	}
}
