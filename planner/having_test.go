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
	}
	for _, tt := range tests {
		f, err := compileHaving(tt.e, cols, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := f(tt.r)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v (%v), want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := compileHaving(col(7), cols, nil); err == nil {
		t.Error("a HAVING column past the row was accepted")
	}
	// Text whose collation Strata cannot tell is not compared by a guess.
	unknown := append([]engine.Column(nil), cols...)
	unknown[0].CollationUnknown = "cannot tell"
	var cerr *engine.CollationUnknownError
	if _, err := compileHaving(op(sqlparse.ExprEQ, col(0), lit("x")), unknown, nil); !errors.As(err, &cerr) {
		t.Errorf("HAVING over a column of unknown collation: %v, want CollationUnknownError", err)
	}
	if _, err := compileHaving(op(sqlparse.ExprGT, col(2), lit("0")), unknown, nil); err != nil {
		t.Errorf("HAVING over other columns: %v", err)
	}
}
