package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// execMerge runs a SELECT on its routes and merges the rows in Strata.
func (s *Session) execMerge(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	start := time.Now()
	conns, err := s.takeConns(ctx, s.unlimitedRoutes(plan.Routes), false, plan.Walk)
	if err != nil {
		return s.WriteError(err)
	}
	defer s.giveBack(conns)
	defer s.noteTxRead(f, conns)
	defer s.running(conns)()
	if plan.SumsFoundRows() && anyShared(conns) {
		// Routes that share a connection run one after another on it, so
		// FOUND_ROWS() there would count the last one's rows only.
		return s.refuseRouting(&planner.RoutingError{Msg: "SQL_CALC_FOUND_ROWS over several period tables of one shard inside a transaction is not supported: count the total with SELECT COUNT(*) and the same WHERE"})
	}
	answer, restore, err := s.startMerge(ctx, f, plan, conns, binary, start)
	defer restore()
	if err != nil {
		return s.WriteError(err)
	}
	if plan.Walk || anyShared(conns) {
		return s.finishMerge(ctx, f, plan, conns, answer)
	}
	// Send every shard its query at once; a shard's rows are read as the
	// merge needs them.
	rows := make([]*backend.Rows, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, sc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.killing.Load() {
				errs[i] = wire.NewError(wire.ErQueryInterrupted, "Query execution was interrupted")
				return
			}
			rows[i], errs[i] = sc.conn.QueryRows(ctx, sc.route.SQL)
			if errs[i] == nil && s.killing.Load() {
				// The KILL may have come before the server began it.
				_ = s.killQueryOn(sc.conn)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			s.closeRows(rows, conns)
			s.markBroken(conns[i], err)
			s.env.Metrics.ObserveError("backend")
			return s.WriteError(shardError(conns[i].route.Cluster, err))
		}
	}
	if err := s.mergeOpened(ctx, f, plan, conns, rows, answer); err != nil {
		return err
	}
	s.noteReadLocation(conns, rows)
	// FOUND_ROWS() after it: the shards' SQL_CALC_FOUND_ROWS counts added
	// up; or, for a statement one server ran whole (an EXECUTE answered in
	// the binary protocol from its text), that server's own count.
	if (plan.SumsFoundRows() || plan.Kind == planner.PlanRelay && len(conns) == 1) && s.foundRowsState == 2 {
		s.sumFoundRows(ctx, conns)
	}
	s.noteMergeWarnings(ctx, conns, rows) // after FOUND_ROWS(), which a read there resets
	return nil
}

// startMerge prepares the answer of a merge over conns: the session's
// sql_select_limit (read on the first), and the character set the
// shards' rows are read in (readInUTF8; restore gives the connections
// theirs back, also after an error). plan answers in the binary protocol
// where the client asked for it.
func (s *Session) startMerge(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, binary bool, start time.Time) (answer mergeAnswer, restore func(), err error) {
	restore = func() {}
	limit, err := s.selectLimit(ctx, conns[0].conn, f)
	if err != nil {
		s.markBroken(conns[0], err)
		return answer, restore, shardError(conns[0].route.Cluster, err)
	}
	answer = mergeAnswer{binary: binary, start: start, limit: limit, charset: s.mergeCharset(plan, len(conns))}
	plan.Binary = binary
	if answer.charset != "" {
		restore, err = s.readInUTF8(conns)
	}
	return answer, restore, err
}

// noteMergeWarnings keeps the warnings the shards' queries of a merge
// left, each server holding its own, so the client's SHOW WARNINGS lists
// them all: read before the connections go back.
func (s *Session) noteMergeWarnings(ctx context.Context, conns []*shardConn, rows []*backend.Rows) {
	ed := s.evalDiag
	conditions := (warnedStream{rows: rows, eval: ed}).conditions()
	if s.foundRowsState != 2 || conditions == 0 {
		return // not sent (an error answered instead), or nothing to list
	}
	warned := warnedConns(conns, rows)
	var d []diagnostic
	if ed != nil && ed.shardRead {
		// The first route's, read before an evaluation replaced them.
		d, warned = ed.shard, slices.DeleteFunc(warned, func(sc *shardConn) bool { return sc == conns[0] })
	}
	d = append(d, s.collectWarnings(ctx, warned)...)
	if ed != nil {
		d = append(d, ed.own...)
	}
	s.noteShardWarnings(capWarnings(ctx, conns[0].conn, d), conditions)
}

