package planner

import (
	"errors"
	"testing"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
)

func TestHavingFollowsSQLSemantics(t *testing.T) {
	cols := []engine.Column{
		{Name: "g", Type: engine.TypeVarString, Charset: 45},
		{Name: "n", Type: engine.TypeLongLong},
		{Name: "s", Type: engine.TypeNewDecimal},
		{Name: "b", Type: engine.TypeVarString, Charset: 46},                                  // utf8mb4_bin
		{Name: "u", Type: engine.TypeVarString, Charset: 45, Collation: "utf8mb4_unicode_ci"}, // its own, learned from the shard
	}
	col := func(i int) *sqlparse.Expr { return &sqlparse.Expr{Op: sqlparse.ExprColumn, Col: i} }
	lit := func(s string) *sqlparse.Expr { return &sqlparse.Expr{Op: sqlparse.ExprLiteral, Literal: s} }
	op := func(o sqlparse.ExprOp, args ...*sqlparse.Expr) *sqlparse.Expr {
		return &sqlparse.Expr{Op: o, Args: args}
	}
	row := engine.Row{[]byte("Abc"), []byte("3"), []byte("10.50"), []byte("Abc"), []byte("straße")}
	nullSum := engine.Row{[]byte("x"), []byte("0"), nil, nil, nil}
	tests := []struct {
		name string
		e    *sqlparse.Expr
		r    engine.Row
		want bool
	}{
		{"count > 2", op(sqlparse.ExprGT, col(1), lit("2")), row, true},
		{"count >= 4", op(sqlparse.ExprGE, col(1), lit("4")), row, false},
		{"decimal compares exactly", op(sqlparse.ExprEQ, col(2), lit("10.5")), row, true},
		{"string compares by collation, case-insensitively", op(sqlparse.ExprEQ, col(0), lit("'abc'")), row, true},
		{"a _bin column compares by bytes", op(sqlparse.ExprEQ, col(3), lit("'abc'")), row, false},
		{"a _bin column on the right side too", op(sqlparse.ExprEQ, lit("'abc'"), col(3)), row, false},
		{"a column compares by its own collation (unicode_ci: ß = ss)", op(sqlparse.ExprEQ, col(4), lit("'STRASSE'")), row, true},
		{"two literals compare by the connection's", op(sqlparse.ExprEQ, lit("'straße'"), lit("'strasse'")), row, false},
		{"NULL comparison drops the row", op(sqlparse.ExprGT, col(2), lit("0")), nullSum, false},
		{"NOT NULL is NULL", op(sqlparse.ExprNot, op(sqlparse.ExprGT, col(2), lit("0"))), nullSum, false},
		{"IS NULL", op(sqlparse.ExprIsNull, col(2)), nullSum, true},
		{"NULL OR true is true", op(sqlparse.ExprOr, op(sqlparse.ExprGT, col(2), lit("0")), op(sqlparse.ExprEQ, col(1), lit("0"))), nullSum, true},
		{"NULL AND false is false", op(sqlparse.ExprAnd, op(sqlparse.ExprGT, col(2), lit("0")), op(sqlparse.ExprEQ, col(1), lit("1"))), nullSum, false},
		{"arithmetic", op(sqlparse.ExprEQ, op(sqlparse.ExprDiv, col(2), col(1)), lit("3.5")), row, true},
		{"division by zero is NULL", op(sqlparse.ExprIsNull, op(sqlparse.ExprDiv, col(2), col(1))), nullSum, true},
		{"negation", op(sqlparse.ExprLT, op(sqlparse.ExprNeg, col(1)), lit("0")), row, true},
		// 0x03 and b'11' are 3 against a number, their bytes against a
		// string; X'03' is always a string.
		{"a hex literal is a number to a number", op(sqlparse.ExprEQ, col(1), lit("0x03")), row, true},
		{"a bit literal too", op(sqlparse.ExprEQ, col(1), lit("b'11'")), row, true},
		{"X'03' is a string, 0 to a number", op(sqlparse.ExprEQ, col(1), lit("X'03'")), row, false},
		{"a hex literal is bytes to a string, by its collation", op(sqlparse.ExprEQ, col(0), lit("0x616263")), row, true},
		{"a bit literal too", op(sqlparse.ExprEQ, lit("b'10000010110001001100011'"), col(0)), row, true},
		{"a hex literal in arithmetic is its number", op(sqlparse.ExprEQ, op(sqlparse.ExprPlus, col(1), lit("0x10")), lit("19")), row, true},
	}
	for _, tt := range tests {
		f, err := compileHaving(tt.e, cols, nil, "utf8mb4")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := f(tt.r)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v (%v), want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := compileHaving(col(7), cols, nil, "utf8mb4"); err == nil {
		t.Error("a HAVING column past the row was accepted")
	}
	// Text whose collation Strata cannot tell is not compared by a guess.
	unknown := append([]engine.Column(nil), cols...)
	unknown[0].CollationUnknown = "cannot tell"
	var cerr *engine.CollationUnknownError
	if _, err := compileHaving(op(sqlparse.ExprEQ, col(0), lit("x")), unknown, nil, "utf8mb4"); !errors.As(err, &cerr) {
		t.Errorf("HAVING over a column of unknown collation: %v, want CollationUnknownError", err)
	}
	if _, err := compileHaving(op(sqlparse.ExprGT, col(2), lit("0")), unknown, nil, "utf8mb4"); err != nil {
		t.Errorf("HAVING over other columns: %v", err)
	}
}

// A HAVING compares the rows' text and the statement's strings as the
// same characters, whatever character set each comes in: the rows as the
// connection receives them (UTF-8, or latin1), the strings as the client
// writes them (or as an introducer says).
func TestHavingComparesTextAcrossCharacterSets(t *testing.T) {
	utf8Col := engine.Column{Name: "u", Type: engine.TypeVarString, Charset: 45, Collation: "utf8mb4_general_ci"}
	latin1Col := engine.Column{Name: "u", Type: engine.TypeVarString, Charset: 8, Collation: "utf8mb4_general_ci"}
	eq := func(lit string) *sqlparse.Expr {
		return &sqlparse.Expr{Op: sqlparse.ExprEQ, Args: []*sqlparse.Expr{
			{Op: sqlparse.ExprColumn, Col: 0}, {Op: sqlparse.ExprLiteral, Literal: lit}}}
	}
	for _, tc := range []struct {
		name    string
		col     engine.Column
		value   string // the row's, as received
		literal string
		client  string
		want    bool
	}{
		{"UTF-8 rows, a latin1 client's string", utf8Col, "été", "'\xe9t\xe9'", "latin1", true},
		{"UTF-8 rows, a latin1 client's other string", utf8Col, "été", "'\xe9tx'", "latin1", false},
		{"UTF-8 rows, a utf8mb4 client's string", utf8Col, "ÉTÉ", "'été'", "utf8mb4", true},
		{"UTF-8 rows, an introducer over the client's set", utf8Col, "été", "_utf8mb4'été'", "latin1", true},
		{"UTF-8 rows, a cp1251 client's string", utf8Col, "Жанна", "'\xc6\xe0\xed\xed\xe0'", "cp1251", true},
		{"latin1 rows, a utf8mb4 client's string", latin1Col, "\xe9t\xe9", "'ÉTÉ'", "utf8mb4", true},
		{"latin1 rows, a latin1 client's string", latin1Col, "\xe9t\xe9", "'\xc9T\xc9'", "latin1", true},
	} {
		f, err := compileHaving(eq(tc.literal), []engine.Column{tc.col}, nil, tc.client)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := f(engine.Row{[]byte(tc.value)})
		if err != nil || got != tc.want {
			t.Errorf("%s: %q = %s: %v (%v), want %v", tc.name, tc.value, tc.literal, got, err, tc.want)
		}
	}
	// A gbk client's string is not read: refused, not compared as bytes.
	f, err := compileHaving(eq("'\xd6\xd0'"), []engine.Column{utf8Col}, nil, "gbk")
	if err == nil {
		_, err = f(engine.Row{[]byte("中")})
	}
	var cerr *engine.CollationUnknownError
	if !errors.As(err, &cerr) {
		t.Errorf("a gbk client's HAVING string: %v, want CollationUnknownError", err)
	}
}

// MariaDB compares a DATE, DATETIME or TIMESTAMP with a constant as a
// moment: '2024-02-01' is midnight of a DATETIME, 20240201 is that day,
// '10:00:00.000' equals '10:00:00'. As text, or as the number a string's
// digits start with, they compared wrong. A constant Strata cannot read as
// a moment is refused before any row is read.
func TestHavingComparesDatesAsMoments(t *testing.T) {
	cols := []engine.Column{
		{Name: "dt", Type: engine.TypeDateTime},
		{Name: "d", Type: engine.TypeDate},
		{Name: "dt3", Type: engine.TypeDateTime, Decimals: 3},
	}
	col := func(i int) *sqlparse.Expr { return &sqlparse.Expr{Op: sqlparse.ExprColumn, Col: i} }
	lit := func(s string) *sqlparse.Expr { return &sqlparse.Expr{Op: sqlparse.ExprLiteral, Literal: s} }
	op := func(o sqlparse.ExprOp, args ...*sqlparse.Expr) *sqlparse.Expr {
		return &sqlparse.Expr{Op: o, Args: args}
	}
	row := engine.Row{[]byte("2024-02-01 00:00:00"), []byte("2024-06-02"), []byte("2024-06-02 00:00:00.500")}
	tests := []struct {
		name string
		e    *sqlparse.Expr
		want bool
	}{
		{"a date without a time is midnight", op(sqlparse.ExprEQ, col(0), lit("'2024-02-01'")), true},
		{"so a DATETIME at midnight is not after it", op(sqlparse.ExprGT, col(0), lit("'2024-02-01'")), false},
		{"a number YYYYMMDD is that day", op(sqlparse.ExprGE, col(0), lit("20240201")), true},
		{"a number YYYYMMDDHHMMSS", op(sqlparse.ExprLT, col(0), lit("20240201000001")), true},
		{"fraction digits that are zeros", op(sqlparse.ExprEQ, col(0), lit("'2024-02-01 00:00:00.000'")), true},
		{"a DATE against a time of that day", op(sqlparse.ExprEQ, col(1), lit("'2024-06-02 10:00:00'")), false},
		{"a DATE against its midnight", op(sqlparse.ExprEQ, col(1), lit("'2024-06-02 00:00:00'")), true},
		{"fractions compare by value", op(sqlparse.ExprGT, col(2), lit("'2024-06-02 00:00:00.4999'")), true},
		{"a DATE and a DATETIME column", op(sqlparse.ExprLT, col(1), col(2)), true},
		{"a DATE as a number is YYYYMMDD", op(sqlparse.ExprEQ, op(sqlparse.ExprPlus, col(1), lit("0")), lit("20240602")), true},
		{"a DATETIME as a number is YYYYMMDDHHMMSS", op(sqlparse.ExprEQ, op(sqlparse.ExprPlus, col(0), lit("0")), lit("20240201000000")), true},
	}
	for _, tt := range tests {
		f, err := compileHaving(tt.e, cols, nil, "utf8mb4")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got, err := f(row); err != nil || got != tt.want {
			t.Errorf("%s: got %v (%v), want %v", tt.name, got, err, tt.want)
		}
	}
	for _, text := range []string{"'2024-02'", "'yesterday'", "'2024-02-30'", "2024"} {
		_, err := compileHaving(op(sqlparse.ExprGT, col(0), lit(text)), cols, nil, "utf8mb4")
		var unread *engine.CollationUnknownError
		if !errors.As(err, &unread) {
			t.Errorf("HAVING dt > %s: %v, want it refused (Strata does not read it as MariaDB would)", text, err)
		}
	}
	if _, err := compileHaving(op(sqlparse.ExprGT, col(0), &sqlparse.Expr{Op: sqlparse.ExprParam, Param: 1}), cols, []string{"'2024-02-01 10:00:00'"}, "utf8mb4"); err != nil {
		t.Errorf("a bound moment: %v", err)
	}
	// A TIME is a duration ('-01:00:00', '100:00:00'), which text does not order.
	times := []engine.Column{{Name: "MAX(took)", Type: engine.TypeTime}}
	_, err := compileHaving(op(sqlparse.ExprGT, col(0), lit("'01:00:00'")), times, nil, "utf8mb4")
	var unread *engine.CollationUnknownError
	if !errors.As(err, &unread) {
		t.Errorf("HAVING on a TIME: %v, want it refused", err)
	}
}
