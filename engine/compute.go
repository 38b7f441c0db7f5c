package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Evaluator runs a SELECT without tables on a server and returns its rows:
// how Compute has MariaDB evaluate expressions over merged values.
type Evaluator func(ctx context.Context, query string) ([]Row, error)

// ErrNotComputable is why Compute refused: a value it cannot write as a
// literal of its own type for MariaDB to evaluate.
var ErrNotComputable = errors.New("cannot evaluate the expression over the merged values")

// ComputePart is a piece of a computed column's SQL text: Text as is, or
// the merged value of column Col written as a typed literal, or (Avg)
// Col / CountCol as MariaDB's AVG computes it.
type ComputePart struct {
	Text     string
	Input    bool
	Avg      bool
	Col      int
	CountCol int
	// ExactCol (0: none), where Col is a DECIMAL sum of a division's
	// values, which the server keeps with more fraction digits than it
	// shows, holds them all. The sum is written so that MariaDB holds
	// those digits as the server did (exactSumLiteral).
	ExactCol int
	// PrecCol (0: none) holds the session's div_precision_increment,
	// which MariaDB then divides with, as the client's server did.
	PrecCol int
}

// ComputeField is a column whose value is replaced by MariaDB's answer to
// its expression over the row's merged values.
type ComputeField struct {
	Col   int
	Parts []ComputePart
}

// maxDecimalDigits is the most digits a MariaDB DECIMAL holds.
const maxDecimalDigits = 65

// computeBatch is how many rows one evaluating query carries.
const computeBatch = 256

// Compute replaces computed columns of every row with MariaDB's value of
// their expression over the row's other (merged) columns. It reads its
// whole input before it evaluates anything: the evaluating server is
// reached on a connection whose shard answer must be finished first, and
// an aggregated input has one row per group.
type Compute struct {
	in     RowStream
	cols   []Column
	fields []ComputeField
	eval   Evaluator
	rows   []Row
	pos    int
	done   bool
}

// NewCompute evaluates fields over in's rows, whose columns are cols.
func NewCompute(in RowStream, cols []Column, fields []ComputeField, eval Evaluator) (*Compute, error) {
	for _, f := range fields {
		if f.Col < 0 || f.Col >= len(cols) {
			return nil, fmt.Errorf("computed column %d of %d", f.Col, len(cols))
		}
		for _, p := range f.Parts {
			if p.Input && (p.Col < 0 || p.Col >= len(cols) || (p.Avg && (p.CountCol < 0 || p.CountCol >= len(cols)))) {
				return nil, fmt.Errorf("computed column %d reads column %d of %d", f.Col, p.Col, len(cols))
			}
		}
	}
	return &Compute{in: in, cols: cols, fields: fields, eval: eval}, nil
}

// Next returns the next row with its computed columns filled in.
func (c *Compute) Next(ctx context.Context) (Row, error) {
	if !c.done {
		if err := c.load(ctx); err != nil {
			return nil, err
		}
		c.done = true
	}
	if c.pos >= len(c.rows) {
		return nil, io.EOF
	}
	r := c.rows[c.pos]
	c.rows[c.pos] = nil
	c.pos++
	return r, nil
}

// Close closes the input.
func (c *Compute) Close() error { return c.in.Close() }

func (c *Compute) load(ctx context.Context) error {
	all, err := Collect(ctx, c.in)
	if err != nil {
		return err
	}
	for start := 0; start < len(all); start += computeBatch {
		batch := all[start:min(start+computeBatch, len(all))]
		q, err := c.query(batch)
		if err != nil {
			return err
		}
		got, err := c.eval(ctx, q)
		if err != nil {
			return fmt.Errorf("evaluating an expression over aggregates: %w", err)
		}
		if len(got) != len(batch) {
			return fmt.Errorf("evaluating an expression over aggregates: %d rows for %d", len(got), len(batch))
		}
		for i, r := range batch {
			if len(got[i]) != len(c.fields) {
				return fmt.Errorf("evaluating an expression over aggregates: %d values for %d", len(got[i]), len(c.fields))
			}
			for k, f := range c.fields {
				r[f.Col] = got[i][k]
			}
		}
	}
	c.rows = all
	return nil
}

// query is one SELECT per row, UNION ALL: the same expression over values
// of the same types gives every row the type one server would.
func (c *Compute) query(rows []Row) (string, error) {
	var sb strings.Builder
	if increment, ok := c.increment(rows[0]); ok {
		// The evaluating connection has the session's variables but
		// not a SET STATEMENT's.
		fmt.Fprintf(&sb, "SET STATEMENT div_precision_increment = %d FOR ", increment)
	}
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(" UNION ALL ")
		}
		sb.WriteString("SELECT ")
		for k, f := range c.fields {
			if k > 0 {
				sb.WriteString(", ")
			}
			if err := c.writeExpr(&sb, f, r); err != nil {
				return "", err
			}
		}
	}
	return sb.String(), nil
}

