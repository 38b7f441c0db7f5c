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

// Some diagnostics no one server holds, yet the client may ask for them
// with `SHOW WARNINGS` or `SHOW ERRORS` right after:
//   - an error Strata itself answered (a refusal, a shard that failed, a
//     merge it could not make);
//   - the warnings of a write that ran on several shards (a LOAD DATA's
//     rows without every column, an INSERT IGNORE's duplicates), each
//     server holding its own.
// Strata answers those SHOWs itself, as a server lists its own, and again
// for each such SHOW that follows. Any other statement ends it.

// diagnostic is one row of SHOW WARNINGS: Level, Code, Message.
type diagnostic struct {
	level   string
	code    uint16
	message string
}

// noteOwnError keeps the error Strata is answering for the next command.
func (s *Session) noteOwnError(e *wire.Error) {
	s.ownDiag, s.ownDiagState = []diagnostic{{"Error", e.Code, e.Message}}, 2
}

// noteShardWarnings keeps the warnings the shards of a write reported.
func (s *Session) noteShardWarnings(d []diagnostic) {
	s.ownDiag, s.ownDiagState = d, 2
}

// collectWarnings reads SHOW WARNINGS on each connection of a write whose
// statements reported warnings, before anything else runs there, naming
// the shard in each message. A connection that cannot answer is skipped:
// the write itself succeeded.
func (s *Session) collectWarnings(ctx context.Context, conns []*shardConn) []diagnostic {
	var out []diagnostic
	for _, sc := range conns {
		if sc.shared && !sc.owned && !sc.pinned {
			continue // a further route on a connection read already
		}
		rows, err := sc.conn.QueryRows(ctx, "SHOW WARNINGS")
		if err != nil {
			continue
		}
		for {
			r, err := rows.Next(ctx)
			if err != nil {
				break
			}
			if len(r) < 3 {
				continue
			}
			code, _ := strconv.Atoi(string(r[1]))
			out = append(out, diagnostic{string(r[0]), uint16(code), fmt.Sprintf("%s (on shard %s)", r[2], sc.route.Cluster)})
		}
		rows.Close()
	}
	return out
}

// answerOwnDiagnostics answers SHOW WARNINGS / SHOW ERRORS right after a
// statement whose diagnostics Strata holds; ok is false when it does not
// apply.
func (s *Session) answerOwnDiagnostics(ctx context.Context, f *sqlparse.Facts) (ok bool, err error) {
	if s.ownDiagState != 1 || s.ownDiag == nil || f.Kind != sqlparse.KindShow {
		return false, nil
	}
	errorsOnly := strings.HasPrefix(f.Digest, "show errors")
	if !strings.HasPrefix(f.Digest, "show warnings") && !errorsOnly {
		return false, nil
	}
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
	for _, d := range s.ownDiag {
		if errorsOnly && d.level != "Error" {
			continue
		}
		rows = append(rows, engine.Row{[]byte(d.level), []byte(strconv.Itoa(int(d.code))), []byte(d.message)})
	}
	kept := s.ownDiag
	err = s.sendRows(ctx, cols, packets, engine.NewSliceStream(rows...), false)
	s.ownDiag, s.ownDiagState = kept, 2 // the next SHOW lists them again
	return true, err
}
