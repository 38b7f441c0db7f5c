package sqlparse

import (
	"errors"
	"strings"
	"testing"
)

func TestSyntaxError(t *testing.T) {
	const prefix = "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near "
	cases := []struct {
		sql        string
		code       uint16
		state      string
		msg        string
		line, col  int
		wantPrefix bool
	}{
		{sql: "SELECT * FORM t", code: 1064, state: "42000", msg: prefix + "'FORM t' at line 1", line: 1, wantPrefix: true},
		{sql: "SELECT * FROM t WHERE", code: 1064, state: "42000", msg: prefix + "'' at line 1", line: 1, wantPrefix: true},
		{sql: "SELECT 1;\nSELECT 2 FROM\nWHERE x", code: 1064, state: "42000", msg: prefix + "'WHERE x' at line 3", line: 3, wantPrefix: true},
		{sql: "SELECT 'unterminated", code: 1064, state: "42000", msg: prefix + "''unterminated' at line 1", line: 1, wantPrefix: true},
		{sql: "SET NAMES nosuchcharset", code: 1115, state: "42000", msg: "Unknown character set: 'nosuchcharset'"},
	}
	for _, c := range cases {
		_, err := Classify(c.sql)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: err %v is not a *SyntaxError", c.sql, err)
			continue
		}
		if se.Code != c.code || se.SQLState != c.state || se.Msg != c.msg || se.Error() != c.msg {
			t.Errorf("%q: got %d %s %q", c.sql, se.Code, se.SQLState, se.Msg)
		}
		if c.wantPrefix && (se.Line != c.line || se.Col == 0) {
			t.Errorf("%q: position line %d col %d, want line %d", c.sql, se.Line, se.Col, c.line)
		}
	}
}

func TestSyntaxErrorNearIsCut(t *testing.T) {
	_, err := Classify("SELECT * FORM " + strings.Repeat("é", 200))
	se := err.(*SyntaxError)
	if n := len([]rune(se.Near)); n != 80 {
		t.Errorf("near has %d characters, want 80", n)
	}
	if !strings.HasSuffix(se.Msg, "' at line 1") {
		t.Errorf("message %q", se.Msg)
	}
}
