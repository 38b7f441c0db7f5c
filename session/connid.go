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
	if m := rowCountQuery.FindStringSubmatch(sql); m != nil {
		name := "ROW_COUNT()"
		if m[1] != "" {
			name = strings.Trim(m[1], "`")
		}
		col := engine.Column{Name: name, Type: engine.TypeLongLong, Flags: engine.FlagBinary, Charset: engine.CharsetBinary}
		def := wire.AppendColumnDef(nil, name, wire.TypeLongLong, 63, 21, wire.FlagNotNull|wire.FlagBinary)
		row := engine.Row{[]byte(strconv.FormatUint(s.rowCount, 10))}
		return sql, true, s.sendRows(ctx, []engine.Column{col}, [][]byte{def}, engine.NewSliceStream(row), false)
	}
	read := sql
	if s.multibyte != nil {
		read, _ = s.multibyte.Mask(sql)
	}
	text, _ = s.readingMode().ReplaceCall(sql, read, "row_count", strconv.FormatUint(s.rowCount, 10))
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
	name := "CONNECTION_ID()"
	if m[1] != "" {
		name = strings.Trim(m[1], "`")
	}
	col := engine.Column{Name: name, Type: engine.TypeLongLong, Flags: engine.FlagUnsigned | engine.FlagBinary, Charset: engine.CharsetBinary}
	def := wire.AppendColumnDef(nil, name, wire.TypeLongLong, 63, 10, wire.FlagNotNull|wire.FlagUnsigned|wire.FlagBinary)
	row := engine.Row{[]byte(strconv.FormatUint(uint64(s.ID), 10))}
	return true, s.sendRows(ctx, []engine.Column{col}, [][]byte{def}, engine.NewSliceStream(row), false)
}