func (c *Compute) writeExpr(sb *strings.Builder, f ComputeField, r Row) error {
	for _, p := range f.Parts {
		switch {
		case !p.Input:
			sb.WriteString(p.Text)
		case p.Avg:
			sum, err := c.sumLiteral(p, r)
			if err != nil {
				return err
			}
			cnt, err := Literal(c.cols[p.CountCol], r[p.CountCol])
			if err != nil {
				return err
			}
			sb.WriteString("(" + sum + " / " + cnt + ")")
		default:
			lit, err := c.sumLiteral(p, r)
			if err != nil {
				return err
			}
			sb.WriteString(lit)
		}
	}
	return nil
}

// increment is the session's div_precision_increment, where a part
// carries it.
func (c *Compute) increment(r Row) (int, bool) {
	for _, f := range c.fields {
		for _, p := range f.Parts {
			if p.Input && p.PrecCol > 0 && p.PrecCol < len(r) && r[p.PrecCol] != nil {
				n, err := strconv.Atoi(string(r[p.PrecCol]))
				return n, err == nil && n >= 0 && n <= maxDecimalScale
			}
		}
	}
	return 0, false
}

// sumLiteral is column p.Col of r as a literal: with every digit the
// server kept where p says it has them (exactSumLiteral), else as shown.
func (c *Compute) sumLiteral(p ComputePart, r Row) (string, error) {
	if p.ExactCol > 0 && p.ExactCol < len(r) && p.PrecCol > 0 && p.PrecCol < len(r) && classOf(c.cols[p.Col].Type) == classDecimal {
		if lit, ok := exactSumLiteral(r[p.Col], r[p.ExactCol], r[p.PrecCol]); ok {
			return lit, nil
		}
	}
	return Literal(c.cols[p.Col], r[p.Col])
}

// exactSumLiteral writes a sum of a division's values as MariaDB holds
// it: shown with the scale of shown, with every digit of exact (the sum
// with the fraction digits the server kept) inside. Only a division makes
// such a value, so it is one: A / 10^k, where A is exact moved k places
// and given shown's scale less div_precision_increment (prec). MariaDB
// types the quotient with A's scale plus prec, shown's, and keeps its
// fraction to whole 9-digit words, as it kept the division summed — so
// SUM(x / 7) * 7 over it is one server's 19144.0000, not 19143.9997 from
// the shown sum. ok is false when the shown sum is the one the server
// holds (decimal.heldScale) or the values do not fit that form.
func exactSumLiteral(shown, exact, prec Value) (string, bool) {
	if shown == nil || exact == nil || !NumberText(exact) {
		return "", false
	}
	increment, err := strconv.Atoi(string(prec))
	if err != nil || increment < 0 {
		return "", false
	}
	_, shownFrac, _ := strings.Cut(string(shown), ".")
	scaleA := len(shownFrac) - increment
	d, err := parseDecimal(exact)
	if err != nil || scaleA < 0 || d.heldScale(len(shownFrac)) == len(shownFrac) {
		return "", false // held as shown: the shown sum is the one
	}
	k := max(0, d.fracDigits()-scaleA)
	a := d.shifted(k, scaleA).String()
	if digits := len(strings.TrimPrefix(a, "-")) - min(scaleA, 1); digits > maxDecimalDigits {
		return "", false // the point is no digit
	}
	castA := fmt.Sprintf("CAST(X'%s' AS DECIMAL(%d,%d))", hex.EncodeToString([]byte(a)), maxDecimalDigits, scaleA)
	return "(" + castA + " / 1" + strings.Repeat("0", k) + ")", true
}