// sumFoundRows makes FOUND_ROWS() after a merge of SELECT
// SQL_CALC_FOUND_ROWS the total: each shard counted its own rows without
// the LIMIT, and the merge keeps every shard's rows (the planner refuses
// any other), so the total is their sum. When a shard cannot say, a
// FOUND_ROWS() that follows gets an error naming it, not a wrong count.
func (s *Session) sumFoundRows(ctx context.Context, conns []*shardConn) {
	var total uint64
	for _, sc := range conns {
		n, err := foundRowsOf(ctx, sc.conn)
		if err != nil {
			s.markBroken(sc, err)
			s.foundRowsLost = sc.route.Cluster
			return
		}
		total += n
	}
	s.foundRows = total
}

// foundRowsOf reads FOUND_ROWS() on c, right after its SELECT.
func foundRowsOf(ctx context.Context, c *backend.Conn) (uint64, error) {
	rows, err := c.QueryRows(ctx, "SELECT FOUND_ROWS()")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	row, err := rows.Next(ctx)
	switch {
	case err != nil:
		return 0, fmt.Errorf("reading FOUND_ROWS(): %w", err)
	case len(row) != 1:
		return 0, fmt.Errorf("reading FOUND_ROWS(): %d columns", len(row))
	}
	return strconv.ParseUint(string(row[0]), 10, 64)
}

func (s *Session) closeRows(rows []*backend.Rows, conns []*shardConn) {
	for i, r := range rows {
		if r != nil {
			if err := r.Close(); err != nil {
				conns[i].conn.Broken = true
			}
		}
	}
}

// finishMerge is the ordered walk: each route opens only when the
// previous ones did not reach the limit.
func (s *Session) finishMerge(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, answer mergeAnswer) error {
	first, err := conns[0].conn.QueryRows(ctx, conns[0].route.SQL)
	if err != nil {
		s.markBroken(conns[0], err)
		return s.WriteError(shardError(conns[0].route.Cluster, err))
	}
	rows := make([]*backend.Rows, len(conns))
	rows[0] = first
	if err := s.mergeOpened(ctx, f, plan, conns, rows, answer); err != nil {
		return err
	}
	s.noteMergeWarnings(ctx, conns, rows)
	return nil
}

// buffered reads a route's whole answer into memory, within budget, so
// that the next route can use the same connection (routes of one
// transaction that a merge must read side by side).
func buffered(ctx context.Context, r *backend.Rows, budget *engine.Budget) (engine.RowStream, error) {
	var all []engine.Row
	for {
		row, err := r.Next(ctx)
		if err == io.EOF {
			return engine.NewSliceStream(all...), nil
		}
		if err != nil {
			return nil, err
		}
		if err := budget.Take(engine.RowBytes(row), "reading ahead a shard's rows that share a connection with another shard's"); err != nil {
			return nil, err
		}
		all = append(all, row)
	}
}

// mergeAnswer is how a merge answers its client: in the binary protocol
// or not, capped at its sql_select_limit (0: none), and converted from
// UTF-8 to charset when not "" (mergeCharset). start is when the
// statement began, for its latency.
type mergeAnswer struct {
	binary  bool
	limit   uint64
	charset string
	start   time.Time
}

// mergeCharset is the character set a merge over routes converts its
// answer to, having read the shards in UTF-8 (readInUTF8): the client
// reads results in a single-byte set, where a character the set cannot
// hold arrives as '?', and the merge compares text (it sorts, groups,
// de-duplicates or computes), which one server does over the stored
// values, not over the '?'s. "" when the rows go as the shards send them.
func (s *Session) mergeCharset(plan *planner.ShardPlan, routes int) string {
	sel := plan.Select
	if sel == nil || routes < 2 {
		return ""
	}
	if !sel.Aggregated && !sel.Distinct && len(sel.MergeOrder) == 0 && len(sel.OrderBy) == 0 && sel.Having == nil && len(sel.Computed) == 0 {
		return "" // rows concatenated as they come: nothing compared
	}
	charset := s.results
	if charset == "" {
		charset = s.charset
	}
	if !engine.ConvertsFromUTF8(charset) {
		return ""
	}
	return charset
}

