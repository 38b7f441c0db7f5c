package planner

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// hv is a value while a HAVING expression is evaluated: NULL, a number
// (exact, as MySQL compares DECIMAL and integer results) or a string,
// with the collation of the column it comes from (nil for a literal or
// a computed value).
type hv struct {
	null bool
	num  *big.Rat
	str  string
	coll *engine.Collation
}

// compileHaving turns a HAVING expression over the combined rows into a
// filter. SQL's three-valued logic applies: a NULL condition drops the row.
// Strings compare in UTF-8: the rows' text as the connection receives it
// and the statement's strings as the client writes them (charset) are
// converted, so a latin1 client's 'é' meets the é of rows read in UTF-8.
func compileHaving(e *sqlparse.Expr, cols []engine.Column, args []string, charset string) (func(engine.Row) (bool, error), error) {
	coll, err := engine.CollationByName("utf8mb4_general_ci")
	if err != nil {
		return nil, err
	}
	ev := &evaluator{cols: cols, args: args, charset: charset, coll: coll,
		colls: make([]*engine.Collation, len(cols)), toUTF8: make([]func([]byte) []byte, len(cols))}
	for i, c := range cols {
		if c.CollationUnknown != "" && readsColumn(e, i) {
			// Its text would compare by a collation the shards may not
			// use: refuse, as a merge that compares it does.
			return nil, &engine.CollationUnknownError{Reason: c.CollationUnknown}
		}
		if cc, err := engine.ColumnCollation(c); err == nil {
			utf8 := cc.ReadingUTF8()
			ev.colls[i], ev.toUTF8[i] = &utf8, cc.ToUTF8
		}
	}
	if err := ev.check(e); err != nil {
		return nil, err
	}
	return func(r engine.Row) (bool, error) {
		v, err := ev.eval(e, r)
		if err != nil || v.null {
			return false, err
		}
		return truthy(v), nil
	}, nil
}

type evaluator struct {
	cols    []engine.Column
	args    []string
	charset string           // the statement's strings are written in it
	coll    engine.Collation // the connection's: strings of no column compare by it
	// colls are the columns' own collations (nil: unknown), which a
	// comparison with a column's value uses, as MySQL's coercibility
	// rules have it: a column's collation wins over a literal's. They
	// read UTF-8, which toUTF8 makes of each column's text.
	colls  []*engine.Collation
	toUTF8 []func([]byte) []byte
}

// check validates column indexes once, so eval cannot index out of range.
func (ev *evaluator) check(e *sqlparse.Expr) error {
	switch e.Op {
	case sqlparse.ExprColumn:
		if e.Col < 0 || e.Col >= len(ev.cols) {
			return fmt.Errorf("HAVING refers to column %d of %d", e.Col, len(ev.cols))
		}
	case sqlparse.ExprParam:
		if e.Param < 1 || e.Param > len(ev.args) {
			return fmt.Errorf("HAVING placeholder %d has no bound value", e.Param)
		}
	}
	for _, a := range e.Args {
		if err := ev.check(a); err != nil {
			return err
		}
	}
	return nil
}

func (ev *evaluator) eval(e *sqlparse.Expr, r engine.Row) (hv, error) {
	switch e.Op {
	case sqlparse.ExprColumn:
		return ev.column(e.Col, r), nil
	case sqlparse.ExprLiteral:
		return literal(e.Literal, ev.charset)
	case sqlparse.ExprParam:
		return literal(ev.args[e.Param-1], ev.charset)
	case sqlparse.ExprAnd, sqlparse.ExprOr:
		return ev.logic(e, r)
	case sqlparse.ExprNot:
		v, err := ev.eval(e.Args[0], r)
		if err != nil || v.null {
			return v, err
		}
		return boolean(!truthy(v)), nil
	case sqlparse.ExprIsNull, sqlparse.ExprIsNotNull:
		v, err := ev.eval(e.Args[0], r)
		return boolean(v.null == (e.Op == sqlparse.ExprIsNull)), err
	case sqlparse.ExprNeg:
		v, err := ev.eval(e.Args[0], r)
		if err != nil || v.null {
			return v, err
		}
		return hv{num: new(big.Rat).Neg(toNumber(v))}, nil
	}
	a, err := ev.eval(e.Args[0], r)
	if err != nil {
		return hv{}, err
	}
	b, err := ev.eval(e.Args[1], r)
	if err != nil || a.null || b.null {
		return hv{null: true}, err
	}
	switch e.Op {
	case sqlparse.ExprPlus, sqlparse.ExprMinus, sqlparse.ExprMul, sqlparse.ExprDiv:
		return arith(e.Op, toNumber(a), toNumber(b)), nil
	}
	c := ev.compare(a, b)
	switch e.Op {
	case sqlparse.ExprEQ:
		return boolean(c == 0), nil
	case sqlparse.ExprNE:
		return boolean(c != 0), nil
	case sqlparse.ExprLT:
		return boolean(c < 0), nil
	case sqlparse.ExprLE:
		return boolean(c <= 0), nil
	case sqlparse.ExprGT:
		return boolean(c > 0), nil
	case sqlparse.ExprGE:
		return boolean(c >= 0), nil
	}
	return hv{}, fmt.Errorf("HAVING operator %d is not supported", e.Op)
}

