package sqlparse

import (
	"slices"
	"strings"
	"testing"
)

func TestStandIn(t *testing.T) {
	tests := []struct {
		sql, standIn string
	}{
		{"SELECT GROUP_CONCAT(id ORDER BY id LIMIT 2) FROM comments WHERE entry_id = 5",
			"SELECT JSON_ARRAYAGG('strata-stand-in-0') FROM comments WHERE entry_id = 5"},
		{"SELECT a, JSON_ARRAYAGG(DISTINCT b), json_arrayagg(c ORDER BY c), GROUP_CONCAT(d) FROM t WHERE k = 1 GROUP BY a",
			"SELECT a, JSON_ARRAYAGG('strata-stand-in-0'), JSON_ARRAYAGG('strata-stand-in-1'), GROUP_CONCAT(d) FROM t WHERE k = 1 GROUP BY a"},
		{"SELECT MEDIAN(v) OVER (PARTITION BY k), PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY v) OVER (PARTITION BY k) AS p FROM t WHERE k = 2",
			"SELECT FIRST_VALUE('strata-stand-in-0') OVER (PARTITION BY k), FIRST_VALUE('strata-stand-in-1') OVER (PARTITION BY k) AS p FROM t WHERE k = 2"},
		{"SELECT PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY v) OVER w FROM t WHERE k = 2 WINDOW w AS (PARTITION BY k)",
			"SELECT FIRST_VALUE('strata-stand-in-0') OVER w FROM t WHERE k = 2 WINDOW w AS (PARTITION BY k)"},
		{"SELECT GROUP_CONCAT(CONCAT(a, ')') SEPARATOR '; ' LIMIT 1, 3) x FROM t WHERE k = 3",
			"SELECT JSON_ARRAYAGG('strata-stand-in-0') x FROM t WHERE k = 3"},
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

// The planner renders a shard's statement from the stand-in's tree, in
// its own case, quoting and spacing: the calls go back into that text
// too, and never where a stand-in is not whole or not alone.
func TestStandInCallsGoBackIntoPlannedText(t *testing.T) {
	sql := "SELECT k, GROUP_CONCAT(v LIMIT 2), MEDIAN(v) OVER (PARTITION BY k) AS m, jt.a FROM t, JSON_TABLE(t.j, '$[*]' COLUMNS (a INT PATH '$')) jt GROUP BY k"
	want := "SELECT `k`, GROUP_CONCAT(v LIMIT 2), MEDIAN(v) OVER (PARTITION BY k) AS `m`, `jt`.`a` FROM `t_1`, JSON_TABLE(t.j, '$[*]' COLUMNS (a INT PATH '$')) AS `jt` GROUP BY `k`"
	_, back, ok := Mode{}.StandIn(sql)
	if !ok {
		t.Fatalf("no stand-in for %s", sql)
	}
	for _, tt := range []struct {
		planned string
		ok      bool
	}{
		{"SELECT `k`, json_arrayagg( 'strata-stand-in-0' ), FIRST_VALUE('strata-stand-in-1') OVER (PARTITION BY `k`) AS `m`, `jt`.`a` FROM `t_1`, (SELECT 'strata-stand-in-2') AS `jt` GROUP BY `k`", true},
		{"SELECT `k`, JSON_ARRAYAGG('strata-stand-in-0') AS `JSON_ARRAYAGG('strata-stand-in-0')`, FIRST_VALUE('strata-stand-in-1') OVER (PARTITION BY `k`) AS `m`, `jt`.`a` FROM `t_1`, (SELECT 'strata-stand-in-2') AS `jt` GROUP BY `k`", true},
		{"SELECT `k`, JSON_ARRAYAGG('strata-stand-in-0') AS `x`, FIRST_VALUE('strata-stand-in-1') OVER (PARTITION BY `k`) AS `m`, `jt`.`a` FROM `t_1`, (SELECT 'strata-stand-in-2') AS `jt` WHERE 'strata-stand-in-0' GROUP BY `k`", false},
		{"SELECT `k`, JSON_ARRAYAGG('strata-stand-in-0'), FIRST_VALUE('strata-stand-in-1') OVER (PARTITION BY `k`) AS `m`, JSON_ARRAYAGG('strata-stand-in-0'), `jt`.`a` FROM `t_1`, (SELECT 'strata-stand-in-2') AS `jt` GROUP BY `k`", false},
		{"SELECT `k`, 'strata-stand-in-0', FIRST_VALUE('strata-stand-in-1') OVER (PARTITION BY `k`) AS `m`, `jt`.`a` FROM `t_1`, (SELECT 'strata-stand-in-2') AS `jt` GROUP BY `k`", false},
		{"SELECT `k`, JSON_ARRAYAGG('strata-stand-in-0'), FIRST_VALUE('strata-stand-in-1') AS `m`, `jt`.`a` FROM `t_1`, (SELECT 'strata-stand-in-2') AS `jt` GROUP BY `k`", false},
		{"SELECT `k`, JSON_ARRAYAGG('strata-stand-in-0'), FIRST_VALUE('strata-stand-in-1') OVER (PARTITION BY `k`) AS `m`, `jt`.`a` FROM `t_1`, 'strata-stand-in-2' AS `jt` GROUP BY `k`", false},
	} {
		got, ok := back(tt.planned)
		want := want
		if strings.Contains(tt.planned, "AS `JSON_ARRAYAGG(") {
			want = strings.Replace(want, "LIMIT 2),", "LIMIT 2) AS `GROUP_CONCAT(v LIMIT 2)`,", 1)
		}
		if ok != tt.ok || ok && got != want {
			t.Errorf("back(%s) = %q, %v; want ok %v", tt.planned, got, ok, tt.ok)
		}
	}
}

func TestStandInColumns(t *testing.T) {
	tests := []struct {
		planned string
		want    []bool // nil: cannot tell
	}{
		{"SELECT entry_id, JSON_ARRAYAGG('strata-stand-in-0') AS g, id FROM comments GROUP BY entry_id", []bool{false, true, false}},
		{"SELECT id, FIRST_VALUE('strata-stand-in-0') OVER (PARTITION BY entry_id) + 1 FROM comments", []bool{false, true}},
		{"SELECT e.id, jt.a, a, e.score + jt.a, UPPER(e.title) FROM entries e, (SELECT 'strata-stand-in-0') AS jt", []bool{false, true, true, true, false}},
		{"SELECT e.id, title FROM entries e JOIN users u ON u.id = e.user_id", []bool{false, false}},
		{"SELECT * FROM entries e, (SELECT 'strata-stand-in-0') AS jt", nil},
		{"SELECT 1 UNION SELECT 2", nil},
	}
	for _, tt := range tests {
		got, ok := Mode{}.StandInColumns(tt.planned)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("StandInColumns(%s) = %v, %v; want %v", tt.planned, got, ok, tt.want)
		}
	}
}

// Whatever the text, StandIn does not panic, and its stand-in goes back
// to the client's text whole: a shard never runs a statement other than
// the one the client sent.
func FuzzStandInGoesBack(f *testing.F) {
	for _, seed := range []string{
		"SELECT GROUP_CONCAT(id ORDER BY id LIMIT 2) FROM comments WHERE entry_id = 5",
		"SELECT MEDIAN(v) OVER (PARTITION BY k), PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY v) OVER w FROM t WINDOW w AS (PARTITION BY k)",
		"SELECT e.id, jt.a FROM entries e, JSON_TABLE(e.tags, '$[*]' COLUMNS (a INT PATH '$')) jt",
		"SELECT JSON_ARRAYAGG(DISTINCT x), GROUP_CONCAT(')' LIMIT 1) FROM t /* MEDIAN( */",
		"SELECT MEDIAN(x) OVER (PARTITION BY 'a)') FROM t",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		standIn, back, ok := Mode{}.StandIn(sql)
		if !ok {
			return
		}
		if got, ok := back(standIn); !ok || got != sql {
			t.Fatalf("back(StandIn(%q) = %q) = %q, %v", sql, standIn, got, ok)
		}
	})
}
