package sqlparse

import (
	"slices"
	"testing"
)

func TestBulkInsert(t *testing.T) {
	rows := [][]string{{"1", "'a'"}, {"2", "DEFAULT"}}
	tests := []struct {
		name, sql string
		rows      [][]string
		want      string // "" when not written as one statement
	}{
		{"one row repeated", "INSERT INTO t (id, v) VALUES (?, ?)", rows, "INSERT INTO t (id, v) VALUES (1, 'a'), (2, DEFAULT)"},
		{"VALUE and REPLACE", "REPLACE INTO t VALUE (?, ?)", rows, "REPLACE INTO t VALUE (1, 'a'), (2, DEFAULT)"},
		{"constants and expressions in the row", "INSERT INTO t VALUES (?, CONCAT(?, 'x'), NOW())", rows, "INSERT INTO t VALUES (1, CONCAT('a', 'x'), NOW()), (2, CONCAT(DEFAULT, 'x'), NOW())"},
		{"ON DUPLICATE KEY UPDATE without placeholders", "INSERT INTO t VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)", rows, "INSERT INTO t VALUES (1, 'a'), (2, DEFAULT) ON DUPLICATE KEY UPDATE v = VALUES(v)"},
		{"a partition list before VALUES", "INSERT INTO t PARTITION (p0) (id, v) VALUES (?, ?)", rows, "INSERT INTO t PARTITION (p0) (id, v) VALUES (1, 'a'), (2, DEFAULT)"},
		{"a placeholder in ON DUPLICATE KEY UPDATE", "INSERT INTO t VALUES (?, ?) ON DUPLICATE KEY UPDATE v = ?", [][]string{{"1", "2", "3"}}, ""},
		{"two rows", "INSERT INTO t VALUES (?, 'x'), (?, 'y')", rows, ""},
		{"INSERT ... SET", "INSERT INTO t SET id = ?, v = ?", rows, ""},
		{"INSERT ... SELECT", "INSERT INTO t SELECT ?, ?", rows, ""},
		{"a table value constructor in a SELECT", "INSERT INTO t SELECT * FROM (VALUES (?, ?)) AS v", rows, ""},
		{"SELECT with ON DUPLICATE KEY UPDATE VALUES()", "INSERT INTO t SELECT 1, 2 ON DUPLICATE KEY UPDATE v = VALUES(v)", [][]string{{}}, ""},
		{"no placeholders", "INSERT INTO t VALUES (1, 2)", [][]string{{}, {}}, ""},
		{"too few values", "INSERT INTO t VALUES (?, ?)", [][]string{{"1"}}, ""},
		{"no rows", "INSERT INTO t VALUES (?, ?)", nil, ""},
		{"a ? in a string is no placeholder", "INSERT INTO t VALUES (?, '?')", [][]string{{"1"}, {"2"}}, "INSERT INTO t VALUES (1, '?'), (2, '?')"},
	}
	for _, tt := range tests {
		got, ok := Mode{}.BulkInsert(tt.sql, tt.rows, 1<<20)
		if tt.want == "" {
			if ok {
				t.Errorf("%s: written as %q, want no rewrite", tt.name, got)
			}
			continue
		}
		if !ok || len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: (%q, %v), want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestBulkInsertCutsALongBatch(t *testing.T) {
	sql := "INSERT INTO t (id) VALUES (?) ON DUPLICATE KEY UPDATE id = id"
	rows := [][]string{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}}
	tests := []struct {
		maxLen int
		want   []string
	}{
		{1 << 20, []string{"INSERT INTO t (id) VALUES (1), (2), (3), (4), (5) ON DUPLICATE KEY UPDATE id = id"}},
		// Two rows fit in 70 bytes, a third would not.
		{70, []string{
			"INSERT INTO t (id) VALUES (1), (2) ON DUPLICATE KEY UPDATE id = id",
			"INSERT INTO t (id) VALUES (3), (4) ON DUPLICATE KEY UPDATE id = id",
			"INSERT INTO t (id) VALUES (5) ON DUPLICATE KEY UPDATE id = id",
		}},
		// A row longer than the bound still goes, alone.
		{10, []string{
			"INSERT INTO t (id) VALUES (1) ON DUPLICATE KEY UPDATE id = id",
			"INSERT INTO t (id) VALUES (2) ON DUPLICATE KEY UPDATE id = id",
			"INSERT INTO t (id) VALUES (3) ON DUPLICATE KEY UPDATE id = id",
			"INSERT INTO t (id) VALUES (4) ON DUPLICATE KEY UPDATE id = id",
			"INSERT INTO t (id) VALUES (5) ON DUPLICATE KEY UPDATE id = id",
		}},
	}
	for _, tt := range tests {
		got, ok := Mode{}.BulkInsert(sql, rows, tt.maxLen)
		if !ok || !slices.Equal(got, tt.want) {
			t.Errorf("max %d: (%q, %v), want %q", tt.maxLen, got, ok, tt.want)
		}
	}
}

// FuzzBulkInsert: any statement text, never a panic; a batch written as
// statements keeps the text before its VALUES row, and each statement
// has no placeholder left.
func FuzzBulkInsert(f *testing.F) {
	f.Add("INSERT INTO t (a, b) VALUES (?, ?)", uint16(64))
	f.Add("REPLACE t VALUE (?, CONCAT(?, 'x')) ON DUPLICATE KEY UPDATE a = VALUES(a)", uint16(10))
	f.Add("INSERT INTO t SELECT * FROM (VALUES (?, ?)) v", uint16(1000))
	f.Fuzz(func(t *testing.T, sql string, maxLen uint16) {
		rows := [][]string{{"1", "'a?'"}, {"NULL", "X'00'"}, {"-00000041", "DEFAULT"}}
		out, ok := Mode{}.BulkInsert(sql, rows, int(maxLen))
		if !ok {
			return
		}
		if len(out) == 0 {
			t.Fatal("written as no statement")
		}
		for _, stmt := range out {
			if _, n := (Mode{}).BindPlaceholders(stmt, nil); n != 0 {
				t.Fatalf("%q from %q keeps %d placeholders", stmt, sql, n)
			}
		}
	})
}
