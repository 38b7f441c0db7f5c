package session

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// connectionIDQuery is SELECT CONNECTION_ID() [[AS] alias]: the id a client
// later gives to KILL, so it must be Strata's id, not a backend thread's.
var connectionIDQuery = regexp.MustCompile("(?is)^\\s*select\\s+connection_id\\s*\\(\\s*\\)\\s*(?:as\\s+)?(`[^`]+`|\\w+)?\\s*;?\\s*$")

// ownConnectionID reports whether CONNECTION_ID() in the statement should
// be the client's id, Strata's: the one it gives KILL. A statement that
// compares it with ids the server reports (IS_USED_LOCK() and the rest of
// the GET_LOCK family, performance_schema.threads) keeps the backend
// connection's, as those do; information_schema.PROCESSLIST is Strata's
// list (processListAsRows), by Strata's ids.
func ownConnectionID(f *sqlparse.Facts) bool {
	if !f.ConnectionID || f.LockFunctions {
		return false
	}
	for _, t := range f.Tables {
		if t.Schema == "performance_schema" && t.Name == "threads" {
			return false
		}
	}
	return true
}

// rowCountQuery is SELECT ROW_COUNT() [[AS] alias], foundRowsQuery
// SELECT FOUND_ROWS() [[AS] alias].
var (
	rowCountQuery  = regexp.MustCompile("(?is)^\\s*select\\s+row_count\\s*\\(\\s*\\)\\s*(?:as\\s+)?(`[^`]+`|\\w+)?\\s*;?\\s*$")
	foundRowsQuery = regexp.MustCompile("(?is)^\\s*select\\s+found_rows\\s*\\(\\s*\\)\\s*(?:as\\s+)?(`[^`]+`|\\w+)?\\s*;?\\s*$")
)

// sessionRowCount handles a statement that reads what only the session
// knows of the statement before: ROW_COUNT() right after a write Strata
// split over shards, FOUND_ROWS() right after a result Strata sent itself
// (a merge of shards). SELECT ROW_COUNT() and SELECT FOUND_ROWS() are
// answered here (answerPrevious), and in any other statement the call is
// replaced by the value. sql is the text to run (changed when replaced);
// done: the statement was answered.
func (s *Session) sessionRowCount(ctx context.Context, sql string, f *sqlparse.Facts) (text string, done bool, err error) {
	if !f.ReadsPrevious {
		return sql, false, nil
	}
	if done, err := s.answerPrevious(ctx, sql, false); done {
		return sql, true, err
	}
	text = sql
	if s.rowCountState == 1 {
		text, _ = s.replaceCall(text, "row_count", strconv.FormatInt(s.rowCount, 10))
	}
	if s.foundRowsState == 1 && s.foundRowsLost == "" {
		text, _ = s.replaceCall(text, "found_rows", strconv.FormatUint(s.foundRows, 10))
	}
	return text, false, nil
}

// answerPrevious answers SELECT ROW_COUNT() and SELECT FOUND_ROWS() when
// only the session knows the value (see sessionRowCount), in the text or
// the binary protocol; done is false for any other statement.
func (s *Session) answerPrevious(ctx context.Context, sql string, binary bool) (done bool, err error) {
	if s.rowCountState == 1 {
		if m := rowCountQuery.FindStringSubmatch(sql); m != nil {
			return true, s.sendValue(ctx, columnName(m[1], "ROW_COUNT()"), strconv.FormatInt(s.rowCount, 10), false, binary)
		}
	}
	if s.foundRowsState != 1 {
		return false, nil
	}
	m := foundRowsQuery.FindStringSubmatch(sql)
	switch {
	case m == nil:
		return false, nil
	case s.foundRowsLost != "":
		return true, s.refuse(wire.NewError(wire.ErNotSupportedYet,
			"Strata: FOUND_ROWS() of the previous SELECT is unknown: shard %s could not report its SQL_CALC_FOUND_ROWS count. Run the SELECT again, or count with SELECT COUNT(*)", s.foundRowsLost))
	}
	return true, s.sendValue(ctx, columnName(m[1], "FOUND_ROWS()"), strconv.FormatUint(s.foundRows, 10), false, binary)
}

// answerConnectionID answers SELECT CONNECTION_ID() itself; ok is false
// for any other statement.
func (s *Session) answerConnectionID(ctx context.Context, sql string, f *sqlparse.Facts) (ok bool, err error) {
	if !strings.HasPrefix(f.Digest, "select `connection_id` ( )") {
		return false, nil
	}
	m := connectionIDQuery.FindStringSubmatch(sql)
	if m == nil {
		return false, nil
	}
	return true, s.sendValue(ctx, columnName(m[1], "CONNECTION_ID()"), strconv.FormatUint(uint64(s.ID), 10), true, false)
}

// columnName is a SELECT's alias (backquotes taken off), or def without.
func columnName(alias, def string) string {
	if alias == "" {
		return def
	}
	return strings.Trim(alias, "`")
}

// sendValue answers a statement with one BIGINT column and one row, as the
// server answers SELECT CONNECTION_ID(); binary: to a COM_STMT_EXECUTE.
func (s *Session) sendValue(ctx context.Context, name, value string, unsigned, binary bool) error {
	colFlags, defFlags, length := engine.FlagBinary, wire.FlagNotNull|wire.FlagBinary, uint32(21)
	if unsigned {
		colFlags, defFlags, length = colFlags|engine.FlagUnsigned, defFlags|wire.FlagUnsigned, 10
	}
	col := engine.Column{Name: name, Type: engine.TypeLongLong, Flags: colFlags, Charset: engine.CharsetBinary}
	def := wire.AppendColumnDef(nil, name, wire.TypeLongLong, 63, length, defFlags)
	return s.sendRows(ctx, []engine.Column{col}, [][]byte{def}, engine.NewSliceStream(engine.Row{[]byte(value)}), binary)
}