// mergeOpened merges the routes' rows (rows[i] nil: opened on demand) and
// sends them to the client. The first answer gives the column definitions.
func (s *Session) mergeOpened(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, rows []*backend.Rows, answer mergeAnswer) error {
	defer s.closeRows(rows, conns)
	s.evalDiag = nil
	var budget *engine.Budget // one route's rows stream through: nothing to hold
	if len(conns) > 1 {
		budget = s.statementBudget()
	}
	stream, outCols, outPackets, err := s.mergeStream(ctx, plan, conns, rows, budget)
	var rerr routingError
	switch {
	case errors.As(err, &rerr):
		return s.refuseRouting(rerr.err)
	case err != nil:
		return s.WriteError(err)
	}
	if answer.charset != "" {
		if outPackets, err = transcodeColumns(outPackets, answer.charset); err != nil {
			return s.WriteError(shardError(conns[0].route.Cluster, err))
		}
		stream = engine.Transcoded(stream, outCols, answer.charset)
	}
	if err := s.sendRows(ctx, outCols, outPackets, warnedStream{capRows(stream, answer.limit), rows, s.evalDiag}, answer.binary); err != nil {
		return err
	}
	label := "shard_merge"
	if len(conns) == 1 {
		label = "shard"
	}
	// The statement once, by how many shards it needed (a bounded label);
	// each shard query on its own counter.
	s.observeSharded(f, label, plan, time.Since(answer.start))
	for _, sc := range conns {
		s.env.Metrics.ShardQuery(sc.route.Cluster, "read")
	}
	return nil
}

// warnedStream passes a merge's rows on and, once they are all read,
// says how many warnings the shards' queries left: each server counts its
// own, and one server's answer would carry their sum.
type warnedStream struct {
	engine.RowStream
	rows []*backend.Rows
	eval *evalDiagnostics // nil: no expression evaluated after the merge
}

// Warnings is the sum of the shards' warning counts, capped as the
// protocol's field is.
func (w warnedStream) Warnings() uint16 {
	return uint16(min(w.conditions(), math.MaxUint16))
}

// conditions is the sum of the shards' warning counts: @@warning_count
// after the merge.
func (w warnedStream) conditions() uint64 {
	var n uint64
	for _, r := range w.rows {
		if r != nil {
			n += uint64(r.Result().Warnings)
		}
	}
	if w.eval != nil {
		n += w.eval.count
	}
	return n
}

// FoundRows passes the merged stream's count on (-1: it keeps none).
func (w warnedStream) FoundRows() int64 {
	if f, ok := w.RowStream.(engine.FoundRowser); ok {
		return f.FoundRows()
	}
	return -1
}

// capWarnings keeps as many of the shards' warnings as one server would
// list (max_error_count, the session's, read on c).
func capWarnings(ctx context.Context, c *backend.Conn, d []diagnostic) []diagnostic {
	_, row, err := queryRow(ctx, c, "SELECT @@max_error_count")
	if err != nil || len(row) != 1 {
		return d
	}
	if limit, err := strconv.Atoi(string(row[0])); err == nil && limit >= 0 && limit < len(d) {
		return d[:limit]
	}
	return d
}

// warnedConns are the connections whose query left warnings.
func warnedConns(conns []*shardConn, rows []*backend.Rows) []*shardConn {
	var out []*shardConn
	for i, sc := range conns {
		if rows[i] != nil && rows[i].Result().Warnings > 0 {
			out = append(out, sc)
		}
	}
	return out
}

// routingError is a merge Strata cannot build for the plan: the client
// gets it as a routing refusal.
type routingError struct{ err error }

func (e routingError) Error() string { return e.err.Error() }

