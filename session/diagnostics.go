package session

import (
	"context"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// After an error Strata itself answered (a refusal, a shard that failed,
// a merge it could not make), no server holds the diagnostics, yet the
// client may ask for them: `SHOW WARNINGS` or `SHOW ERRORS` then lists
// that error, as a server lists its own, and again for each such SHOW
// that follows. Any other statement ends it.

// noteOwnError keeps the error Strata is answering for the next command.
func (s *Session) noteOwnError(e *wire.Error) {
	s.ownErr, s.ownErrState = e, 2
}

// answerOwnError answers SHOW WARNINGS / SHOW ERRORS right after Strata's
// own error with that error; ok is false when it does not apply.
func (s *Session) answerOwnError(ctx context.Context, f *sqlparse.Facts) (ok bool, err error) {
	if s.ownErrState != 1 || s.ownErr == nil || f.Kind != sqlparse.KindShow {
		return false, nil
	}
	if !strings.HasPrefix(f.Digest, "show warnings") && !strings.HasPrefix(f.Digest, "show errors") {
		return false, nil
	}
	e := s.ownErr
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
	row := engine.Row{[]byte("Error"), []byte(strconv.Itoa(int(e.Code))), []byte(e.Message)}
	err = s.sendRows(ctx, cols, packets, engine.NewSliceStream(row), false)
	s.noteOwnError(e) // the next SHOW WARNINGS lists it again
	return true, err
}
