package session

import (
	"encoding/binary"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/wire"
)

// Parameter values a client streams with COM_STMT_SEND_LONG_DATA arrive
// before the EXECUTE that decides which server runs the statement, so
// Strata holds them until then. MariaDB bounds each parameter so streamed
// by its max_allowed_packet and answers the EXECUTE with an error; Strata
// bounds what one session holds, all statements together, by
// limits.max_allowed_packet, or a client could stream gigabytes into
// Strata's memory without ever executing.

// longDataChunk is the most Strata sends a server in one
// COM_STMT_SEND_LONG_DATA: the server appends the chunks as the client's
// own, and a value held whole could exceed the server's packet bound.
const longDataChunk = 1 << 20

// longData is what a client streamed for one statement since its last
// EXECUTE or COM_STMT_RESET.
type longData struct {
	params map[uint16][]byte
	bytes  int
	// tooLong: the session's bound was passed; the data is dropped and
	// the next EXECUTE gets MariaDB's error.
	tooLong bool
}

func (l *longData) held() bool { return l.bytes > 0 || l.tooLong }

// holdLongData keeps a chunk for param of st, or drops all st holds once
// the session's bound is passed.
func (s *Session) holdLongData(st *prepared, param uint16, chunk []byte) {
	if st.long.tooLong {
		return
	}
	if max := s.env.Limits().MaxLongData; max > 0 && s.longDataBytes+len(chunk) > max {
		s.dropLongData(st)
		st.long.tooLong = true
		return
	}
	if st.long.params == nil {
		st.long.params = map[uint16][]byte{}
	}
	st.long.params[param] = append(st.long.params[param], chunk...)
	st.long.bytes += len(chunk)
	s.longDataBytes += len(chunk)
}

// dropLongData forgets what st holds (after its EXECUTE, at
// COM_STMT_RESET or COM_STMT_CLOSE).
func (s *Session) dropLongData(st *prepared) {
	s.longDataBytes -= st.long.bytes
	st.long = longData{}
}

// errLongDataTooLong is MariaDB's answer to an EXECUTE whose streamed
// parameter passed its bound, naming Strata's.
func (s *Session) errLongDataTooLong() *wire.Error {
	return wire.NewError(wire.ErUnknownError,
		"Parameter of prepared statement which is set through mysql_send_long_data() is longer than 'max_allowed_packet' bytes: Strata holds at most limits.max_allowed_packet (%d bytes) of streamed parameters per session until their EXECUTE. Send less, or raise the limit in Strata's config",
		s.env.Limits().MaxLongData)
}

// sendLongData replays the parameters the client streamed to the backend
// statement about to execute, in chunks of at most longDataChunk.
func (st *prepared) sendLongData(c *backend.Conn, backendID uint32) error {
	var p []byte
	for param, data := range st.long.params {
		for len(data) > 0 {
			n := min(len(data), longDataChunk)
			p = append(p[:0], wire.ComStmtSendLong)
			p = binary.LittleEndian.AppendUint32(p, backendID)
			p = binary.LittleEndian.AppendUint16(p, param)
			p = append(p, data[:n]...)
			if err := c.Command(p); err != nil {
				return &backend.ServerError{Addr: c.Addr, Err: err}
			}
			data = data[n:]
		}
	}
	return nil
}
