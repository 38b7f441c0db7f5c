package engine

import (
	"context"
	"strings"
	"testing"
)

// row builds a Row from strings and nil (NULL).
func row(vals ...any) Row {
	r := make(Row, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case string:
			r[i] = []byte(v)
		case []byte:
			r[i] = v
		case nil:
			r[i] = nil
		default:
			panic("row: unsupported value")
		}
	}
	return r
}

// show renders rows as "a,1;b,NULL" for compact expectations.
func show(rows []Row) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		cells := make([]string, len(r))
		for j, v := range r {
			if v == nil {
				cells[j] = "NULL"
			} else {
				cells[j] = string(v)
			}
		}
		parts[i] = strings.Join(cells, ",")
	}
	return strings.Join(parts, ";")
}

// parse is the inverse of show: "a,1;b,NULL".
func parse(s string) []Row {
	if s == "" {
		return nil
	}
	var rows []Row
	for _, part := range strings.Split(s, ";") {
		var r Row
		for _, cell := range strings.Split(part, ",") {
			if cell == "NULL" {
				r = append(r, nil)
			} else {
				r = append(r, []byte(cell))
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// sources builds SliceSources s0, s1, ... from show-format strings.
func sources(data ...string) ([]Source, []*SliceSource) {
	var srcs []Source
	var slices []*SliceSource
	for i, d := range data {
		s := &SliceSource{SourceName: "s" + string(rune('0'+i)), Rows: parse(d)}
		srcs = append(srcs, s)
		slices = append(slices, s)
	}
	return srcs, slices
}

func collect(t *testing.T, s RowStream) string {
	t.Helper()
	rows, err := Collect(context.Background(), s)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return show(rows)
}

func col(name string, typ byte, charset uint16) Column {
	return Column{Name: name, Type: typ, Charset: charset}
}

var (
	intCol    = col("i", TypeLongLong, CharsetBinary)
	decCol    = col("d", TypeNewDecimal, CharsetBinary)
	dblCol    = col("f", TypeDouble, CharsetBinary)
	ciCol     = col("s", TypeVarString, 45)   // utf8mb4_general_ci
	binStrCol = col("b", TypeVarString, 46)   // utf8mb4_bin
	nopadCol  = col("n", TypeVarString, 1248) // utf8mb4_unicode_nopad_ci
)
