package sqlparse

import "testing"

func TestStandIn(t *testing.T) {
	tests := []struct {
		sql, standIn string
	}{
		{"SELECT GROUP_CONCAT(id ORDER BY id LIMIT 2) FROM comments WHERE entry_id = 5",
			"SELECT 'strata-stand-in-0' FROM comments WHERE entry_id = 5"},
		{"SELECT a, JSON_ARRAYAGG(DISTINCT b), json_arrayagg(c ORDER BY c), GROUP_CONCAT(d) FROM t WHERE k = 1 GROUP BY a",
			"SELECT a, 'strata-stand-in-0', 'strata-stand-in-1', GROUP_CONCAT(d) FROM t WHERE k = 1 GROUP BY a"},
		{"SELECT MEDIAN(v) OVER (PARTITION BY k), PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY v) OVER (PARTITION BY k) AS p FROM t WHERE k = 2",
			"SELECT 'strata-stand-in-0', 'strata-stand-in-1' AS p FROM t WHERE k = 2"},
		{"SELECT PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY v) OVER w FROM t WHERE k = 2 WINDOW w AS (PARTITION BY k)",
			"SELECT 'strata-stand-in-0' FROM t WHERE k = 2 WINDOW w AS (PARTITION BY k)"},
		{"SELECT GROUP_CONCAT(CONCAT(a, ')') SEPARATOR '; ' LIMIT 1, 3) x FROM t WHERE k = 3",
			"SELECT 'strata-stand-in-0' x FROM t WHERE k = 3"},
		{"SELECT e.id, jt.a FROM entries e, JSON_TABLE(e.tags, '$[*]' COLUMNS (a INT PATH '$')) AS jt WHERE e.id = 5",
			"SELECT e.id, jt.a FROM entries e, (SELECT 'strata-stand-in-0') AS jt WHERE e.id = 5"},
	}
	for _, tt := range tests {
		standIn, back, ok := Mode{}.StandIn(tt.sql)
		if !ok || standIn != tt.standIn {
			t.Errorf("StandIn(%s) = %q, %v\nwant %q", tt.sql, standIn, ok, tt.standIn)
			continue
		}
		if got, ok := back(standIn); !ok || got != tt.sql {
			t.Errorf("back(%s) = %q, %v", standIn, got, ok)
		}
		if _, ok := back("SELECT 1"); ok {
			t.Errorf("back of a statement without the markers: ok")
		}
	}
	for _, sql := range []string{
		"SELECT GROUP_CONCAT(id ORDER BY id) FROM t",         // MySQL's grammar reads it
		"SELECT JSON_ARRAYAGG(id) FROM t",                    // so does the plain form
		"SELECT GROUP_CONCAT(id LIMIT ?) FROM t WHERE k = 1", // a placeholder inside
		"SELECT 'strata-stand-in-0', GROUP_CONCAT(id LIMIT 2) FROM t",
	} {
		if standIn, _, ok := (Mode{}).StandIn(sql); ok {
			t.Errorf("StandIn(%s) = %q, want none", sql, standIn)
		}
	}
}
