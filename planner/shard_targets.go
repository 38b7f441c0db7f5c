package planner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// target is one shard (and, for date tables, one period table) a
// statement runs on, with the IN values that belong there.
type target struct {
	shard string
	table string // physical period table; "" for non-date tables
	in    []sqlparse.Operand
}

// value reads an operand, a literal or a bound argument, as a value of
// the key column, whose type kt decides what a quoted number means: for
// an integer column '042' is 42, for a text column it is the text '042',
// and a number compared with a text column matches texts of other
// spellings ('5', '05'), though one stored in it (stored: an INSERT's
// value) is its decimal text. Values that one shard's rows cannot answer
// for are not routed (ok false): a read then scatters, a write is refused.
func value(op sqlparse.Operand, args []string, kt shard.KeyType, stored bool, charset string) (shard.Value, bool) {
	lit := op.Literal
	if op.Param > 0 {
		if op.Param > len(args) {
			return shard.Value{}, false
		}
		lit = args[op.Param-1]
	}
	if op.Expr || lit == "" {
		return shard.Value{}, false
	}
	if n, ok := approximateInteger(lit); ok {
		lit = n
	}
	if n, _, ok := shard.ParseHybrid(lit); ok && op.Param == 0 {
		// 0x10 and b'10000' are numbers to an integer column and bytes
		// to a text one; X'10' is always bytes.
		if kt == shard.KeyTypeInteger {
			return integerText(strconv.FormatUint(n, 10))
		}
		if kt != shard.KeyTypeText {
			return shard.Value{}, false
		}
	}
	litCharset, lit := literalCharset(lit, charset)
	v, err := shard.ParseLiteral(lit)
	if err != nil {
		return shard.Value{}, false
	}
	if v.IsNull() {
		return v, true
	}
	str, isStr := v.Str()
	if isStr {
		// A text key is placed by its characters, whichever character
		// set the client wrote it in (also before Strata has learned the
		// key column's type: a number or date in quotes is ASCII alike).
		text, ok := keyText(str, litCharset)
		if !ok {
			return v, false
		}
		str, v = text, shard.String(text)
	}
	switch kt {
	case shard.KeyTypeText:
		if !isStr && stored && (v.Kind() == shard.KindInt || v.Kind() == shard.KindUint) {
			// An integer stored in a text column is its decimal text.
			return shard.String(string(v.Canonical())), true
		}
		return v, isStr
	case shard.KeyTypeInteger:
		if !isStr {
			return v, v.Kind() == shard.KindInt || v.Kind() == shard.KindUint
		}
		return integerText(str)
	case shard.KeyTypeUUID, shard.KeyTypeINET6:
		if !isStr {
			return v, false
		}
		if litCharset == "binary" && len(str) == 16 {
			// A binary string of 16 bytes is the value itself to the
			// server (X'…', a bound []byte), not its text.
			return shard.String(shard.FixedKeyOf(kt, [16]byte([]byte(str)))), true
		}
		text, ok := shard.FixedKeyText(kt, str)
		return shard.String(text), ok
	}
	return v, !ambiguousNumber(v)
}

// keyValue is value as a key of t's column. A key of a type Strata does
// not model, under a method that places it by its text, is routed only
// when spelled as the server prints it (shard.KeyForm): another spelling
// of the value would be placed apart from the row that holds it.
func keyValue(op sqlparse.Operand, args []string, t *shard.Table, stored bool, charset string) (shard.Value, bool) {
	if t.KeyType != shard.KeyTypeOther || !t.PlacesByText() {
		return value(op, args, t.KeyType, stored, charset)
	}
	if quoted, ok := temporalText(operandText(op, args)); ok {
		// DATE '2024-06-03' (a bound DATE, as the session writes it) is
		// placed by its text, as '2024-06-03' is.
		op, args = sqlparse.Operand{Literal: quoted}, nil
	}
	// The literal's text, quoted or not: an integer's digits, a
	// decimal's as written (2.00), a string's characters.
	v, ok := value(op, args, shard.KeyTypeText, true, charset)
	lit := operandText(op, args)
	if digits, ok := approximateDigits(lit); ok {
		lit = digits // a bound DOUBLE 2.5, written 2.5e+00
	}
	if !ok && decimalText(lit) {
		v, ok = shard.String(lit), true
	}
	if !ok || v.IsNull() {
		return v, ok
	}
	text, ok := t.PlacedText(string(v.Canonical()))
	return shard.String(text), ok
}

