package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Capability flags Strata uses, re-exported so callers need one import.
const (
	ClientLongPassword     = mysql.CLIENT_LONG_PASSWORD
	ClientFoundRows        = mysql.CLIENT_FOUND_ROWS
	ClientLongFlag         = mysql.CLIENT_LONG_FLAG
	ClientConnectWithDB    = mysql.CLIENT_CONNECT_WITH_DB
	ClientLocalFiles       = mysql.CLIENT_LOCAL_FILES
	ClientProtocol41       = mysql.CLIENT_PROTOCOL_41
	ClientSSL              = mysql.CLIENT_SSL
	ClientCompress         = mysql.CLIENT_COMPRESS
	ClientIgnoreSpace      = mysql.CLIENT_IGNORE_SPACE
	ClientInteractive      = mysql.CLIENT_INTERACTIVE
	ClientTransactions     = mysql.CLIENT_TRANSACTIONS
	ClientSecureConn       = mysql.CLIENT_SECURE_CONNECTION
	ClientMultiStatements  = mysql.CLIENT_MULTI_STATEMENTS
	ClientMultiResults     = mysql.CLIENT_MULTI_RESULTS
	ClientPSMultiResults   = mysql.CLIENT_PS_MULTI_RESULTS
	ClientPluginAuth       = mysql.CLIENT_PLUGIN_AUTH
	ClientConnectAttrs     = mysql.CLIENT_CONNECT_ATTRS
	ClientPluginAuthLenenc = mysql.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
	ClientSessionTrack     = mysql.CLIENT_SESSION_TRACK
	ClientDeprecateEOF     = mysql.CLIENT_DEPRECATE_EOF
)

// Server status flags.
const (
	StatusInTrans     = mysql.SERVER_STATUS_IN_TRANS
	StatusAutocommit  = mysql.SERVER_STATUS_AUTOCOMMIT
	StatusMoreResults = mysql.SERVER_MORE_RESULTS_EXISTS
)

// Command bytes.
const (
	ComQuit            = mysql.COM_QUIT
	ComRefresh         = mysql.COM_REFRESH
	ComProcessInfo     = mysql.COM_PROCESS_INFO
	ComShutdown        = mysql.COM_SHUTDOWN
	ComInitDB          = mysql.COM_INIT_DB
	ComQuery           = mysql.COM_QUERY
	ComFieldList       = mysql.COM_FIELD_LIST
	ComStatistics      = mysql.COM_STATISTICS
	ComProcessKill     = mysql.COM_PROCESS_KILL
	ComPing            = mysql.COM_PING
	ComChangeUser      = mysql.COM_CHANGE_USER
	ComStmtPrepare     = mysql.COM_STMT_PREPARE
	ComStmtExecute     = mysql.COM_STMT_EXECUTE
	ComStmtSendLong    = mysql.COM_STMT_SEND_LONG_DATA
	ComStmtClose       = mysql.COM_STMT_CLOSE
	ComStmtReset       = mysql.COM_STMT_RESET
	ComSetOption       = mysql.COM_SET_OPTION
	ComStmtFetch       = mysql.COM_STMT_FETCH
	ComResetConnection = mysql.COM_RESET_CONNECTION
	// ComStmtBulkExecute is MariaDB's COM_STMT_BULK_EXECUTE: many rows of
	// parameters for one prepared statement (connectors' batch inserts).
	ComStmtBulkExecute = 0xfa
)

// MariaDB's extended capabilities: 32 more bits, sent where MySQL has
// filler bytes, by a server or client that clears CLIENT_MYSQL (the bit
// MySQL calls CLIENT_LONG_PASSWORD) to say it has them.
const (
	// ExtStmtBulkOperations allows COM_STMT_BULK_EXECUTE.
	ExtStmtBulkOperations = 1 << 2
)

// ClientMySQL is CLIENT_LONG_PASSWORD under MariaDB's name: set by a peer
// without extended capabilities.
const ClientMySQL = ClientLongPassword

// Packet header bytes.
const (
	HeaderOK        = 0x00
	HeaderLocalFile = 0xfb
	HeaderEOF       = 0xfe
	HeaderErr       = 0xff
)

// AppendLenEnc appends a length-encoded integer.
func AppendLenEnc(b []byte, n uint64) []byte { return mysql.AppendLengthEncodedInteger(b, n) }

// AppendLenEncString appends a length-encoded string.
func AppendLenEncString(b []byte, s []byte) []byte {
	b = AppendLenEnc(b, uint64(len(s)))
	return append(b, s...)
}

// ReadLenEnc decodes a length-encoded integer at the start of b, returning it
// and the bytes it took (0 when b is too short).
func ReadLenEnc(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch b[0] {
	case 0xfc:
		if len(b) < 3 {
			return 0, 0
		}
		return uint64(binary.LittleEndian.Uint16(b[1:])), 3
	case 0xfd:
		if len(b) < 4 {
			return 0, 0
		}
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, 4
	case 0xfe:
		if len(b) < 9 {
			return 0, 0
		}
		return binary.LittleEndian.Uint64(b[1:]), 9
	case 0xfb, 0xff:
		return 0, 1
	default:
		return uint64(b[0]), 1
	}
}

// OK is the decoded part of an OK packet a proxy needs.
type OK struct {
	AffectedRows uint64
	LastInsertID uint64
	Status       uint16
	Warnings     uint16
}

