package sqlparse

import (
	"errors"
	"slices"
	"testing"
)

// A recursive CTE splits into its anchor, run once, and its step, run per
// round with the previous round's rows in the CTE's place; the statement
// then reads the CTE's rows as literals.
func TestRecursiveCTESplit(t *testing.T) {
	tests := []struct {
		name     string
		sql      string
		cols     []string // the CTE's column names
		anchor   string
		step     string // with one row (5, NULL) named by the CTE's columns
		distinct bool
		render   string // with the CTE's rows (5, NULL) and (6, 5)
	}{
		{
			name:   "a thread of comments",
			cols:   []string{"id", "parent_id"},
			sql:    "WITH RECURSIVE thread AS (SELECT id, parent_id FROM comments WHERE id = 5 UNION ALL SELECT c.id, c.parent_id FROM comments c JOIN thread t ON c.parent_id = t.id) SELECT * FROM thread ORDER BY id",
			anchor: "SELECT `id`,`parent_id` FROM `comments` WHERE `id`=5",
			step:   "SELECT `c`.`id`,`c`.`parent_id` FROM `comments` AS `c` JOIN (SELECT 5 AS `id`, NULL AS `parent_id`) AS `t` ON `c`.`parent_id`=`t`.`id`",
			render: "WITH RECURSIVE `thread` AS (SELECT 5 AS `id`, NULL AS `parent_id` UNION ALL SELECT 6, 5) SELECT * FROM `thread` ORDER BY `id`",
		},
		{
			name:     "UNION, a column list, the CTE read without an alias, two anchors",
			cols:     []string{"id", "up"},
			sql:      "WITH RECURSIVE r (id, up) AS (SELECT 5, NULL UNION SELECT 7, 1 UNION SELECT id, parent_id FROM comments WHERE id IN (SELECT up FROM r)) SELECT COUNT(*) FROM r",
			anchor:   "(SELECT 5,NULL) UNION (SELECT 7,1)",
			step:     "SELECT `id`,`parent_id` FROM `comments` WHERE `id` IN (SELECT `up` FROM (SELECT 5 AS `id`, NULL AS `up`) AS `r`)",
			distinct: true,
			render:   "WITH RECURSIVE `r` (`id`, `up`) AS (SELECT 5 AS `id`, NULL AS `up` UNION ALL SELECT 6, 5) SELECT COUNT(1) AS `COUNT(*)` FROM `r`",
		},
		{
			name:   "a CTE before it, and two recursive branches",
			cols:   []string{"id", "d"},
			sql:    "WITH RECURSIVE top AS (SELECT id FROM comments WHERE votes > 9), r AS (SELECT id, 0 AS d FROM top UNION ALL SELECT c.id, r.d + 1 FROM comments c JOIN r ON c.parent_id = r.id UNION ALL SELECT c.parent_id, r.d - 1 FROM comments c JOIN r ON c.id = r.id) SELECT * FROM r",
			anchor: "WITH RECURSIVE `top` AS (SELECT `id` FROM `comments` WHERE `votes`>9) SELECT `id`,0 AS `d` FROM `top`",
			step:   "WITH RECURSIVE `top` AS (SELECT `id` FROM `comments` WHERE `votes`>9) (SELECT `c`.`id`,`r`.`d`+1 FROM `comments` AS `c` JOIN (SELECT 5 AS `id`, NULL AS `d`) AS `r` ON `c`.`parent_id`=`r`.`id`) UNION ALL (SELECT `c`.`parent_id`,`r`.`d`-1 FROM `comments` AS `c` JOIN (SELECT 5 AS `id`, NULL AS `d`) AS `r` ON `c`.`id`=`r`.`id`)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Mode{}.PullOut(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			at := -1
			for i, k := range p.Kinds {
				if k == PullRecursive {
					at = i
				}
			}
			if at < 0 {
				t.Fatalf("kinds %v: no recursive CTE", p.Kinds)
			}
			r := p.Recursive(at)
			if err := r.Check(); err != nil {
				t.Fatal(err)
			}
			if r.Anchor != tt.anchor || p.Subqueries[at] != tt.anchor {
				t.Errorf("anchor\n got %s\nwant %s", r.Anchor, tt.anchor)
			}
			if r.Columns != nil && !slices.Equal(r.Columns, tt.cols) {
				t.Errorf("Columns = %q, want %q", r.Columns, tt.cols)
			}
			if r.Distinct != tt.distinct {
				t.Errorf("Distinct = %v", r.Distinct)
			}
			cols := tt.cols
			step, err := r.Step(PulledTable{Columns: cols, Rows: [][]string{{"5", "NULL"}}})
			if err != nil || step != tt.step {
				t.Errorf("step (%v)\n got %s\nwant %s", err, step, tt.step)
			}
			if tt.render == "" {
				return
			}
			p.SetTable(at, PulledTable{Columns: cols, Rows: [][]string{{"5", "NULL"}, {"6", "5"}}})
			if got, err := p.Render(nil); err != nil || got != tt.render {
				t.Errorf("render (%v)\n got %s\nwant %s", err, got, tt.render)
			}
		})
	}
}

// What MariaDB refuses in a recursive CTE is refused with its error, and
// what Strata does not follow with why.
func TestRecursiveCTERefusals(t *testing.T) {
	tests := []struct {
		sql  string
		code uint16 // 0: not a MariaDB error but Strata's reason
	}{
		{"WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT COUNT(*) FROM r) SELECT * FROM r", 4008},
		{"WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT a.n + 1 FROM r a JOIN r b) SELECT * FROM r", 4008},
		{"WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3 LIMIT 2) SELECT * FROM r", 1235},
		{"WITH RECURSIVE r AS (SELECT n + 1 AS n FROM r) SELECT * FROM r", 4006},
		{"WITH RECURSIVE r AS (SELECT 1 AS n UNION SELECT 2 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r", 0},
	}
	for _, tt := range tests {
		p, err := Mode{}.PullOut(tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		err = p.Recursive(0).Check()
		var se *SyntaxError
		switch {
		case err == nil:
			t.Errorf("%s: not refused", tt.sql)
		case tt.code == 0 && errors.As(err, &se):
			t.Errorf("%s: %v, want Strata's reason", tt.sql, err)
		case tt.code != 0 && (!errors.As(err, &se) || se.Code != tt.code):
			t.Errorf("%s: %v, want error %d", tt.sql, err, tt.code)
		}
	}
}