// operandText is the SQL text of a literal or bound operand ("" for an
// expression).
func operandText(op sqlparse.Operand, args []string) string {
	switch {
	case op.Expr:
		return ""
	case op.Param > 0 && op.Param <= len(args):
		return args[op.Param-1]
	case op.Param > 0:
		return ""
	}
	return op.Literal
}

// decimalText: an unquoted decimal number, -12.50.
func decimalText(s string) bool {
	whole, frac, ok := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	return ok && whole != "" && frac != "" && strings.Trim(whole+frac, "0123456789") == ""
}

// temporalText is the quoted text of a DATE, TIME, DATETIME or TIMESTAMP
// literal (DATE '2024-06-03' is '2024-06-03'); ok is false for any other.
func temporalText(lit string) (string, bool) {
	word, rest, ok := strings.Cut(strings.TrimSpace(lit), " ")
	switch strings.ToUpper(word) {
	case "DATE", "TIME", "DATETIME", "TIMESTAMP":
	default:
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if !ok || len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return "", false
	}
	return rest, true
}

// approximateInteger is the whole number a DOUBLE literal (6e0, 6.0E+00:
// a client's, or a bound FLOAT or DOUBLE as the session writes it) names,
// as its digits; ok is false for any other literal, and for a DOUBLE
// that is not a whole number or not below 10^15 in size. An integer
// column stores such a DOUBLE as that number and compares it so, and a
// text column stores it as those digits (a larger one MariaDB writes in
// exponent form, 1e15), so it is the key the row has or a read means.
func approximateInteger(lit string) (string, bool) {
	digits, ok := approximateDigits(lit)
	if !ok || strings.Contains(digits, ".") {
		return "", false
	}
	if digits == "-0" {
		return "0", true
	}
	return digits, true
}

