package session

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// processListInfo is how much of a statement SHOW PROCESSLIST shows
// (all of it with FULL), as MariaDB does.
const processListInfo = 100

// answerProcessList answers SHOW [FULL] PROCESSLIST from Strata's own
// sessions: the ids are the ones CONNECTION_ID() returns and KILL takes.
// A server's list would show Strata's backend connections, whose ids KILL
// would read as another client's session. As on MariaDB without the
// PROCESS privilege, a user sees its own sessions. ok is false for any
// other statement.
func (s *Session) answerProcessList(ctx context.Context, f *sqlparse.Facts) (ok bool, err error) {
	full := strings.HasPrefix(f.Digest, "show full processlist")
	if !full && !strings.HasPrefix(f.Digest, "show processlist") {
		return false, nil
	}
	names := []string{"Id", "User", "Host", "db", "Command", "Time", "State", "Info", "Progress"}
	cols := make([]engine.Column, len(names))
	packets := make([][]byte, len(names))
	for i, n := range names {
		cols[i] = engine.Column{Name: n, Type: engine.TypeVarString, Charset: 45}
		packets[i] = wire.AppendTextColumn(nil, n)
	}
	cols[0] = engine.Column{Name: "Id", Type: engine.TypeLongLong, Flags: engine.FlagUnsigned | engine.FlagBinary, Charset: engine.CharsetBinary}
	packets[0] = wire.AppendColumnDef(nil, "Id", wire.TypeLongLong, 63, 21, wire.FlagNotNull|wire.FlagUnsigned|wire.FlagBinary)
	var rows []engine.Row
	for _, p := range s.processes(f.Text, !full) {
		var info engine.Value
		if p.running {
			info = engine.Value(p.info)
		}
		rows = append(rows, engine.Row{
			engine.Value(strconv.FormatUint(uint64(p.id), 10)), engine.Value(p.user), engine.Value(p.host), p.db,
			engine.Value(p.command), engine.Value(strconv.Itoa(p.seconds)), engine.Value(p.state), info, engine.Value("0.000"),
		})
	}
	return true, s.sendRows(ctx, cols, packets, engine.NewSliceStream(rows...), false)
}

// process is one session as a process list shows it.
type process struct {
	id             uint32
	user, host     string
	db             engine.Value // nil: no schema
	command, state string
	seconds        int
	runningMs      float64
	running        bool   // info holds the running statement
	info           string // its digest; this session's own statement as written
}

// processes lists the sessions of this session's user, as MariaDB lists a
// user's own threads to a user without PROCESS: own is the statement this
// session runs now, cut to processListInfo bytes when short is set.
func (s *Session) processes(own string, short bool) []process {
	var out []process
	for _, in := range s.env.Registry.List() {
		if in.User != s.User {
			continue
		}
		// Asleep, the time is how long the session has waited for its
		// client, as on MariaDB.
		p := process{id: in.ID, user: in.User, host: in.Client, command: "Sleep", seconds: int(in.IdleMs / 1000), runningMs: in.IdleMs}
		if in.State == "query" || in.ID == s.ID {
			p.command, p.state, p.running = "Query", "executing", true
			p.seconds, p.runningMs = int(in.RunningMs/1000), in.RunningMs
			p.info = in.Statement
			if in.ID == s.ID {
				p.info = own // this very statement
			}
			if short && len(p.info) > processListInfo {
				p.info = strings.ToValidUTF8(p.info[:processListInfo], "")
			}
		}
		if in.DB != "" {
			p.db = engine.Value(in.DB)
		}
		out = append(out, p)
	}
	return out
}

// information_schema.PROCESSLIST, read on a server, lists the threads of
// Strata's server account: every client's backend connection, all users'
// statements in full, by server thread ids that KILL through Strata reads
// as Strata's own (an operator's SELECT ID ... WHERE INFO LIKE ..., then
// KILL, stopped another session). So Strata writes its own list in the
// table's place, as a derived table of literal rows with the table's
// columns: the same sessions SHOW PROCESSLIST shows, and the server runs
// the client's query over them.

