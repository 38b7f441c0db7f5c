package planner

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

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
	// when is a DATE, DATETIME or TIMESTAMP column's value as
	// "YYYY-MM-DD HH:MM:SS.ffffff" (a DATE at midnight): MariaDB compares
	// such a value with a constant as a moment, not as text, and these
	// strings order as their moments do.
	when string
	date bool // a DATE's: as a number, YYYYMMDD
	// hybrid is a hex or bit literal (0x41, b'1000001'): num, except
	// against a string, where it is its bytes, str.
	hybrid bool
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
		if engine.FixedBinary(c) && readsColumn(e, i) {
			// A server reads the text it is compared with as a UUID or an
			// address, which this evaluator, comparing text, would not.
			return nil, &engine.CollationUnknownError{Reason: fmt.Sprintf("Strata cannot compare the UUID or INET6 value %s in a HAVING as the server does, so it does not apply this HAVING to groups merged from several shards. Filter the groups in an outer query (SELECT * FROM (SELECT ...) AS g WHERE %s > ...), or name the shard key so one shard answers", c.Name, c.Name)}
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
	return ev.checkMoments(e)
}

// checkMoments refuses, before any row is read, a comparison of a date or
// time column with a constant Strata does not read as a moment as MariaDB
// would ('2024-02', 'yesterday').
func (ev *evaluator) checkMoments(e *sqlparse.Expr) error {
	switch e.Op {
	case sqlparse.ExprEQ, sqlparse.ExprNE, sqlparse.ExprLT, sqlparse.ExprLE, sqlparse.ExprGT, sqlparse.ExprGE:
	default:
		return nil
	}
	for i, a := range e.Args {
		if a.Op == sqlparse.ExprColumn && ev.cols[a.Col].Type == engine.TypeTime {
			// Durations: '-01:00:00' and '100:00:00' do not order as text.
			return &engine.CollationUnknownError{Reason: fmt.Sprintf("HAVING compares %s, a TIME, which Strata does not compare as MariaDB would: "+
				"compare TIME_TO_SEC(...) of it, or name the shard key so one shard answers", ev.cols[a.Col].Name)}
		}
		if a.Op != sqlparse.ExprColumn || !temporal(ev.cols[a.Col].Type) {
			continue
		}
		other := e.Args[1-i]
		var text string
		switch other.Op {
		case sqlparse.ExprLiteral:
			text = other.Literal
		case sqlparse.ExprParam:
			text = ev.args[other.Param-1]
		default:
			continue
		}
		v, err := literal(text, ev.charset)
		if err != nil || v.null {
			continue
		}
		if _, err := asMoment(v); err != nil {
			return err
		}
	}
	return nil
}

// temporal reports whether a column of type t holds a DATE, DATETIME or
// TIMESTAMP, which MariaDB compares with a constant as a moment.
func temporal(t byte) bool {
	switch t {
	case engine.TypeDate, engine.TypeNewDate, engine.TypeDateTime, engine.TypeTimestamp:
		return true
	}
	return false
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
	c, err := ev.compare(a, b)
	if err != nil {
		return hv{}, err
	}
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
	if t := ev.cols[i].Type; temporal(t) {
		if when, ok := moment(string(v)); ok {
			return hv{str: string(v), when: when, date: t == engine.TypeDate || t == engine.TypeNewDate}
		}
	}
	if to := ev.toUTF8[i]; to != nil {
		v = to(v)
	}
	return hv{str: string(v), coll: ev.colls[i]}
}