// logic is AND/OR with SQL's NULL rules.
func (ev *evaluator) logic(e *sqlparse.Expr, r engine.Row) (hv, error) {
	a, err := ev.eval(e.Args[0], r)
	if err != nil {
		return hv{}, err
	}
	b, err := ev.eval(e.Args[1], r)
	if err != nil {
		return hv{}, err
	}
	if e.Op == sqlparse.ExprAnd {
		switch {
		case !a.null && !truthy(a), !b.null && !truthy(b):
			return boolean(false), nil
		case a.null || b.null:
			return hv{null: true}, nil
		}
		return boolean(true), nil
	}
	switch {
	case !a.null && truthy(a), !b.null && truthy(b):
		return boolean(true), nil
	case a.null || b.null:
		return hv{null: true}, nil
	}
	return boolean(false), nil
}

func (ev *evaluator) column(i int, r engine.Row) hv {
	v := r[i]
	if v == nil {
		return hv{null: true}
	}
	switch ev.cols[i].Type {
	case engine.TypeTiny, engine.TypeShort, engine.TypeLong, engine.TypeLongLong, engine.TypeInt24,
		engine.TypeYear, engine.TypeDecimal, engine.TypeNewDecimal, engine.TypeFloat, engine.TypeDouble:
		if n, ok := new(big.Rat).SetString(string(v)); ok {
			return hv{num: n}
		}
	}
	if to := ev.toUTF8[i]; to != nil {
		v = to(v)
	}
	return hv{str: string(v), coll: ev.colls[i]}
}

// compare follows MySQL: numbers by value, a number and a string as
// numbers, two strings by collation.
func (ev *evaluator) compare(a, b hv) int {
	if a.num != nil || b.num != nil {
		return toNumber(a).Cmp(toNumber(b))
	}
	coll := &ev.coll
	switch {
	case a.coll != nil:
		coll = a.coll
	case b.coll != nil:
		coll = b.coll
	}
	return coll.Compare([]byte(a.str), []byte(b.str))
}

// literal reads a literal's SQL text, its strings in UTF-8: written in
// client's character set unless an introducer names another.
func literal(text, client string) (hv, error) {
	if strings.EqualFold(strings.TrimSpace(text), "NULL") {
		return hv{null: true}, nil
	}
	if n, ok := new(big.Rat).SetString(strings.TrimSpace(text)); ok {
		return hv{num: n}, nil
	}
	charset, rest := literalCharset(text, client)
	v, err := shard.ParseLiteral(rest)
	if err != nil {
		return hv{str: text}, nil
	}
	if i, ok := v.Int64(); ok {
		return hv{num: new(big.Rat).SetInt64(i)}, nil
	}
	s, ok := v.Str()
	if !ok {
		return hv{str: v.String()}, nil
	}
	if s, ok = keyText(s, charset); !ok {
		return hv{}, &engine.CollationUnknownError{Reason: fmt.Sprintf("the HAVING string %s is written in character set %s, which Strata does not read, so it does not compare it over the shards' rows: send the statement over a utf8mb4 connection (SET NAMES utf8mb4), or name the shard key so one shard answers", text, charset)}
	}
	return hv{str: s}, nil
}

// toNumber converts like MySQL: a string's leading number, else 0.
func toNumber(v hv) *big.Rat {
	if v.num != nil {
		return v.num
	}
	s := strings.TrimSpace(v.str)
	for end := len(s); end > 0; end-- {
		if n, ok := new(big.Rat).SetString(s[:end]); ok {
			return n
		}
	}
	return new(big.Rat)
}

func arith(op sqlparse.ExprOp, a, b *big.Rat) hv {
	r := new(big.Rat)
	switch op {
	case sqlparse.ExprPlus:
		r.Add(a, b)
	case sqlparse.ExprMinus:
		r.Sub(a, b)
	case sqlparse.ExprMul:
		r.Mul(a, b)
	case sqlparse.ExprDiv:
		if b.Sign() == 0 {
			return hv{null: true} // MySQL: division by zero is NULL
		}
		r.Quo(a, b)
	}
	return hv{num: r}
}

func truthy(v hv) bool { return toNumber(v).Sign() != 0 }

func boolean(b bool) hv {
	if b {
		return hv{num: big.NewRat(1, 1)}
	}
	return hv{num: new(big.Rat)}
}

// readsColumn reports whether e reads column col.
func readsColumn(e *sqlparse.Expr, col int) bool {
	if e == nil {
		return false
	}
	if e.Op == sqlparse.ExprColumn && e.Col == col {
		return true
	}
	for _, a := range e.Args {
		if readsColumn(a, col) {
			return true
		}
	}
	return false
}