// processListColumns is information_schema.PROCESSLIST's columns
// (MariaDB 10.11) with their types, as the first, empty, part of the
// derived table, which names the columns and sets their types.
const processListColumns = "CAST(0 AS UNSIGNED) AS ID, CAST('' AS CHAR(128)) AS USER, CAST('' AS CHAR(64)) AS HOST, " +
	"CAST(NULL AS CHAR(64)) AS DB, CAST('' AS CHAR(16)) AS COMMAND, 0 AS TIME, CAST(NULL AS CHAR(64)) AS STATE, " +
	"CAST(NULL AS CHAR) AS INFO, 0.000 AS TIME_MS, 0 AS STAGE, 0 AS MAX_STAGE, 0.000 AS PROGRESS, 0 AS MEMORY_USED, " +
	"0 AS MAX_MEMORY_USED, 0 AS EXAMINED_ROWS, 0 AS QUERY_ID, CAST(NULL AS BINARY) AS INFO_BINARY, 0 AS TID"

// readsProcessList reports whether f reads information_schema.PROCESSLIST.
func (s *Session) readsProcessList(f *sqlparse.Facts) bool {
	for _, t := range f.Tables {
		if t.Name == "processlist" && (t.Schema == "information_schema" || t.Schema == "" && strings.EqualFold(s.DB, "information_schema")) {
			return true
		}
	}
	return false
}

// processListAsRows is sql with each information_schema.PROCESSLIST it
// reads replaced by Strata's list of this user's sessions; ok is false
// when it names the table nowhere Strata can replace it.
func (s *Session) processListAsRows(sql string) (text string, ok bool) {
	read := sql
	if s.multibyte != nil {
		read, _ = s.multibyte.Mask(sql)
	}
	m := s.readingMode()
	refs := m.ProcessListRefs(read, strings.EqualFold(s.DB, "information_schema"))
	if len(refs) == 0 {
		return sql, false
	}
	table := s.processListTable(sql)
	rs := make([]sqlparse.Replacement, len(refs))
	for i, r := range refs {
		rs[i] = sqlparse.Replacement{Start: r.Start, End: r.End, Text: table}
		if !r.Aliased {
			rs[i].Text += " AS PROCESSLIST"
		}
	}
	return m.Replace(sql, read, rs), true
}

// processListTable is the derived table of this user's sessions; own is
// the statement this session runs, its INFO.
func (s *Session) processListTable(own string) string {
	noBackslash := s.readingMode().NoBackslashEscapes()
	literal := func(v string) string {
		text := textLiteral([]byte(v), noBackslash)
		if text[0] == 'X' {
			return "CONVERT(" + string(text) + " USING utf8mb4)"
		}
		return string(text)
	}
	var b strings.Builder
	b.WriteString("(SELECT " + processListColumns + " FROM DUAL WHERE 0")
	for _, p := range s.processes(own, false) {
		db, info := "NULL", "NULL"
		if p.db != nil {
			db = literal(string(p.db))
		}
		if p.running {
			info = literal(p.info)
		}
		fmt.Fprintf(&b, " UNION ALL SELECT %d, %s, %s, %s, %s, %d, %s, %s, %.3f, 0, 0, 0.000, 0, 0, 0, 0, NULL, 0",
			p.id, literal(p.user), literal(p.host), db, literal(p.command), p.seconds, literal(p.state), info, p.runningMs)
	}
	b.WriteString(")")
	return b.String()
}

// errProcessListPrepared refuses a SQL-level PREPARE or EXECUTE
// IMMEDIATE of a statement that reads information_schema.PROCESSLIST:
// Strata writes its list into a statement it runs, and the server would
// run that text over its own threads.
func errProcessListPrepared() *wire.Error {
	return wire.NewError(wire.ErNotSupportedYet,
		"Strata: information_schema.PROCESSLIST lists Strata's sessions (the ids KILL takes), which Strata writes into each statement it runs; in a SQL-level PREPARE or EXECUTE IMMEDIATE the server would list its own threads instead. Send the statement itself, or prepare it with the client library")
}