// approximateDigits is a DOUBLE literal's value as plain decimal digits
// (2.5e+00 is 2.5), the number a DECIMAL key column stores for it; ok is
// false for any other literal and for values not below 10^15 in size.
func approximateDigits(lit string) (string, bool) {
	s := strings.TrimSpace(lit)
	if !strings.ContainsAny(s, "eE") || strings.ContainsAny(s, "'\"xXbB_") {
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(f) >= 1e15 {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// storedKey is the shard key a row holds where a write gives it op: the
// value as the key column stores it (shard.KeyLimit), so the row is
// placed on the shard that owns the key it holds. ok is false where
// Strata cannot read op as a key, or cannot tell what the column stores.
func storedKey(op sqlparse.Operand, args []string, t *shard.Table, charset string) (shard.Value, bool) {
	v, ok := keyValue(op, args, t, true, charset)
	if !ok || v.IsNull() {
		return v, ok
	}
	stored, _, ok := t.KeyLimit.Stored(v)
	return stored, ok
}

// inServersZone is v, a key of t, as the servers' own time_zone names
// the moment v names in the session's (m.Zone()), where t is a date
// table keyed by a TIMESTAMP and the session set a time_zone: MariaDB
// reads such a literal in the session's zone, and Strata picks the
// period table by the literal as the servers' zone writes it, so a row
// is placed as every session reads it. Other keys are v.
func (s *Sharding) inServersZone(ctx context.Context, t *shard.Table, v shard.Value, m sqlparse.Mode) (shard.Value, error) {
	if m.Zone() == "" || !t.KeyLimit.Instant || t.Method.Name() != shard.MethodDate || v.IsNull() {
		return v, nil
	}
	if s.FromZone == nil {
		return v, refuse("table %s is placed by %s, a TIMESTAMP, which this session reads in its time_zone %s: Strata cannot read it as the servers' time_zone here; SET time_zone = DEFAULT", t.Name, t.Method.Key(), m.Zone())
	}
	text := string(v.Canonical())
	moment, err := s.FromZone(ctx, t, text, m.Zone())
	if err != nil {
		return v, refuse("table %s is placed by %s, a TIMESTAMP, and Strata could not read %s in this session's time_zone %s as the servers' time_zone: %v", t.Name, t.Method.Key(), v, m.Zone(), err)
	}
	return shard.String(moment), nil
}

// literalCharset splits a literal into the character set its bytes are
// written in and the literal without its introducer: _latin1'...' and
// _latin1 X'...' are latin1, N'...' utf8mb3, a bare hex literal bytes
// (binary), a plain quoted one the client's character set.
func literalCharset(lit, client string) (charset, rest string) {
	s := strings.TrimSpace(lit)
	switch {
	case len(s) > 1 && (s[0] == 'N' || s[0] == 'n') && s[1] == '\'':
		return "utf8mb3", s[1:]
	case strings.HasPrefix(s, "_"):
		end := strings.IndexAny(s, " \t\n'\"")
		if end > 1 {
			name, rest := strings.ToLower(s[1:end]), strings.TrimSpace(s[end:])
			if name == "utf8" {
				name = "utf8mb3"
			}
			if strings.HasPrefix(rest, "'") || strings.HasPrefix(rest, "\"") || isHexLiteral(rest) {
				return name, rest
			}
		}
	case isHexLiteral(s):
		return "binary", s
	}
	return client, s
}

func isHexLiteral(s string) bool {
	return len(s) > 2 && (s[0] == 'X' || s[0] == 'x') && s[1] == '\'' || strings.HasPrefix(s, "0x")
}

// keyText is a text key's value as UTF-8, the form Strata places text
// keys by whatever client wrote them: a latin1 client's 'Šimon' must land
// where a utf8mb4 client's does. Bytes of a multi-byte character set
// other than UTF-8 (gbk, sjis, big5) are not converted: a value with any
// byte past ASCII is not routed by (a read scatters, a write is refused).
func keyText(s, charset string) (string, bool) {
	switch charset {
	case "", "utf8mb4", "utf8mb3", "ascii", "binary":
		return s, true
	}
	if text, ok := engine.DecodeSingleByte(charset, s); ok {
		return text, true
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return s, false
		}
	}
	return s, true
}

// integerText reads a quoted value as MariaDB reads it for an integer
// column when it is a whole number ('042', '+7', ' 9 ', '\t9\n'); anything
// else ('5.0', 'abc') is not routed. Only ASCII white space is skipped,
// as MariaDB skips it: a no-break space ('\u00a09') makes the text 0
// there, and routing it as 9 would ask the wrong shard.
func integerText(s string) (shard.Value, bool) {
	s = strings.Trim(s, " \t\n\v\f\r")
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return shard.Int(n), true
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return shard.Uint(u), true
	}
	return shard.Value{}, false
}

// ambiguousNumber: a quoted string that MySQL would compare with a numeric
// column as a number other than its own text ('05', '5.0', ' 7'). Routing it
// by its text could pick another shard than the number's, so such values
// are not routed by (the statement scatters, where every shard filters).
func ambiguousNumber(v shard.Value) bool {
	s, ok := v.Str()
	if !ok {
		return false
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err != nil || strconv.FormatInt(n, 10) != s
}

// targets computes where rows matching filter can live.
func (s *Sharding) targets(ctx context.Context, t *shard.Table, filter sqlparse.KeyFilter, args []string, m sqlparse.Mode) (out []target, reason string, unkeyed bool, err error) {
	charset := m.Charset()
	if mv, ok := t.Method.(*shard.Moving); ok {
		defer func() { reason += movingNote(mv) }()
	}
	key := t.Method.Key()
	if filter.Null {
		return nil, key + " IS NULL: no shard holds NULL keys", false, nil
	}
	if filter.In != nil {
		out, ok, err := s.inTargets(ctx, t, filter.In, args, m)
		if err != nil {
			return nil, "", false, err
		}
		if ok {
			return out, fmt.Sprintf("%s = / IN (%d values): the owning shards", key, len(filter.In)), false, nil
		}
	}
	// Ranges narrow only methods whose shards follow key order; on modulo,
	// hash or lookup a range is no usable condition.
	if (filter.Lo != nil || filter.Hi != nil) && inServerOrder(t) {
		lo, okLo := bound(filter.Lo, args, t.KeyType, charset)
		hi, okHi := bound(filter.Hi, args, t.KeyType, charset)
		if okLo && okHi {
			if lo.Value, err = s.inServersZone(ctx, t, lo.Value, m); err != nil {
				return nil, "", false, err
			}
			if hi.Value, err = s.inServersZone(ctx, t, hi.Value, m); err != nil {
				return nil, "", false, err
			}
			out, err := rangeTargets(t, lo, hi)
			if err == nil {
				return out, "range on " + key + ": the overlapping shards", false, nil
			}
		}
	}
	return s.allTargets(t), "no usable condition on " + key + ": scatter to every shard", true, nil
}

func bound(b *sqlparse.RangeBound, args []string, kt shard.KeyType, charset string) (shard.Bound, bool) {
	if b == nil {
		return shard.Bound{}, true
	}
	v, ok := value(b.Value, args, kt, false, charset)
	if !ok {
		return shard.Bound{}, false
	}
	if b.Inclusive {
		return shard.Incl(v), true
	}
	return shard.Excl(v), true
}

// inTargets groups IN values by the shard (and period table) that owns
// them. ok is false when a value cannot be routed (an expression, a value
// of the wrong type): the caller then scatters.
func (s *Sharding) inTargets(ctx context.Context, t *shard.Table, in []sqlparse.Operand, args []string, m sqlparse.Mode) ([]target, bool, error) {
	byKey := map[string]int{}
	var out []target
	for _, op := range in {
		v, ok := keyValue(op, args, t, false, m.Charset())
		if !ok {
			return nil, false, nil
		}
		v, err := s.inServersZone(ctx, t, v, m)
		if err != nil {
			return nil, false, err
		}
		sh, err := t.Method.ShardForContext(ctx, v)
		switch {
		case errors.Is(err, shard.ErrNullKey), errors.Is(err, shard.ErrNotFound):
			continue // matches no row
		case errors.Is(err, shard.ErrKeyType):
			return nil, false, nil
		case err != nil:
			return nil, false, fmt.Errorf("routing %s by %s: %w", t.Name, t.Method.Key(), err)
		}
		table := ""
		if p, isDate := t.Method.(shard.Periodic); isDate {
			if !p.KeptPeriod(v) {
				continue // a period without a table holds no row, as a range read finds
			}
			table = p.PeriodTable(v)
		}
		k := sh + "\x00" + table
		i, seen := byKey[k]
		if !seen {
			i = len(out)
			byKey[k] = i
			out = append(out, target{shard: sh, table: table})
		}
		out[i].in = append(out[i].in, op)
	}
	return out, true, nil
}

// rangeTargets lists the shards (and period tables) a key range overlaps,
// in ascending key order.
func rangeTargets(t *shard.Table, lo, hi shard.Bound) ([]target, error) {
	if d, ok := t.Method.(*shard.Date); ok {
		var out []target
		for _, dt := range d.DateTables(lo, hi) {
			out = append(out, target{shard: dt.Shard, table: dt.Table})
		}
		slices.Reverse(out) // DateTables lists newest first
		return out, nil
	}
	shards, err := t.Method.ShardsForRange(lo, hi)
	if err != nil {
		return nil, err
	}
	out := make([]target, len(shards))
	for i, sh := range shards {
		out[i] = target{shard: sh}
	}
	return out, nil
}

// allTargets is every shard (and every period table) of t, in key order.
// Callers must not modify the slice: for date tables it is cached for the
// hour (period tables change only at period starts, which are on the hour).
func (s *Sharding) allTargets(t *shard.Table) []target {
	if _, ok := t.Method.(*shard.Date); ok {
		key := t.Name + "\x00" + time.Now().Truncate(time.Hour).String()
		if v, ok := s.periods.Load(key); ok {
			return v.([]target)
		}
		out := s.computeAllTargets(t)
		s.periods.Store(key, out)
		return out
	}
	return s.computeAllTargets(t)
}

func (s *Sharding) computeAllTargets(t *shard.Table) []target {
	out, err := rangeTargets(t, shard.Bound{}, shard.Bound{})
	if err != nil || len(out) == 0 {
		for _, sh := range t.Method.Shards() {
			out = append(out, target{shard: sh})
		}
	}
	return out
}

// emptyTarget is one place to run a query that matches no rows.
func (s *Sharding) emptyTarget(t *shard.Table) []target {
	all := s.allTargets(t)
	return all[len(all)-1:]
}

// key identifies the target's rendering: shard, period table, IN values.
func (tg target) key(scatter bool) string {
	var b strings.Builder
	if scatter {
		b.WriteByte('S')
	}
	b.WriteString(tg.shard)
	b.WriteByte(0)
	b.WriteString(tg.table)
	for _, op := range tg.in {
		b.WriteByte(0)
		b.WriteString(op.Literal)
		if op.Param > 0 {
			b.WriteString("?" + strconv.Itoa(op.Param))
		}
	}
	return b.String()
}

// rewrite is the Rewrite of one target.
func rewrite(st *sqlparse.ShardStmt, lead int, t *shard.Table, tg target, args []string, splitIn bool) sqlparse.Rewrite {
	rw := sqlparse.Rewrite{Args: args}
	if tg.table != "" {
		rw.Tables = map[sqlparse.TableRef]string{st.Uses[lead].Ref: tg.table}
	}
	if splitIn && tg.in != nil && st.Uses[lead].Filter.InIndex >= 0 {
		rw.In = map[int][]sqlparse.Operand{st.Uses[lead].Filter.InIndex: tg.in}
	}
	return rw
}

// inKeyOrder sorts targets (which an IN list gives in its own order) in
// the key order of the table's shards and period tables.
func (s *Sharding) inKeyOrder(t *shard.Table, targets []target) []target {
	if !slices.ContainsFunc(targets, func(tg target) bool { return tg.in != nil }) {
		return targets // from a range or a scatter: in key order already
	}
	pos := map[string]int{}
	for i, tg := range s.allTargets(t) {
		pos[tg.shard+"\x00"+tg.table] = i
	}
	out := slices.Clone(targets)
	slices.SortStableFunc(out, func(a, b target) int {
		return pos[a.shard+"\x00"+a.table] - pos[b.shard+"\x00"+b.table]
	})
	return out
}

// templateIf is sql as the template of a prepared statement's route (args
// non-nil), else "".
func templateIf(args []string, sql string) string {
	if args == nil {
		return ""
	}
	return sql
}

// template renders a prepared statement's single route with its
// placeholders kept: the period table renamed, the IN list whole (each ?
// stays where the client's EXECUTE binds it).
func template(st *sqlparse.ShardStmt, lead int, t *shard.Table, tg target, args []string) (string, error) {
	if args == nil {
		return "", nil
	}
	sql, err := st.RenderTemplate(rewrite(st, lead, t, tg, nil, false))
	if errors.Is(err, sqlparse.ErrPlaceholderOrder) {
		// The shard could not take the client's values in their order:
		// each EXECUTE runs the route's text with its values written in.
		return "", nil
	}
	return sql, err
}

func tableList(t *shard.Table, tg target) []string {
	if tg.table != "" {
		return []string{tg.table}
	}
	return []string{t.Name}
}

// movingNote tells EXPLAIN STRATA that a table moves, and how its keys are
// placed meanwhile.
func movingNote(m *shard.Moving) string {
	marks := m.Marks()
	parts := make([]string, 0, len(marks))
	for _, src := range slices.Sorted(maps.Keys(marks)) {
		mark := marks[src]
		if mark == "" {
			mark = "none yet"
		}
		parts = append(parts, src+" "+mark)
	}
	return "; the table is moving to a new layout (online rebalance): a key goes by the new layout once its old shard's mark passes it (moved up to: " + strings.Join(parts, ", ") + "), ranges read the shards of both"
}
