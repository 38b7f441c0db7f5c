package engine

import (
	"context"
	"io"
)

// Limit applies LIMIT count OFFSET offset after a merge. The planner
// pushes LIMIT offset+count to every shard, since any shard may hold the
// rows that survive the offset. It stops reading its input once count
// rows are out.
type Limit struct {
	in            RowStream
	offset, count int64
	skipped, sent int64
}

// NewLimit returns in without its first offset rows and with at most
// count rows; count < 0 means no limit.
func NewLimit(in RowStream, offset, count int64) *Limit {
	return &Limit{in: in, offset: max(offset, 0), count: count}
}

// Next returns the next row within the window.
func (l *Limit) Next(ctx context.Context) (Row, error) {
	if l.count >= 0 && l.sent >= l.count {
		return nil, io.EOF
	}
	for l.skipped < l.offset {
		if _, err := l.in.Next(ctx); err != nil {
			return nil, err
		}
		l.skipped++
	}
	r, err := l.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	l.sent++
	return r, nil
}

// Close closes the input.
func (l *Limit) Close() error { return l.in.Close() }

// FoundRows is what MariaDB's FOUND_ROWS() says after a SELECT with this
// LIMIT and no SQL_CALC_FOUND_ROWS: the rows read up to the end of the
// window, the skipped offset included (LIMIT 50, 10 over 100 rows: 60).
func (l *Limit) FoundRows() int64 { return l.skipped + l.sent }
