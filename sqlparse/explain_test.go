package sqlparse

import "testing"

func TestSplitExplain(t *testing.T) {
	tests := []struct {
		sql, head, stmt string
		ok              bool
	}{
		{"EXPLAIN SELECT * FROM t WHERE id = 5", "EXPLAIN", "SELECT * FROM t WHERE id = 5", true},
		{"  explain format = json select 1", "explain format = json", "select 1", true},
		{"EXPLAIN FORMAT='JSON' UPDATE t SET a = 1", "EXPLAIN FORMAT='JSON'", "UPDATE t SET a = 1", true},
		{"/* q7 */ EXPLAIN EXTENDED SELECT 1", "/* q7 */ EXPLAIN EXTENDED", "SELECT 1", true},
		{"DESC DELETE FROM t", "DESC", "DELETE FROM t", true},
		{"EXPLAIN PARTITIONS /* x */ (SELECT 1) UNION (SELECT 2)", "EXPLAIN PARTITIONS", "(SELECT 1) UNION (SELECT 2)", true},
		{"EXPLAIN (SELECT 1) UNION (SELECT 2)", "EXPLAIN", "(SELECT 1) UNION (SELECT 2)", true},
		{"EXPLAIN WITH c AS (SELECT 1) SELECT * FROM c", "EXPLAIN", "WITH c AS (SELECT 1) SELECT * FROM c", true},
		{"ANALYZE FORMAT=JSON SELECT * FROM t", "ANALYZE FORMAT=JSON", "SELECT * FROM t", true},
		{"analyze update t set a = 1", "analyze", "update t set a = 1", true},
		{"ANALYZE TABLE t", "", "", false},
		{"ANALYZE NO_WRITE_TO_BINLOG TABLE t", "", "", false},
		{"DESCRIBE t", "", "", false},
		{"EXPLAIN t", "", "", false},
		{"EXPLAIN FOR CONNECTION 5", "", "", false},
		{"EXPLAIN ANALYZE SELECT 1", "", "", false},
		{"EXPLAIN FORMAT JSON SELECT 1", "", "", false},
		{"SELECT 1", "", "", false},
		{"EXPLAIN", "", "", false},
	}
	for _, tt := range tests {
		head, stmt, ok := SplitExplain(tt.sql)
		if ok != tt.ok || (ok && (head != tt.head || stmt != tt.stmt)) {
			t.Errorf("SplitExplain(%q) = %q, %q, %v; want %q, %q, %v", tt.sql, head, stmt, ok, tt.head, tt.stmt, tt.ok)
		}
	}
}

func TestUnparsedForm(t *testing.T) {
	tests := map[string]string{
		"CHECKSUM TABLE events":                                                  "checksum",
		"/* x */ checksum table a, b EXTENDED":                                   "checksum",
		"SELECT id INTO @x FROM events WHERE id = 5":                             "into-variable",
		"SELECT id, kind FROM events WHERE id = 5 INTO @a, @b":                   "into-variable",
		"SELECT id FROM events INTO OUTFILE '/tmp/x'":                            "",
		"SELECT 'INTO @x' FROM events":                                           "",
		"SELECT (SELECT 1 INTO @x) FROM t":                                       "",
		"INSERT INTO t VALUES (1)":                                               "",
		"SELECT CAST(id AS INT) FROM events":                                     "",
		"SELECT JSON_ARRAYAGG(DISTINCT qty) FROM events":                         "json-arrayagg",
		"SELECT body FROM t INTO DUMPFILE '/tmp/x'":                              "into-dumpfile",
		"SELECT MEDIAN(score) OVER () FROM entries":                              "percentile",
		"SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY x) OVER () FROM t":   "percentile",
		"SELECT median FROM t":                                                   "",
		"SELECT k, json_arrayagg(x ORDER BY x DESC) FROM t":                      "json-arrayagg",
		"SELECT JSON_ARRAYAGG(x LIMIT 3) FROM t":                                 "json-arrayagg",
		"SELECT JSON_ARRAYAGG(IF(a, 'order', b)) FROM t":                         "",
		"SELECT JSON_ARRAYAGG((SELECT x FROM u ORDER BY x LIMIT 1)) FROM t":      "",
		"SELECT GROUP_CONCAT(x ORDER BY x LIMIT 2) FROM t":                       "group-concat-limit",
		"SELECT GROUP_CONCAT(DISTINCT x ORDER BY x) FROM t":                      "",
		"SELECT * FROM JSON_TABLE(j, '$[*]' COLUMNS (a INT PATH '$')) jt JOIN t": "json-table",
		"SELECT json_table FROM t":                                               "",
		"LOAD XML LOCAL INFILE 'a.xml' INTO TABLE t":                             "load-xml",
		"load xml infile 'a.xml' into table t rows identified by '<r>'":          "load-xml",
		"LOAD DATA LOCAL INFILE 'a.txt' INTO TABLE t":                            "",
	}
	for sql, want := range tests {
		if got := UnparsedForm(sql); got != want {
			t.Errorf("UnparsedForm(%q) = %q, want %q", sql, got, want)
		}
	}
}
