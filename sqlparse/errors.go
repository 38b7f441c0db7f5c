package sqlparse

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/terror"
)

// MySQL error codes a SyntaxError can carry.
const (
	ErrCodeSyntax     uint16 = 1064 // ER_PARSE_ERROR
	ErrCodeEmptyQuery uint16 = 1065 // ER_EMPTY_QUERY
)

// SyntaxError is a statement the parser rejected. Strata answers it to
// the client as a MySQL error packet, so Msg reads like MySQL's own
// message. Code is 1064 (SQLSTATE 42000) for grammar errors; the parser
// also rejects some statements for other reasons (unknown character set
// 1115, unknown collation 1273), and those keep their own code.
type SyntaxError struct {
	Code     uint16
	SQLState string
	Msg      string
	Line     int // 1-based line of the error in the parsed text, 0 if unknown
	Col      int // column reported by the parser, 0 if unknown
	Near     string
}

func (e *SyntaxError) Error() string { return e.Msg }

// UnsupportedError is a statement Strata cannot run as one server would
// over its tables; Msg says why and what to write instead.
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return e.Msg }

// ErrCodeNonUniq is MariaDB's error for a column name that two tables of
// a statement have (ER_NON_UNIQ_ERROR, SQLSTATE 23000).
const ErrCodeNonUniq uint16 = 1052

// ServerError is the error one MariaDB server gives for a statement,
// which Strata gives in its place where it does not send the statement
// as written: Code, SQLSTATE and message as the server's.
type ServerError struct {
	Code     uint16
	SQLState string
	Msg      string
}

func (e *ServerError) Error() string { return e.Msg }

// ErrMultipleStatements is returned by Classify for text holding more
// than one statement.
var ErrMultipleStatements = errors.New("sqlparse: more than one statement")

// tidbSyntaxRe matches the parser's grammar errors:
// `line 1 column 16 near "@x FROM t" `.
var tidbSyntaxRe = regexp.MustCompile(`(?s)^line (\d+) column (\d+) near "(.*)"`)

// syntaxMsgPrefix is MySQL's wording; the server version part is generic
// because the backend may be MySQL or MariaDB.
const syntaxMsgPrefix = "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use"

// newSyntaxError converts a parser error to a *SyntaxError.
func newSyntaxError(err error) *SyntaxError {
	cause := rootCause(err)
	if m := tidbSyntaxRe.FindStringSubmatch(cause.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		return grammarError(m[3], line, col)
	}
	var te *terror.Error
	if errors.As(cause, &te) && te.Code() != 0 {
		return codedError(uint16(te.Code()), te.GetMsg())
	}
	return &SyntaxError{Code: ErrCodeSyntax, SQLState: "42000", Msg: cause.Error()}
}

// grammarError builds MySQL's 1064 message: near text cut at 80
// characters, as MySQL does.
func grammarError(near string, line, col int) *SyntaxError {
	near = truncateRunes(near, 80)
	return &SyntaxError{
		Code: ErrCodeSyntax, SQLState: "42000",
		Msg:  fmt.Sprintf("%s near '%s' at line %d", syntaxMsgPrefix, near, line),
		Line: line, Col: col, Near: near,
	}
}

// rootCause unwraps the parser's stack-trace wrappers (pingcap/errors
// implements Cause, not always Unwrap).
func rootCause(err error) error {
	for {
		c, ok := err.(interface{ Cause() error })
		if !ok || c.Cause() == nil || c.Cause() == err {
			return err
		}
		err = c.Cause()
	}
}

func codedError(code uint16, msg string) *SyntaxError {
	state, ok := mysql.MySQLState[code]
	if !ok {
		state = mysql.DefaultMySQLState
	}
	return &SyntaxError{Code: code, SQLState: state, Msg: msg}
}

func emptyQueryError() *SyntaxError { return codedError(ErrCodeEmptyQuery, "Query was empty") }

// truncateRunes cuts s to at most n characters without splitting UTF-8.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