// Literal writes v, a value of column c, as SQL whose type is c's, so
// that an expression over it is typed and rounded as over the column.
func Literal(c Column, v Value) (string, error) {
	if FixedBinary(c) {
		return fixedBinaryLiteral(c, v), nil
	}
	if classOf(c.Type) == classString && c.Type != TypeJSON && c.Type != TypeGeometry {
		return stringLiteral(c, v)
	}
	if (c.Type == TypeDecimal || c.Type == TypeNewDecimal) && v != nil {
		// A DECIMAL's text has exactly its scale's digits: an AVG merged
		// with the session's div_precision_increment has that scale,
		// which the column definition, sent before any row, could not.
		if _, frac, ok := strings.Cut(string(v), "."); ok {
			c.Decimals = byte(min(len(frac), maxDecimalScale))
		} else {
			c.Decimals = 0
		}
	}
	sqlType, err := castType(c)
	if err != nil {
		return "", err
	}
	if v == nil && c.Type == TypeLongLong {
		// A NULL BIGINT: CAST(NULL ...) alone would be an INT.
		return "IF(0, CAST(X'" + hex.EncodeToString(padInteger(Value("0"))) + "' AS " + sqlType + "), NULL)", nil
	}
	if v == nil {
		return "CAST(NULL AS " + sqlType + ")", nil
	}
	switch classOf(c.Type) {
	case classDecimal, classFloat:
		if !NumberText(v) {
			return "", fmt.Errorf("%w: %q is not a number", ErrNotComputable, v)
		}
	}
	if c.Type == TypeLongLong {
		v = padInteger(v)
	}
	return "CAST(X'" + hex.EncodeToString(v) + "' AS " + sqlType + ")", nil
}

// padInteger writes an integer with leading zeros to 20 digits: MariaDB
// types a CAST(... AS SIGNED) by its argument's length, and only a long
// one is a BIGINT, as a COUNT(*) is.
func padInteger(v Value) Value {
	sign, digits := "", string(v)
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	if len(digits) >= 20 {
		return v
	}
	return Value(sign + strings.Repeat("0", 20-len(digits)) + digits)
}

// stringLiteral writes a string value in the character set and collation
// its column definition names (the connection's result character set), so
// that functions of it (CONCAT, UPPER, comparisons) behave as over the
// column.
func stringLiteral(c Column, v Value) (string, error) {
	text := "NULL"
	if v != nil {
		text = "X'" + hex.EncodeToString(v) + "'"
	}
	if c.Charset == CharsetBinary {
		if v == nil {
			return "CAST(NULL AS BINARY)", nil
		}
		return text, nil
	}
	name, ok := collationNames[c.Charset]
	if !ok {
		return "", fmt.Errorf("%w: column %s has collation id %d, which Strata does not know by name", ErrNotComputable, c.Name, c.Charset)
	}
	charset, _, _ := strings.Cut(name, "_")
	if own, _, _ := strings.Cut(c.Collation, "_"); c.Collation != "" && strings.EqualFold(own, charset) {
		name = c.Collation // the value's own collation: MIN(b) = 'x' compares as over b
	}
	return "CONVERT(" + text + " USING " + charset + ") COLLATE " + name, nil
}

// castType is the CAST target that gives a value column c's type.
func castType(c Column) (string, error) {
	unsigned := c.Flags&FlagUnsigned != 0
	switch c.Type {
	case TypeTiny, TypeShort, TypeLong, TypeLongLong, TypeInt24, TypeYear:
		if unsigned {
			return "UNSIGNED", nil
		}
		return "SIGNED", nil
	case TypeDecimal, TypeNewDecimal:
		return "DECIMAL(65," + strconv.Itoa(int(min(c.Decimals, maxDecimalScale))) + ")", nil
	case TypeFloat:
		return "FLOAT", nil
	case TypeDouble:
		return "DOUBLE", nil
	case TypeDate, TypeNewDate:
		return "DATE", nil
	case TypeDateTime, TypeTimestamp:
		return "DATETIME(" + strconv.Itoa(int(min(c.Decimals, 6))) + ")", nil
	case TypeTime:
		return "TIME(" + strconv.Itoa(int(min(c.Decimals, 6))) + ")", nil
	}
	if c.Type == TypeBit {
		// No literal of MariaDB's has the BIT type: a number would print
		// as digits, a binary string compare as text.
		return "", fmt.Errorf("%w: Strata cannot write the BIT value %s as a BIT into the statement it runs on one server (MariaDB has no BIT literal)", ErrNotComputable, c.Name)
	}
	return "", fmt.Errorf("%w: a value of column %s (type %d) is not a number, date or time", ErrNotComputable, c.Name, c.Type)
}

// NumberText reports whether v is a number as a server writes one: a
// decimal, or a double with an exponent. Only such text goes into SQL
// bare.
func NumberText(v []byte) bool {
	if _, ok := splitNumber(v); ok {
		return true
	}
	for _, b := range v { // ParseFloat would take inf, nan and hex floats too
		if (b < '0' || b > '9') && b != '.' && b != 'e' && b != 'E' && b != '-' && b != '+' {
			return false
		}
	}
	_, err := strconv.ParseFloat(string(v), 64)
	return err == nil
}
