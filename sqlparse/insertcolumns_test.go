package sqlparse

import "testing"

// An INSERT or REPLACE ... VALUES without a column list gets the table's
// columns before VALUES; any other statement is left as it is.
func TestInsertWithoutColumnsTakesTheTablesColumns(t *testing.T) {
	columns := []string{"id", "note"}
	for _, tc := range []struct{ in, table, want string }{
		{"INSERT INTO t VALUES (1, 'a')", "t", "INSERT INTO t (`id`, `note`) VALUES (1, 'a')"},
		{"insert low_priority ignore into blog.`t` value (1, 'a'), (2, 'b')", "blog.t", "insert low_priority ignore into blog.`t` (`id`, `note`) value (1, 'a'), (2, 'b')"},
		{"REPLACE t PARTITION (p0, p1) VALUES (?, ?)", "t", "REPLACE t PARTITION (p0, p1) (`id`, `note`) VALUES (?, ?)"},
		{"INSERT /* c */ INTO t VALUES (1, 'a') ON DUPLICATE KEY UPDATE note = 'b'", "t", "INSERT /* c */ INTO t (`id`, `note`) VALUES (1, 'a') ON DUPLICATE KEY UPDATE note = 'b'"},
		{"INSERT INTO t (id, note) VALUES (1, 'a')", "", ""},
		{"INSERT INTO t () VALUES ()", "", ""},
		{"INSERT INTO t SET id = 1", "", ""},
		{"INSERT INTO t SELECT * FROM u", "", ""},
		{"UPDATE t SET id = 1", "", ""},
	} {
		table, at, ok := Mode{}.InsertWithoutColumns(tc.in)
		if !ok {
			if tc.want != "" {
				t.Errorf("%q: no place for the columns found", tc.in)
			}
			continue
		}
		name := table.Name
		if table.Schema != "" {
			name = table.Schema + "." + name
		}
		if got := WithColumns(tc.in, at, columns); tc.want == "" || got != tc.want || name != tc.table {
			t.Errorf("%q: %q into %s, want %q into %s", tc.in, got, name, tc.want, tc.table)
		}
	}
}
