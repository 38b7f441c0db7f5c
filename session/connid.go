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
// the GET_LOCK family, the process list) keeps the backend connection's,
// as those do.
func ownConnectionID(f *sqlparse.Facts) bool {
	if !f.ConnectionID || f.LockFunctions {
		return false
	}
	for _, t := range f.Tables {
		if t.Name == "processlist" || (t.Schema == "performance_schema" && t.Name == "threads") {
			return false
		}
	}
	return true
}

// rowCountQuery is SELECT ROW_COUNT() [[AS] alias].
var rowCountQuery = regexp.MustCompile("(?is)^\\s*select\\s+row_count\\s*\\(\\s*\\)\\s*(?:as\\s+)?(`[^`]+`|\\w+)?\\s*;?\\s*$")

// sessionRowCount handles a statement that reads ROW_COUNT() right after
// a write Strata split over shards, whose count only the session has:
// SELECT ROW_COUNT() is answered here, and in any other statement the
// call is replaced by the count. sql is the text to run (changed when
// replaced); done: the statement was answered.
func (s *Session) sessionRowCount(ctx context.Context, sql string, f *sqlparse.Facts) (text string, done bool, err error) {
	if s.rowCountState != 1 || !f.ReadsPrevious {
		return sql, false, nil
	}
	count := strconv.FormatUint(s.rowCount, 10)
	if m := rowCountQuery.FindStringSubmatch(sql); m != nil {
		return sql, true, s.sendValue(ctx, columnName(m[1], "ROW_COUNT()"), count, false)
	}
	text, _ = s.replaceCall(sql, "row_count", count)
	return text, false, nil
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
	return true, s.sendValue(ctx, columnName(m[1], "CONNECTION_ID()"), strconv.FormatUint(uint64(s.ID), 10), true)
}

// columnName is a SELECT's alias (backquotes taken off), or def without.
func columnName(alias, def string) string {
	if alias == "" {
		return def
	}
	return strings.Trim(alias, "`")
}

// sendValue answers a statement with one BIGINT column and one row, as the
// server answers SELECT CONNECTION_ID().
func (s *Session) sendValue(ctx context.Context, name, value string, unsigned bool) error {
	colFlags, defFlags, length := engine.FlagBinary, wire.FlagNotNull|wire.FlagBinary, uint32(21)
	if unsigned {
		colFlags, defFlags, length = colFlags|engine.FlagUnsigned, defFlags|wire.FlagUnsigned, 10
	}
	col := engine.Column{Name: name, Type: engine.TypeLongLong, Flags: colFlags, Charset: engine.CharsetBinary}
	def := wire.AppendColumnDef(nil, name, wire.TypeLongLong, 63, length, defFlags)
	return s.sendRows(ctx, []engine.Column{col}, [][]byte{def}, engine.NewSliceStream(engine.Row{[]byte(value)}), false)
}