// compare follows MySQL: a date or time column's value and a constant
// as moments, numbers by value, a number and a string as numbers, two
// strings by collation. A constant Strata cannot read as a moment as
// MariaDB would is refused rather than compared otherwise.
func (ev *evaluator) compare(a, b hv) (int, error) {
	if a.when != "" || b.when != "" {
		x, err := asMoment(a)
		if err != nil {
			return 0, err
		}
		y, err := asMoment(b)
		if err != nil {
			return 0, err
		}
		return strings.Compare(x, y), nil
	}
	if a.hybrid && b.num == nil {
		a.num = nil // 0x41 = 'A': compared as bytes
	}
	if b.hybrid && a.num == nil {
		b.num = nil
	}
	if a.num != nil || b.num != nil {
		return toNumber(a).Cmp(toNumber(b)), nil
	}
	coll := &ev.coll
	switch {
	case a.coll != nil:
		coll = a.coll
	case b.coll != nil:
		coll = b.coll
	}
	return coll.Compare([]byte(a.str), []byte(b.str)), nil
}

// asMoment is v as a moment ("YYYY-MM-DD HH:MM:SS.ffffff"): a date or
// time column's value, or a constant written as one ('2024-02-01',
// '2024-02-01 10:00:00.5', 20240201, 20240201100000).
func asMoment(v hv) (string, error) {
	if v.when != "" {
		return v.when, nil
	}
	text := v.str
	if v.num != nil {
		text = v.num.RatString()
	}
	if when, ok := moment(text); ok {
		return when, nil
	}
	return "", &engine.CollationUnknownError{Reason: fmt.Sprintf("HAVING compares a date or time with %q, which Strata does not read as a moment as MariaDB would: "+
		"write it as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS[.ffffff]', or name the shard key so one shard answers", text)}
}

// moment reads a DATE, DATETIME or TIMESTAMP as MariaDB writes it, or a
// number YYYYMMDD or YYYYMMDDHHMMSS, as "YYYY-MM-DD HH:MM:SS.ffffff";
// false for anything else.
func moment(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		switch len(s) {
		case 8:
			s = s[:4] + "-" + s[4:6] + "-" + s[6:]
		case 14:
			s = s[:4] + "-" + s[4:6] + "-" + s[6:8] + " " + s[8:10] + ":" + s[10:12] + ":" + s[12:]
		}
	}
	date, clock, hasClock := strings.Cut(s, " ")
	if !hasClock {
		clock = "00:00:00"
	}
	whole, frac, hasFrac := strings.Cut(clock, ".")
	if len(date) != 10 || len(whole) != 8 || (hasFrac && (frac == "" || len(frac) > 6)) || !digitsAt(date, 0, 1, 2, 3, 5, 6, 8, 9) ||
		date[4] != '-' || date[7] != '-' || !digitsAt(whole, 0, 1, 3, 4, 6, 7) || whole[2] != ':' || whole[5] != ':' {
		return "", false
	}
	if _, err := strconv.ParseUint("1"+frac, 10, 32); hasFrac && err != nil {
		return "", false
	}
	if date != "0000-00-00" {
		if _, err := time.Parse("2006-01-02 15:04:05", date+" "+whole); err != nil {
			return "", false
		}
	}
	return date + " " + whole + "." + frac + strings.Repeat("0", 6-len(frac)), true
}

// digitsAt reports whether s has an ASCII digit at each position.
func digitsAt(s string, at ...int) bool {
	for _, i := range at {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// literal reads a literal's SQL text, its strings in UTF-8: written in
// client's character set unless an introducer names another.
func literal(text, client string) (hv, error) {
	if strings.EqualFold(strings.TrimSpace(text), "NULL") {
		return hv{null: true}, nil
	}
	if n, bytes, ok := shard.ParseHybrid(text); ok {
		return hv{num: new(big.Rat).SetUint64(n), str: bytes, hybrid: true}, nil
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

// toNumber converts like MySQL: a date or time as YYYYMMDDHHMMSS.ffffff,
// a string's leading number, else 0.
func toNumber(v hv) *big.Rat {
	if v.num != nil {
		return v.num
	}
	if v.when != "" {
		digits := strings.NewReplacer("-", "", " ", "", ":", "").Replace(v.when)
		if v.date {
			digits = digits[:8]
		}
		n, _ := new(big.Rat).SetString(digits)
		return n
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
