package session

import (
	"context"
	"fmt"
	"strconv"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// Some diagnostics no one server holds, yet the client may ask for them
// right after:
//   - an error Strata itself answered (a refusal, a shard that failed, a
//     merge it could not make);
//   - the warnings of a read merged over shards, or of a write that ran on
//     several (a LOAD DATA's rows without every column, an INSERT IGNORE's
//     duplicates), each server holding its own.
// Strata answers the statements that read them itself, as a server
// answers from its diagnostics area: SHOW WARNINGS, SHOW ERRORS (with a
// LIMIT), SHOW COUNT(*) WARNINGS or ERRORS, and a SELECT of
// @@warning_count and @@error_count. Like a server it answers them again
// for each such statement that follows; any other statement ends them.
// A server also keeps them across a statement that reads no table and
// raises nothing (SET @a = 1, DO 1, SELECT NOW()): so does Strata, when
// such a statement's answer says it raised nothing (keepsDiagnostics).

// diagnostic is one row of SHOW WARNINGS: Level, Code, Message.
type diagnostic struct {
	level   string
	code    uint16
	message string
}

// heldDiagnostics are the diagnostics Strata holds of the statement just
// answered: what SHOW WARNINGS lists, capped by max_error_count as a
// server caps it, and the number of conditions, which is not capped.
type heldDiagnostics struct {
	list       []diagnostic
	conditions uint64
}

// errors is @@error_count: the conditions of level Error.
func (h *heldDiagnostics) errors() uint64 {
	var n uint64
	for _, d := range h.list {
		if d.level == "Error" {
			n++
		}
	}
	return n
}

// keepsDiagnostics reports whether the statement f, about to run on a
// server, leaves the diagnostics Strata holds in place if it raises none:
// a single SELECT, SET or DO that reads no table, which MariaDB runs
// without clearing its diagnostics area.
func (s *Session) keepsDiagnostics(f *sqlparse.Facts, statements int) bool {
	if s.ownDiagState != 1 || s.ownDiag.conditions == 0 || statements != 1 || f.Fallback || len(f.Tables) > 0 {
		return false
	}
	return f.Kind == sqlparse.KindSelect || f.Kind == sqlparse.KindSet || f.Kind == sqlparse.KindDo
}

// noteOwnError keeps the error Strata is answering for the next command.
func (s *Session) noteOwnError(e *wire.Error) {
	s.ownDiag, s.ownDiagState = heldDiagnostics{[]diagnostic{{"Error", e.Code, e.Message}}, 1}, 2
}

// noteShardWarnings keeps the warnings the shards of a statement
// reported: d as SHOW WARNINGS lists them, conditions their number (the
// sum of the servers' warning counts), at least len(d).
func (s *Session) noteShardWarnings(d []diagnostic, conditions uint64) {
	s.ownDiag, s.ownDiagState = heldDiagnostics{d, max(conditions, uint64(len(d)))}, 2
}

// collectWarnings reads SHOW WARNINGS on each connection of a write whose
// statements reported warnings, before anything else runs there, naming
// the shard in each message and the client's row (clientRowMessage). They
// are listed in the order of the client's rows, as one server lists
// them (byClientRow). A connection that cannot answer is skipped: the
// write itself succeeded.
func (s *Session) collectWarnings(ctx context.Context, conns []*shardConn) []diagnostic {
	var lists [][]diagnostic
	for _, sc := range conns {
		if sc.shared && !sc.owned && !sc.pinned {
			continue // a further route on a connection read already
		}
		out, err := showWarnings(ctx, sc.conn, func(msg string) string {
			return fmt.Sprintf("%s (on shard %s)", clientRowMessage(msg, sc.clientRow), sc.route.Cluster)
		})
		if err != nil {
			continue
		}
		lists = append(lists, out)
	}
	return byClientRow(lists)
}

// showWarnings reads SHOW WARNINGS on c, each message as message words it.
func showWarnings(ctx context.Context, c *backend.Conn, message func(string) string) ([]diagnostic, error) {
	rows, err := c.QueryRows(ctx, "SHOW WARNINGS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []diagnostic
	for {
		r, err := rows.Next(ctx)
		if err != nil {
			return out, nil
		}
		if len(r) >= 3 {
			code, _ := strconv.Atoi(string(r[1]))
			out = append(out, diagnostic{string(r[0]), uint16(code), message(string(r[2]))})
		}
	}
}

// byClientRow merges the shards' warnings (each shard's list in the order
// of its rows) into the order of the client's rows they are about, as
// one server lists its own. A warning that names no row (a duplicate
// that INSERT IGNORE skipped) keeps its place after the warning before
// it on its shard; lists whose warnings name no row stay in shard order.
func byClientRow(lists [][]diagnostic) []diagnostic {
	var out []diagnostic
	rows := make([][]int, len(lists))
	for i, list := range lists {
		row := 0
		for _, d := range list {
			if n, ok := messageRow(d.message); ok {
				row = n
			}
			rows[i] = append(rows[i], row)
		}
	}
	next := make([]int, len(lists))
	for {
		pick := -1
		for i := range lists {
			if next[i] < len(lists[i]) && (pick < 0 || rows[i][next[i]] < rows[pick][next[pick]]) {
				pick = i
			}
		}
		if pick < 0 {
			return out
		}
		out = append(out, lists[pick][next[pick]])
		next[pick]++
	}
}

// answerOwnDiagnostics answers a statement that reads the diagnostics
// Strata holds of the statement just answered (sqlparse.DiagnosticsRead);
// ok is false when it does not apply.
func (s *Session) answerOwnDiagnostics(ctx context.Context, f *sqlparse.Facts, sql string) (ok bool, err error) {
	if s.ownDiagState != 1 || s.ownDiag.conditions == 0 || !f.ReadsPrevious {
		return false, nil
	}
	d, ok := s.readingMode().ParseDiagnosticsRead(sql)
	if !ok {
		return false, nil
	}
	held := s.ownDiag
	switch {
	case !d.Show:
		err = s.sendCounts(ctx, d.Counts, held)
	case d.Count && d.ErrorsOnly:
		err = s.sendCounts(ctx, []sqlparse.DiagnosticsCount{{Name: "@@session.error_count", Errors: true}}, held)
	case d.Count:
		err = s.sendCounts(ctx, []sqlparse.DiagnosticsCount{{Name: "@@session.warning_count"}}, held)
	default:
		err = s.sendDiagnostics(ctx, held.list, d)
	}
	s.ownDiag, s.ownDiagState = held, 2 // the next such statement reads them again
	return true, err
}

// sendCounts answers one row of the held diagnostics' counts, typed as a
// server types @@warning_count.
func (s *Session) sendCounts(ctx context.Context, items []sqlparse.DiagnosticsCount, held heldDiagnostics) error {
	cols := make([]engine.Column, len(items))
	packets := make([][]byte, len(items))
	row := make(engine.Row, len(items))
	for i, it := range items {
		cols[i] = engine.Column{Name: it.Name, Type: engine.TypeLongLong, Flags: engine.FlagUnsigned | engine.FlagBinary, Charset: engine.CharsetBinary}
		packets[i] = wire.AppendColumnDef(nil, it.Name, wire.TypeLongLong, 63, 21, wire.FlagUnsigned|wire.FlagBinary)
		n := held.conditions
		if it.Errors {
			n = held.errors()
		}
		row[i] = strconv.AppendUint(nil, n, 10)
	}
	return s.sendRows(ctx, cols, packets, engine.NewSliceStream(row), false)
}

// sendDiagnostics answers SHOW WARNINGS or SHOW ERRORS of list, with the
// statement's LIMIT.
func (s *Session) sendDiagnostics(ctx context.Context, list []diagnostic, d *sqlparse.DiagnosticsRead) error {
	cols := []engine.Column{
		{Name: "Level", Type: engine.TypeVarString, Charset: 45},
		{Name: "Code", Type: engine.TypeLong, Flags: engine.FlagUnsigned | engine.FlagBinary, Charset: engine.CharsetBinary},
		{Name: "Message", Type: engine.TypeVarString, Charset: 45},
	}
	packets := [][]byte{
		wire.AppendColumnDef(nil, "Level", wire.TypeVarString, 45, 21, wire.FlagNotNull),
		wire.AppendColumnDef(nil, "Code", wire.TypeLong, 63, 4, wire.FlagNotNull|wire.FlagUnsigned|wire.FlagBinary),
		wire.AppendColumnDef(nil, "Message", wire.TypeVarString, 45, 1536, wire.FlagNotNull),
	}
	var rows []engine.Row
	for _, c := range list {
		if d.ErrorsOnly && c.level != "Error" {
			continue
		}
		rows = append(rows, engine.Row{[]byte(c.level), []byte(strconv.Itoa(int(c.code))), []byte(c.message)})
	}
	rows = rows[min(d.Offset, int64(len(rows))):]
	if d.Limit >= 0 && d.Limit < int64(len(rows)) {
		rows = rows[:d.Limit]
	}
	return s.sendRows(ctx, cols, packets, engine.NewSliceStream(rows...), false)
}
