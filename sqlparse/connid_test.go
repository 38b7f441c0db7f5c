package sqlparse

import (
	"slices"
	"testing"
)

func TestReplaceConnectionID(t *testing.T) {
	tests := []struct {
		sql, want string
		replaced  bool
	}{
		{"SELECT CONNECTION_ID(), NOW()", "SELECT 42 AS `CONNECTION_ID()`, NOW()", true},
		{"select connection_id( ) + 0 AS id", "select 42 + 0 AS id", true},
		{"SELECT * FROM t WHERE owner = CONNECTION_ID() OR x = connection_id()", "SELECT * FROM t WHERE owner = 42 OR x = 42", true},
		{"SELECT 'CONNECTION_ID()', \"connection_id()\"", "SELECT 'CONNECTION_ID()', \"connection_id()\"", false},
		{"SELECT 1 /* CONNECTION_ID() */ -- connection_id()\n", "SELECT 1 /* CONNECTION_ID() */ -- connection_id()\n", false},
		{"SELECT db.connection_id()", "SELECT db.connection_id()", false},
		{"SELECT `connection_id`()", "SELECT `connection_id`()", false},
		{"SELECT connection_id FROM sessions", "SELECT connection_id FROM sessions", false},
		{"SELECT CONNECTION_ID(1)", "SELECT CONNECTION_ID(1)", false},
		{"/*!40101 SELECT CONNECTION_ID() */", "/*!40101 SELECT 42 AS `CONNECTION_ID()` */", true},
	}
	for _, tt := range tests {
		got, replaced := ReplaceConnectionID(tt.sql, 42)
		if got != tt.want || replaced != tt.replaced {
			t.Errorf("ReplaceConnectionID(%q) = %q, %v; want %q, %v", tt.sql, got, replaced, tt.want, tt.replaced)
		}
	}
}

// CONNECTION_ID() is found where the server reads code: after 'a\' under
// NO_BACKSLASH_ESCAPES, and after '表' in sjis (read from the masked
// copy, replaced in the client's bytes).
func TestReplaceConnectionIDAsTheServerReads(t *testing.T) {
	nbe := NewMode("NO_BACKSLASH_ESCAPES")
	sjis := "SELECT '\x95\x5c', CONNECTION_ID()"
	masked, _ := MultibyteCharset("sjis").Mask(sjis)
	tests := []struct {
		name      string
		mode      Mode
		sql, read string
		want      string
		replaced  bool
	}{
		{"no backslash escapes", nbe, `SELECT 'a\', CONNECTION_ID()`, `SELECT 'a\', CONNECTION_ID()`, "SELECT 'a\\', 42 AS `CONNECTION_ID()`", true},
		{"default: inside the string", Mode{}, `SELECT 'a\', CONNECTION_ID()`, `SELECT 'a\', CONNECTION_ID()`, `SELECT 'a\', CONNECTION_ID()`, false},
		{"sjis, masked", Mode{}, sjis, masked, "SELECT '\x95\x5c', 42 AS `CONNECTION_ID()`", true},
		{"sjis, read byte for byte", Mode{}, sjis, sjis, sjis, false},
	}
	for _, tc := range tests {
		got, replaced := tc.mode.ReplaceConnectionID(tc.sql, tc.read, 42)
		if got != tc.want || replaced != tc.replaced {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, got, replaced, tc.want, tc.replaced)
		}
	}
}

// ReplaceCall replaces the named builtin's calls only: ROW_COUNT() here,
// not CONNECTION_ID() or a column called row_count. A field of a select
// list it changes keeps its name: its text as written becomes its alias.
func TestReplaceCall(t *testing.T) {
	tests := []struct{ sql, want string }{
		{"SELECT ROW_COUNT()", "SELECT 7 AS `ROW_COUNT()`"},
		{"SELECT row_count( ), @@warning_count", "SELECT 7 AS `row_count( )`, @@warning_count"},
		{"SELECT a, ROW_COUNT() FROM t ORDER BY a, ROW_COUNT()", "SELECT a, 7 AS `ROW_COUNT()` FROM t ORDER BY a, 7"},
		{"SELECT CONCAT('n', ROW_COUNT(), 'x'), IF(1, 2, ROW_COUNT())", "SELECT CONCAT('n', 7, 'x') AS `CONCAT('n', ROW_COUNT(), 'x')`, IF(1, 2, 7) AS `IF(1, 2, ROW_COUNT())`"},
		{"SELECT ROW_COUNT() n, ROW_COUNT() AS m, ROW_COUNT() + 1", "SELECT 7 n, 7 AS m, 7 + 1 AS `ROW_COUNT() + 1`"},
		{"SELECT x FROM t WHERE y IN (SELECT ROW_COUNT())", "SELECT x FROM t WHERE y IN (SELECT 7 AS `ROW_COUNT()`)"},
		{"SELECT (SELECT 1), ROW_COUNT() /* c */ FROM t", "SELECT (SELECT 1), 7 AS `ROW_COUNT()` /* c */ FROM t"},
		{"INSERT INTO t VALUES (ROW_COUNT(), 1)", "INSERT INTO t VALUES (7, 1)"},
		{"SELECT row_count( ) * 10 AS x, CONNECTION_ID()", "SELECT 7 * 10 AS x, CONNECTION_ID()"},
		{"SELECT row_count FROM t WHERE 'ROW_COUNT()' <> s.row_count()", "SELECT row_count FROM t WHERE 'ROW_COUNT()' <> s.row_count()"},
	}
	for _, tt := range tests {
		if got, _ := (Mode{}).ReplaceCall(tt.sql, tt.sql, "row_count", "7"); got != tt.want {
			t.Errorf("ReplaceCall(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}

func TestUserVars(t *testing.T) {
	for sql, want := range map[string][]string{
		"SELECT * FROM t WHERE id = @x AND k = @`y z` OR @'w' IS NULL": {"@x", "@`y z`", "@'w'"},
		"SELECT '@x', `@y`, @@session.sql_mode /* @z */ FROM t":        nil,
		"SELECT a FROM t WHERE b = @x.y":                               {"@x.y"},
	} {
		var got []string
		for _, sp := range (Mode{}).UserVars(sql) {
			got = append(got, sql[sp.Start:sp.End])
		}
		if !slices.Equal(got, want) {
			t.Errorf("UserVars(%q) = %q, want %q", sql, got, want)
		}
	}
}