// ParseOK decodes an OK packet (header 0x00, or 0xfe when it ends a result
// set under CLIENT_DEPRECATE_EOF).
func ParseOK(p []byte) (OK, bool) {
	var ok OK
	if len(p) < 1 {
		return ok, false
	}
	pos := 1
	var n int
	ok.AffectedRows, n = ReadLenEnc(p[pos:])
	if n == 0 {
		return ok, false
	}
	pos += n
	ok.LastInsertID, n = ReadLenEnc(p[pos:])
	if n == 0 {
		return ok, false
	}
	pos += n
	if len(p) < pos+4 {
		return ok, false
	}
	ok.Status = binary.LittleEndian.Uint16(p[pos:])
	ok.Warnings = binary.LittleEndian.Uint16(p[pos+2:])
	return ok, true
}

// IsEOF tells a classic EOF packet (or a DEPRECATE_EOF terminal OK) from a
// row that merely starts with 0xfe: a row's 0xfe prefix needs 9+ bytes.
func IsEOF(p []byte) bool { return len(p) > 0 && p[0] == HeaderEOF && len(p) < 9 }

// EOFStatus returns the status flags of a classic EOF packet.
func EOFStatus(p []byte) uint16 {
	_, status := ParseEOF(p)
	return status
}

// ParseEOF returns the warning count and status flags of a classic EOF
// packet (0xfe, warnings, status).
func ParseEOF(p []byte) (warnings, status uint16) {
	if len(p) < 5 {
		return 0, 0
	}
	return binary.LittleEndian.Uint16(p[1:]), binary.LittleEndian.Uint16(p[3:])
}

// ReadLenEncString splits a length-encoded string off the front of b.
func ReadLenEncString(b []byte) (s, rest []byte, ok bool) {
	size, n := ReadLenEnc(b)
	if n == 0 || uint64(len(b)-n) < size {
		return nil, nil, false
	}
	return b[n : n+int(size)], b[n+int(size):], true
}

// AppendOK builds an OK packet payload.
func AppendOK(b []byte, header byte, affected, insertID uint64, status, warnings uint16) []byte {
	b = append(b, header)
	b = AppendLenEnc(b, affected)
	b = AppendLenEnc(b, insertID)
	return append(b, byte(status), byte(status>>8), byte(warnings), byte(warnings>>8))
}

// AppendEOF builds a classic EOF packet payload.
func AppendEOF(b []byte, status, warnings uint16) []byte {
	return append(b, HeaderEOF, byte(warnings), byte(warnings>>8), byte(status), byte(status>>8))
}

// Error is a MySQL error as sent in an ERR packet.
type Error struct {
	Code    uint16
	State   string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("ERROR %d (%s): %s", e.Code, e.State, e.Message) }

// NewError builds an error with the SQLSTATE MySQL uses for the code.
func NewError(code uint16, format string, args ...any) *Error {
	state, ok := mysql.MySQLState[code]
	if !ok {
		state = "HY000"
	}
	return &Error{Code: code, State: state, Message: fmt.Sprintf(format, args...)}
}

// AppendErr builds an ERR packet payload.
func AppendErr(b []byte, e *Error) []byte {
	b = append(b, HeaderErr, byte(e.Code), byte(e.Code>>8), '#')
	state := e.State
	if len(state) != 5 {
		state = "HY000"
	}
	b = append(b, state...)
	return append(b, e.Message...)
}

// ParseErr decodes an ERR packet.
func ParseErr(p []byte) *Error {
	e := &Error{Code: 2013, State: "HY000", Message: "malformed error packet"}
	if len(p) < 3 {
		return e
	}
	e.Code = binary.LittleEndian.Uint16(p[1:])
	rest := p[3:]
	if len(rest) >= 6 && rest[0] == '#' {
		e.State = string(rest[1:6])
		rest = rest[6:]
	}
	e.Message = string(rest)
	return e
}

// Error codes Strata answers with itself.
const (
	ErAccessDenied       = mysql.ER_ACCESS_DENIED_ERROR
	ErBadDB              = mysql.ER_BAD_DB_ERROR
	ErUnknownCom         = mysql.ER_UNKNOWN_COM_ERROR
	ErNetPacketTooLarge  = mysql.ER_NET_PACKET_TOO_LARGE
	ErUnknownStmtHandler = mysql.ER_UNKNOWN_STMT_HANDLER
	ErMalformedPacket    = mysql.ER_MALFORMED_PACKET
	ErParse              = mysql.ER_PARSE_ERROR
	ErConCount           = mysql.ER_CON_COUNT_ERROR
	ErNoSuchThread       = mysql.ER_NO_SUCH_THREAD
	ErQueryInterrupted   = mysql.ER_QUERY_INTERRUPTED
	ErOptionPreventsStmt = mysql.ER_OPTION_PREVENTS_STATEMENT
	ErNotSupportedYet    = mysql.ER_NOT_SUPPORTED_YET
	ErUnknownError       = mysql.ER_UNKNOWN_ERROR
	ErServerGone         = 2006 // CR_SERVER_GONE_ERROR: a backend went away
	ErHandshake          = mysql.ER_HANDSHAKE_ERROR
	ErMaxPreparedStmts   = mysql.ER_MAX_PREPARED_STMT_COUNT_REACHED
	ErOperandColumns     = mysql.ER_OPERAND_COLUMNS
	ErSubqueryNo1Row     = mysql.ER_SUBQUERY_NO_1_ROW
	ErOutOfSortMemory    = mysql.ER_OUT_OF_SORTMEMORY
	ErDupEntry           = mysql.ER_DUP_ENTRY
	ErWrongValueCount    = mysql.ER_WRONG_VALUE_COUNT_ON_ROW
	ErUnsupportedPS      = mysql.ER_UNSUPPORTED_PS
	ErNoSuchTable        = mysql.ER_NO_SUCH_TABLE
	ErBadField           = mysql.ER_BAD_FIELD_ERROR
	ErSpecificAccess     = mysql.ER_SPECIFIC_ACCESS_DENIED_ERROR
	ErDBAccessDenied     = mysql.ER_DBACCESS_DENIED_ERROR
)
