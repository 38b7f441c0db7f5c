package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Each merged value becomes a literal of its column's own type, so that
// MariaDB types and rounds the expression over it as over the column.
func TestLiteral(t *testing.T) {
	unsigned := Column{Name: "u", Type: TypeLongLong, Flags: FlagUnsigned}
	dec2 := Column{Name: "d", Type: TypeNewDecimal, Decimals: 2}
	dt := Column{Name: "t", Type: TypeDateTime, Decimals: 3}
	utf8 := Column{Name: "s", Type: TypeVarString, Charset: 45}
	tests := []struct {
		col  Column
		v    Value
		want string
	}{
		// A BIGINT's digits padded to 20, so that the CAST is a BIGINT too.
		{Column{Type: TypeLongLong}, Value("-42"), "CAST(X'2d3030303030303030303030303030303030303432' AS SIGNED)"},
		{Column{Type: TypeLong}, Value("-42"), "CAST(X'2d3432' AS SIGNED)"},
		{Column{Type: TypeLongLong}, nil, "IF(0, CAST(X'3030303030303030303030303030303030303030' AS SIGNED), NULL)"},
		{unsigned, Value("18446744073709551615"), "CAST(X'3138343436373434303733373039353531363135' AS UNSIGNED)"},
		{dec2, Value("12.50"), "CAST(X'31322e3530' AS DECIMAL(65,2))"},
		{dec2, nil, "CAST(NULL AS DECIMAL(65,2))"},
		// A value's own scale (an AVG with the session's increment).
		{dec2, Value("2.0843"), "CAST(X'322e30383433' AS DECIMAL(65,4))"},
		{dec2, Value("17"), "CAST(X'3137' AS DECIMAL(65,0))"},
		{Column{Type: TypeDouble}, Value("1.5e-7"), "CAST(X'312e35652d37' AS DOUBLE)"},
		{Column{Type: TypeDate}, Value("2026-12-02"), "CAST(X'323032362d31322d3032' AS DATE)"},
		{dt, Value("2026-12-02 10:00:00.123"), "CAST(X'323032362d31322d30322031303a30303a30302e313233' AS DATETIME(3))"},
		{utf8, Value("it's"), "CONVERT(X'69742773' USING utf8mb4) COLLATE utf8mb4_general_ci"},
		{utf8, nil, "CONVERT(NULL USING utf8mb4) COLLATE utf8mb4_general_ci"},
		// The value's own collation, where Strata knows it, in the
		// character set the value came in.
		{Column{Name: "b", Type: TypeVarString, Charset: 45, Collation: "utf8mb4_bin"}, Value("a"), "CONVERT(X'61' USING utf8mb4) COLLATE utf8mb4_bin"},
		{Column{Name: "l", Type: TypeVarString, Charset: 45, Collation: "latin1_swedish_ci"}, Value("a"), "CONVERT(X'61' USING utf8mb4) COLLATE utf8mb4_general_ci"},
		{Column{Type: TypeBlob, Charset: CharsetBinary}, Value{0, 1}, "X'0001'"},
	}
	for _, tt := range tests {
		got, err := Literal(tt.col, tt.v)
		if err != nil || got != tt.want {
			t.Errorf("Literal(%+v, %q) = %s, %v; want %s", tt.col, tt.v, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		col Column
		v   Value
	}{
		{Column{Type: TypeJSON}, Value("{}")},
		{Column{Type: TypeBit}, Value{1}},
		{Column{Type: TypeVarString, Charset: 2304}, Value("x")}, // a collation Strata does not name
		{dec2, Value("12.5; DROP TABLE t")},                      // never written into SQL
		{Column{Type: TypeDouble}, Value("inf")},
	} {
		if got, err := Literal(bad.col, bad.v); !errors.Is(err, ErrNotComputable) {
			t.Errorf("Literal(%+v, %q) = %s, %v; want ErrNotComputable", bad.col, bad.v, got, err)
		}
	}
}

// Compute sends one SELECT per row (UNION ALL, in batches) and puts each
// answer in place of the computed column; the other columns pass through.
func TestCompute(t *testing.T) {
	cols := []Column{{Type: TypeLong}, {Type: TypeNewDecimal, Decimals: 4}, {Type: TypeNewDecimal}, {Type: TypeLongLong}}
	fields := []ComputeField{{Col: 1, Parts: []ComputePart{
		{Text: "ROUND("}, {Input: true, Avg: true, Col: 2, CountCol: 3}, {Text: ", 1) + "}, {Input: true, Col: 0},
	}}}
	var in []Row
	for g := range computeBatch + 3 {
		in = append(in, row(fmt.Sprint(g), "shard's value", fmt.Sprint(g*10), "4"))
	}
	var queries []string
	eval := func(ctx context.Context, q string) ([]Row, error) {
		queries = append(queries, q)
		var out []Row
		for _, sel := range strings.Split(q, " UNION ALL ") {
			out = append(out, row("v"+fmt.Sprint(len(sel))))
		}
		return out, nil
	}
	c, err := NewCompute(NewSliceStream(in...), cols, fields, eval)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Collect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) != 2 || len(got) != len(in) {
		t.Fatalf("%d queries for %d rows, %d rows out; want 2 queries, %d rows", len(queries), len(in), len(got), len(in))
	}
	first := strings.Split(queries[0], " UNION ALL ")[0]
	want := "SELECT ROUND((CAST(X'30' AS DECIMAL(65,0)) / CAST(X'3030303030303030303030303030303030303034' AS SIGNED)), 1) + CAST(X'30' AS SIGNED)"
	if first != want {
		t.Errorf("first row's query = %s\nwant                %s", first, want)
	}
	if got[0][0] == nil || string(got[0][0]) != "0" || string(got[0][1]) != "v"+fmt.Sprint(len(want)) || string(got[0][2]) != "0" {
		t.Errorf("first row = %s; the computed column must hold the evaluated value, the others pass through", show(got[:1]))
	}
	if n := strings.Count(queries[1], "SELECT "); n != 3 {
		t.Errorf("second batch has %d rows, want 3", n)
	}
}

func TestComputeErrors(t *testing.T) {
	cols := []Column{{Type: TypeLongLong}, {Type: TypeJSON}}
	field := func(col int) []ComputeField {
		return []ComputeField{{Col: 0, Parts: []ComputePart{{Input: true, Col: col}, {Text: " + 1"}}}}
	}
	answer := func(rows ...Row) Evaluator {
		return func(context.Context, string) ([]Row, error) { return rows, nil }
	}
	in := func() RowStream { return NewSliceStream(row("1", "{}")) }
	if _, err := NewCompute(in(), cols, field(5), answer()); err == nil {
		t.Error("a part that reads a column the rows do not have was accepted")
	}
	tests := []struct {
		name   string
		fields []ComputeField
		eval   Evaluator
		want   string
	}{
		{"a value with no literal of its type", field(1), answer(row("x")), "not a number, date or time"},
		{"the server answers fewer rows", field(0), answer(), "0 rows for 1"},
		{"the server fails", field(0), func(context.Context, string) ([]Row, error) { return nil, errors.New("gone") }, "gone"},
	}
	for _, tt := range tests {
		c, err := NewCompute(in(), cols, tt.fields, tt.eval)
		if err == nil {
			_, err = Collect(context.Background(), c)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to say %q", tt.name, err, tt.want)
		}
	}
}

// A sum of a division's values goes to MariaDB holding every digit the
// server kept, in a form MariaDB types with the shown scale: A / 10^k.
func TestExactSumLiteral(t *testing.T) {
	for _, tt := range []struct {
		shown, exact, prec string
		a                  string // "" when the shown sum stands
		scale, k           int
	}{
		{"4972.2857", "4972.285713248000000000000000000000", "4", "4972285713248", 0, 9},
		{"4972.2857132", "4972.285713248000000000000000000000", "7", "4972285713248", 0, 9},
		{"12.345679", "12.345678912000000000000000000000", "4", "123456789.12", 2, 7},
		{"-3.3333", "-3.333333333000000000000000000000", "4", "-3333333333", 0, 9},
		{"669.0018", "669.001800000000000000000000000000", "4", "", 0, 0}, // a grouped query's table holds the shown sum
		{"5.0000", "5.000000000000000000000000000000", "4", "", 0, 0},
		{"2.5000", "2.500000000000000000000000000000", "x", "", 0, 0},
		{"2.50", "2.500000001000000000000000000000", "4", "", 0, 0}, // scale below the increment: not a division's
	} {
		got, ok := exactSumLiteral(Value(tt.shown), Value(tt.exact), Value(tt.prec))
		want := ""
		if tt.a != "" {
			want = fmt.Sprintf("(CAST(X'%s' AS DECIMAL(65,%d)) / 1%s)", hex.EncodeToString([]byte(tt.a)), tt.scale, strings.Repeat("0", tt.k))
		}
		if ok != (want != "") || got != want {
			t.Errorf("exactSumLiteral(%s, %s, %s) = %q, %v; want %q", tt.shown, tt.exact, tt.prec, got, ok, want)
		}
	}
}