// mergeStream builds the merged rows of the routes' answers (rows[i] nil:
// opened on demand) and the column definitions the client sees; what
// its steps hold is accounted in budget. Its errors are a routingError
// or the client's error.
func (s *Session) mergeStream(ctx context.Context, plan *planner.ShardPlan, conns []*shardConn, rows []*backend.Rows, budget *engine.Budget) (engine.RowStream, []engine.Column, [][]byte, error) {
	var cols []engine.Column
	var colPackets [][]byte
	for _, r := range rows {
		if r != nil && len(r.Columns()) > 0 {
			cols, colPackets = r.Columns(), r.ColumnPackets()
			break
		}
	}
	if rename := s.periodNames(plan.Routes...); rename != nil {
		for i, p := range colPackets {
			if renamed, ok := wire.RenameOrgTable(p, rename); ok {
				colPackets[i] = renamed
			}
		}
	}
	sources := make([]engine.Source, len(conns))
	for i, sc := range conns {
		i, sc := i, sc
		sources[i] = engine.NewSource(sc.route.Cluster, func(ctx context.Context) (engine.RowStream, error) {
			if sc.ahead != nil {
				return engine.NewSliceStream(sc.ahead...), nil
			}
			if rows[i] == nil {
				r, err := sc.conn.QueryRows(ctx, sc.route.SQL)
				if err != nil {
					s.markBroken(sc, err)
					return nil, err
				}
				rows[i] = r
			}
			if sc.shared && !plan.Walk {
				return buffered(ctx, rows[i], budget)
			}
			return rowsStream{rows[i]}, nil
		})
	}
	var stream engine.RowStream
	var err error
	plan.Sequential = anyShared(conns)
	switch {
	case plan.Select != nil && len(conns) > 1:
		s.evalDiag = &evalDiagnostics{}
		stream, err = plan.MergeStream(s.env.Sharding.MergeColumns(ctx, cols, plan.Select.Sources), sources, s.evaluator(conns[0], rows, 0, s.evalDiag), budget)
	case plan.Sequential:
		stream = engine.NewOrderedWalk(sources, -1)
	default:
		stream = engine.NewConcat(sources...)
	}
	if err != nil {
		return nil, nil, nil, routingError{err}
	}
	if cols == nil {
		// Only a walk opens later sources lazily; its first route answered.
		return nil, nil, nil, shardError(conns[0].route.Cluster, errors.New("the shard returned no result set"))
	}
	outCols, outPackets := cols, colPackets
	if plan.Select != nil && len(conns) > 1 { // the shards ran the scatter form
		visible := visibleColumns(plan.Select, len(cols))
		if outCols, outPackets, err = clientColumns(plan, cols, colPackets, visible); err != nil {
			return nil, nil, nil, shardError(conns[0].route.Cluster, err)
		}
	}
	return stream, outCols, outPackets, nil
}

// statementBudget bounds what the statement running now holds in
// Strata's memory (limits.max_merge_memory): its merges' sorts and
// DISTINCT sets, and the rows it reads first to put in its text. It
// draws on what all statements hold together
// (limits.max_merge_memory_total) and is released when the statement
// ends. Made on first use, so a statement that holds nothing costs
// nothing.
func (s *Session) statementBudget() *engine.Budget {
	b := s.budget.Load()
	if b == nil {
		b = engine.NewBudget("limits.max_merge_memory", s.maxMergeMemory(), s.env.MergeMemory)
		s.budget.Store(b)
	}
	return b
}

// releaseBudget gives back what the statement held.
func (s *Session) releaseBudget() {
	if b := s.budget.Load(); b != nil {
		b.Release()
		s.budget.Store(nil)
	}
}

// memoryLimitError is the client's error for a statement that would hold
// more than its budget allows.
func memoryLimitError(err error) error {
	return wire.NewError(wire.ErOutOfSortMemory, "Strata: the statement stopped: %v; Strata holds these rows in its own memory and cannot spill them to disk as a server does. "+
		"Add a LIMIT, narrow the WHERE, give the shard key, or raise that limit", err)
}

// evaluator runs the queries that evaluate expressions over aggregates
// (engine.Compute) on the connection of route i, which has the session's
// variables (sql_mode, time_zone, div_precision_increment...) that the
// expressions depend on. Compute asks only once the merge read every
// shard's answer to its end, so the connection is free by then. What the
// evaluations warn of (a division by zero) is the statement's warning,
// as on one server, and an error they answer (a value out of range) is
// the statement's error, with the server's code; ed keeps the warnings.
func (s *Session) evaluator(sc *shardConn, rows []*backend.Rows, i int, ed *evalDiagnostics) engine.Evaluator {
	return func(ctx context.Context, query string) ([]engine.Row, error) {
		if rows[i] != nil {
			if err := rows[i].Close(); err != nil {
				return nil, err
			}
			if !ed.shardRead && rows[i].Result().Warnings > 0 {
				// The evaluation replaces the route's own warnings there.
				ed.shard, ed.shardRead = s.collectWarnings(ctx, []*shardConn{sc}), true
			}
		}
		r, err := sc.conn.QueryRows(ctx, query)
		if err != nil {
			s.markBroken(sc, err)
			return nil, evalError(err)
		}
		defer r.Close()
		out, err := engine.Collect(ctx, rowsStream{r})
		if err != nil {
			return nil, evalError(err)
		}
		if n := r.Result().Warnings; n > 0 {
			ed.count += uint64(n)
			// One server would warn so evaluating the statement: they
			// name no shard.
			own, _ := showWarnings(ctx, sc.conn, func(msg string) string { return msg })
			ed.own = append(ed.own, own...)
		}
		return out, nil
	}
}

