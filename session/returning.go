package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// A write with MariaDB's RETURNING clause that runs as several shard
// statements (rows of several shards, ids from a sequence) answers with
// one result set: the first shard's column definitions, then every
// shard's rows. A DELETE's are streamed as they come, not held (it may
// return many); a multi-row INSERT's are held to be sent in the order of
// its VALUES (as many as the client sent). The terminator waits for the commit, so a
// client that read every row and no error knows the write is committed;
// a failure after some rows is an ERR in place of the next row, as a
// server sends when a statement fails mid-result, and nothing commits.

// returnedRows is the result set a RETURNING write is sending.
type returnedRows struct {
	binary  bool // the client ran a prepared statement: binary rows
	started bool // the header went out
	cols    []engine.Column
	packets [][]byte // the first shard's column definitions
	buf     []byte
}

// returningWork is the shardWork of a write with RETURNING: each route's
// statement, its rows relayed to the client. Copies of a reference table
// return one copy's rows, as one server holding the table would. The rows
// of a multi-row INSERT come back in the order of its VALUES, as MariaDB
// returns them (an application maps generated ids to its rows so): they
// are held until every shard answered (as many as the client sent), then
// sent in that order. Where a shard returned fewer rows than it was sent
// (INSERT IGNORE skipped some), the order cannot be known, and they come
// shard by shard.
func (s *Session) returningWork(plan *planner.ShardPlan, binary, inserts, sameClock, keep bool) shardWork {
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		out := &returnedRows{binary: binary}
		w := writeResult{returned: out}
		var held [][]engine.Row
		if valuesOrder(plan) {
			held = make([][]engine.Row, len(conns))
		}
		clock, err := firstRouteClock(conns, sameClock)
		if err != nil {
			return w, conns[0], err
		}
		var firstID uint64 // the first id the first copy numbered
		for i, sc := range conns {
			like := copyLikeFirst{clock: clock}
			if plan.Copies && inserts && i > 0 {
				like.insertID = firstID
			}
			run := *sc
			var inside bool
			if run.route.SQL, inside = like.statement(sc.route.SQL); !inside {
				if err := like.set(sc.conn); err != nil {
					return w, sc, err
				}
			}
			sink := func(row engine.Row) error { return out.send(s, row) }
			switch {
			case plan.Copies && i > 0:
				sink = func(engine.Row) error { return nil }
			case held != nil:
				sink = func(row engine.Row) error { held[i] = append(held[i], row); return nil }
			}
			n, warnings, failed, err := s.relayReturning(ctx, &run, out, sink)
			if err != nil {
				if failed != nil {
					failed = sc
				}
				return w, failed, err
			}
			if !inside {
				if err := like.unset(sc.conn); err != nil {
					return w, sc, err
				}
			}
			if !plan.Copies || i == 0 {
				w.affected += n
				w.warnings += warnings
			}
			if keep {
				w.results = append(w.results, connResult{sc.conn, backend.QueryResult{AffectedRows: n}})
			}
			if plan.Copies && inserts && i == 0 && len(conns) > 1 {
				// A result set carries no insert id: the copy says.
				id, err := sc.conn.QueryValue("SELECT LAST_INSERT_ID()")
				if err != nil {
					return w, sc, err
				}
				firstID, _ = strconv.ParseUint(id, 10, 64)
			}
		}
		if held != nil {
			if err := out.sendHeld(s, plan, held); err != nil {
				return w, nil, &backend.ClientError{Err: err}
			}
		}
		return w, nil, nil
	}
}

// valuesOrder: the plan's routes insert known rows of one VALUES list.
func valuesOrder(plan *planner.ShardPlan) bool {
	if plan.Copies || len(plan.Routes) < 2 {
		return false
	}
	for _, r := range plan.Routes {
		if r.InsertRows == nil {
			return false
		}
	}
	return true
}

// sendHeld sends the rows each route returned, in VALUES order when every
// route returned one row per row it inserted.
func (out *returnedRows) sendHeld(s *Session, plan *planner.ShardPlan, held [][]engine.Row) error {
	total := 0
	byValues := true
	for i, r := range plan.Routes {
		total += len(r.InsertRows)
		byValues = byValues && len(held[i]) == len(r.InsertRows)
	}
	var rows []engine.Row
	if byValues {
		rows = make([]engine.Row, total)
		for i, r := range plan.Routes {
			for k, at := range r.InsertRows {
				rows[at] = held[i][k]
			}
		}
	} else {
		rows = slices.Concat(held...)
	}
	for _, row := range rows { // send writes the header first (none: answerWrite does)
		if err := out.send(s, row); err != nil {
			return err
		}
	}
	return nil
}

