package session

import (
	"context"
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
	for _, in := range s.env.Registry.List() {
		if in.User != s.User {
			continue
		}
		command, info, state := "Sleep", engine.Value(nil), ""
		seconds := 0
		if in.State == "query" || in.ID == s.ID {
			command, state = "Query", "executing"
			seconds = int(in.RunningMs / 1000)
			text := in.Statement
			if in.ID == s.ID {
				text = f.Text // this very statement
			}
			if !full && len(text) > processListInfo {
				text = strings.ToValidUTF8(text[:processListInfo], "")
			}
			info = engine.Value(text)
		}
		var db engine.Value
		if in.DB != "" {
			db = engine.Value(in.DB)
		}
		rows = append(rows, engine.Row{
			engine.Value(strconv.FormatUint(uint64(in.ID), 10)), engine.Value(in.User), engine.Value(in.Client), db,
			engine.Value(command), engine.Value(strconv.Itoa(seconds)), engine.Value(state), info, engine.Value("0.000"),
		})
	}
	return true, s.sendRows(ctx, cols, packets, engine.NewSliceStream(rows...), false)
}