// evalDiagnostics is what the evaluations of a merge's expressions over
// aggregates left on their connection: the route's own warnings, read
// before the first evaluation replaced them (shardRead), and the
// evaluations' warnings, count of them reported.
type evalDiagnostics struct {
	shard     []diagnostic
	shardRead bool
	own       []diagnostic
	count     uint64
}

// evaluatedError marks a server's error answering an evaluation of
// expressions over the merged aggregates: the statement's own error, as
// one server would answer it (mergeError passes it on).
type evaluatedError struct{ err *wire.Error }

func (e evaluatedError) Error() string { return e.err.Error() }
func (e evaluatedError) Unwrap() error { return e.err }

// evalError marks err as an evaluation's error when a server answered it.
func evalError(err error) error {
	var werr *wire.Error
	if errors.As(err, &werr) {
		return evaluatedError{err: werr}
	}
	return err
}

func visibleColumns(sel *sqlparse.ScatterSelect, n int) int {
	if sel.Visible >= 0 {
		return sel.Visible
	}
	return n - sel.Hidden
}

// rowsStream lets the engine close a shard's rows without closing them
// twice (mergeOpened closes every opened one at the end).
type rowsStream struct{ r *backend.Rows }

func (r rowsStream) Next(ctx context.Context) (engine.Row, error) { return r.r.Next(ctx) }

// Close drains the rest of the answer, so that a walk can send the next
// route's query on the same connection. Closing twice is harmless.
func (r rowsStream) Close() error { return r.r.Close() }

// mergeError is the client's error for a merged stream that failed: the
// shard's own, or why Strata could not merge the shards' rows. started:
// rows were sent before it.
func mergeError(err error, started bool) error {
	if errors.Is(err, engine.ErrUnsorted) {
		return wire.NewError(wire.ErNotSupportedYet, "Strata cannot merge the shards' rows in order: they sort differently on the servers than as this connection receives them "+
			"(characters the connection's character set cannot hold arrive as '?': use SET NAMES utf8mb4; or a collation Strata only approximates). "+
			"Order or group by a numeric or binary column, or give the shard key")
	}
	if errors.Is(err, engine.ErrMemoryLimit) {
		return memoryLimitError(err)
	}
	if errors.Is(err, engine.ErrNotMergeable) {
		return wire.NewError(wire.ErNotSupportedYet, "Strata %v; give the shard key, or narrow the groups", err)
	}
	var evaluated evaluatedError
	if errors.As(err, &evaluated) && !started {
		return evaluated.err
	}
	var unread *engine.CollationUnknownError
	if errors.As(err, &unread) && !started {
		return wire.NewError(wire.ErNotSupportedYet, "Strata: %s", unread.Reason)
	}
	if errors.Is(err, engine.ErrNotComputable) {
		return wire.NewError(wire.ErNotSupportedYet, "Strata cannot evaluate this expression over aggregates after merging the shards (%v): "+
			"select the aggregates themselves and compute in the application, or give the shard key", err)
	}
	cluster := ""
	var se *engine.SourceError
	if errors.As(err, &se) {
		cluster, err = se.Source, se.Err
	}
	var werr *wire.Error
	if cluster != "" && (!started || errors.As(err, &werr)) {
		return shardError(cluster, err)
	}
	if cluster == "" {
		return errNoBackend("Strata: merging the shards' rows failed (%v)", rootCause(err))
	}
	return errNoBackend("Strata: shard %s failed during the query (%v); the rows sent before this error are not the whole answer", cluster, rootCause(err))
}

// mergeErrorKind is the strata_query_errors_total kind of a merged
// stream's error: Strata's own refusal (rows it cannot merge, or more
// than limits.max_merge_memory), else a shard's failure.
func mergeErrorKind(err error) string {
	for _, refused := range []error{engine.ErrMemoryLimit, engine.ErrUnsorted, engine.ErrNotMergeable, engine.ErrNotComputable} {
		if errors.Is(err, refused) {
			return "proxy"
		}
	}
	return "backend"
}