// relayReturning runs one route's statement and hands its rows to sink.
// It returns the rows and warnings the route counted, and on failure the
// connection to blame (nil when the client's side failed).
func (s *Session) relayReturning(ctx context.Context, sc *shardConn, out *returnedRows, sink func(engine.Row) error) (uint64, uint16, *shardConn, error) {
	rows, err := sc.conn.QueryRows(ctx, sc.route.SQL)
	if err != nil {
		return 0, 0, sc, err
	}
	cols := rows.Columns()
	if cols == nil { // an OK: the server answered without rows
		res := rows.Result()
		return res.AffectedRows, res.Warnings, nil, rows.Close()
	}
	if out.cols == nil {
		out.cols, out.packets = cols, rows.ColumnPackets()
	}
	if len(cols) != len(out.cols) {
		_ = rows.Close()
		return 0, 0, sc, fmt.Errorf("shard %s returned %d columns where the first returned %d: do the shards' tables differ?", sc.route.Cluster, len(cols), len(out.cols))
	}
	for {
		row, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = rows.Close()
			return 0, 0, sc, cutShort(out, err)
		}
		if err := sink(row); err != nil {
			_ = rows.Close()
			return 0, 0, nil, &backend.ClientError{Err: err}
		}
	}
	res := rows.Result()
	return uint64(rows.RowCount()), res.Warnings, nil, rows.Close()
}

// begin sends the result set's header once: the column count, the first
// shard's definitions and, for clients without DEPRECATE_EOF, an EOF.
func (out *returnedRows) begin(s *Session) error {
	out.started = true
	s.forgetPrevious() // Strata answers
	s.client.Seq = s.answerSeq()
	if err := s.client.WritePacket(wire.AppendLenEnc(nil, uint64(len(out.cols)))); err != nil {
		return err
	}
	for _, p := range out.packets {
		if err := s.client.WritePacket(p); err != nil {
			return err
		}
	}
	if !s.flavor.DeprecateEOF {
		return s.client.WritePacket(wire.AppendEOF(nil, s.Status(), 0))
	}
	return nil
}

// send sends one row, after the header.
func (out *returnedRows) send(s *Session, row engine.Row) error {
	if !out.started {
		if err := out.begin(s); err != nil {
			return err
		}
	}
	out.buf = out.buf[:0]
	if out.binary {
		var err error
		if out.buf, err = engine.AppendBinaryRow(out.buf, out.cols, row); err != nil {
			return fmt.Errorf("encoding a row: %w", err)
		}
	} else {
		out.buf = engine.AppendTextRow(out.buf, row)
	}
	return s.client.WritePacket(out.buf)
}

// answerWrite ends a write over shards: the OK, or after RETURNING rows
// the result set's terminator, sent once the write committed.
func (s *Session) answerWrite(f *sqlparse.Facts, w writeResult, affected, insertID uint64, warnings uint16) error {
	out := w.returned
	if out != nil && !out.started && out.cols != nil {
		// Every shard returned no row: the header still goes out.
		if err := out.begin(s); err != nil {
			return err
		}
	}
	if out == nil || !out.started {
		return s.writeOK(f, affected, insertID, warnings, w.info.String())
	}
	s.foundRows, s.foundRowsState, s.foundRowsLost = affected, 2, ""
	if s.flavor.DeprecateEOF {
		return s.client.WriteFlush(wire.AppendOK(nil, wire.HeaderEOF, 0, 0, s.Status(), warnings))
	}
	return s.client.WriteFlush(wire.AppendEOF(nil, s.Status(), warnings))
}

// cutShort words a shard's failure in the middle of its rows: a server's
// own error keeps its code; a lost connection says that the rows already
// sent are not the whole answer (shardError's usual wording says none
// were sent), and that the write did not commit.
func cutShort(out *returnedRows, err error) error {
	var werr *wire.Error
	if !out.started || errors.As(err, &werr) {
		return err
	}
	// shardError adds the shard's name.
	return errNoBackend("Strata: the shard failed while it returned its rows (%v); the rows sent before this error are not the whole answer, and nothing of the write was committed", rootCause(err))
}