// sendRows writes a result set built by Strata: the shards' column
// definitions, the merged rows, the end packet. Nothing is written before
// the first row is known, so a shard failing early fails the whole query
// with an error; a failure after rows went out is an error packet in
// place of the next row (what a server sends when a statement fails
// mid-result), and the session goes on.
func (s *Session) sendRows(ctx context.Context, cols []engine.Column, colPackets [][]byte, stream engine.RowStream, binary bool) error {
	s.forgetPrevious() // Strata answers
	var buf []byte
	started := false
	var sent uint64
	start := func() error {
		started = true
		s.client.Seq = s.answerSeq()
		if err := s.client.WritePacket(wire.AppendLenEnc(nil, uint64(len(cols)))); err != nil {
			return err
		}
		for _, p := range colPackets {
			if err := s.client.WritePacket(p); err != nil {
				return err
			}
		}
		if !s.flavor.DeprecateEOF {
			return s.client.WritePacket(wire.AppendEOF(nil, s.Status(), 0))
		}
		return nil
	}
	for {
		row, err := stream.Next(ctx)
		if err != nil {
			cerr := stream.Close()
			if err != io.EOF {
				s.env.Metrics.ObserveError(mergeErrorKind(err))
				// After rows, the error takes the place of the next row,
				// as a server's does when a statement fails mid-result:
				// the client hears why, and the session goes on.
				return s.WriteError(mergeError(err, started))
			}
			if cerr != nil && !started {
				return s.WriteError(mergeError(cerr, started))
			}
			break
		}
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		buf = buf[:0]
		if binary {
			if buf, err = engine.AppendBinaryRow(buf, cols, row); err != nil {
				return fmt.Errorf("encoding a row: %w", err)
			}
		} else {
			buf = engine.AppendTextRowOf(buf, cols, row)
		}
		if err := s.client.WritePacket(buf); err != nil {
			return err
		}
		sent++
	}
	if !started {
		if err := start(); err != nil {
			return err
		}
	}
	// No server saw this result: FOUND_ROWS() after it is the session's
	// to answer (sessionRowCount): the rows sent, or with a LIMIT the rows
	// read up to its end, as MariaDB counts them, unless the merge adds up
	// the shards' SQL_CALC_FOUND_ROWS counts (sumFoundRows).
	if f, ok := stream.(engine.FoundRowser); ok && f.FoundRows() >= 0 {
		sent = uint64(f.FoundRows())
	}
	s.foundRows, s.foundRowsState, s.foundRowsLost = sent, 2, ""
	s.rowCount, s.rowCountState = -1, 2 // as after any SELECT
	var warnings uint16
	if w, ok := stream.(interface{ Warnings() uint16 }); ok {
		warnings = w.Warnings() // the stream is closed: every shard's answer is read
	}
	if s.flavor.DeprecateEOF {
		return s.client.WriteFlush(wire.AppendOK(nil, wire.HeaderEOF, 0, 0, s.Status(), warnings))
	}
	return s.client.WriteFlush(wire.AppendEOF(nil, s.Status(), warnings))
}

// transcodeColumns is column definitions read in UTF-8 as a client
// reading charset gets them (engine.TranscodeColumnDef).
func transcodeColumns(packets [][]byte, charset string) ([][]byte, error) {
	out := make([][]byte, len(packets))
	for i, p := range packets {
		var err error
		if out[i], err = engine.TranscodeColumnDef(p, charset); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noteTxRead counts a merge as a statement of the open transaction only
// when it read through the transaction's connection; a read of other
// shards alone leaves the transaction free to start where it likes.
func (s *Session) noteTxRead(f *sqlparse.Facts, conns []*shardConn) {
	for _, sc := range conns {
		if sc.pinned {
			s.noteTxStatement(f)
			return
		}
	}
}

// sameDefinition: a and b send the same column definition.
func sameDefinition(a, b engine.Column) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Flags == b.Flags && a.Charset == b.Charset && a.Decimals == b.Decimals && a.Length == b.Length
}

// clientColumns are the visible columns as the client sees them: the
// shards' definitions, retyped where Strata computes an aggregate of
// another type than the shards' column.
func clientColumns(plan *planner.ShardPlan, cols []engine.Column, packets [][]byte, visible int) ([]engine.Column, [][]byte, error) {
	if len(cols) == 0 {
		return cols, packets, nil
	}
	out := plan.OutputColumns(cols)[:visible]
	outPackets := packets[:visible]
	for i := range out {
		if sameDefinition(out[i], cols[i]) {
			continue
		}
		if len(outPackets) > 0 && &outPackets[0] == &packets[0] {
			outPackets = append([][]byte(nil), outPackets...)
		}
		p, err := engine.RetypeColumnDef(packets[i], out[i])
		if err != nil {
			return nil, nil, err
		}
		outPackets[i] = p
	}
	return out, outPackets, nil
}
