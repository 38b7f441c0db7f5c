package sharding

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A row that leaves its shard key out, gives it DEFAULT, or gives a NULL
// to a NOT NULL key is stored by MariaDB with the column's default, or
// with its type's zero where it does not refuse the row (INSERT IGNORE,
// a multi-row INSERT under a non-strict sql_mode), and refused where it
// does (1048, 1364). Strata places such a row by that value and sends it
// as written, so it lands where a read of its key looks, and the shard
// refuses it with one server's error. Before, every such row was refused
// with Strata's own 1235 ("shard key is NULL", "must give id").
func TestRowsWithoutAKeyArePlacedByTheKeyTheServerStores(t *testing.T) {
	steps := []struct {
		mode, sql string
		args      []any
	}{
		{"DEFAULT", "INSERT INTO ka_zero (id, n) VALUES (NULL, 1)", nil},         // 1048
		{"DEFAULT", "INSERT INTO ka_zero (id, n) VALUES (?, 1)", []any{nil}},     // 1048, bound
		{"DEFAULT", "INSERT INTO ka_zero (n) VALUES (1)", nil},                   // 1364
		{"DEFAULT", "INSERT INTO ka_zero (id, n) VALUES (DEFAULT, 1)", nil},      // 1364
		{"DEFAULT", "INSERT INTO ka_zero (id, n) VALUES (2, 2), (NULL, 3)", nil}, // 1048, nothing stored
		{"DEFAULT", "INSERT IGNORE INTO ka_zero (id, n) VALUES (NULL, 4)", nil},  // 0, with a warning
		{"DEFAULT", "INSERT INTO ka_zero (id, n) VALUES (NULL, 5)", nil},
		{"''", "INSERT INTO ka_zero (id, n) VALUES (3, 6), (NULL, 7)", nil}, // 1062 on 0
		{"''", "DELETE FROM ka_zero WHERE id = 0", nil},
		{"''", "INSERT INTO ka_zero (id, n) VALUES (3, 6), (NULL, 7)", nil}, // 0, with a warning
		{"''", "DELETE FROM ka_zero WHERE id = 0", nil},
		{"''", "INSERT INTO ka_zero (n) VALUES (8)", nil},                      // 0, with a warning
		{"DEFAULT", "INSERT INTO ka_def (n) VALUES (1)", nil},                  // 7
		{"DEFAULT", "INSERT INTO ka_def (id, n) VALUES (DEFAULT, 2)", nil},     // 1062 on 7
		{"DEFAULT", "INSERT INTO ka_def (id, n) VALUES (DEFAULT(id), 2)", nil}, // 1062 on 7
		{"DEFAULT", "INSERT INTO ka_def (id, n) VALUES (NULL, 3)", nil},        // 1048: a NULL is not the default
		{"DEFAULT", "REPLACE INTO ka_def (n) VALUES (4)", nil},                 // replaces 7
		{"DEFAULT", "INSERT INTO ka_def (n) VALUES (5) ON DUPLICATE KEY UPDATE n = n + 10", nil},
	}
	got, want := learnedModTable(t, "ka_zero", "id INT NOT NULL PRIMARY KEY, n INT NULL")
	gotDef, wantDef := learnedModTable(t, "ka_def", "id INT NOT NULL DEFAULT 7 PRIMARY KEY, n INT NULL")
	ctx := testenv.Ctx(t)
	for _, step := range steps {
		g, w := got, want
		if strings.Contains(step.sql, "ka_def") {
			g, w = gotDef, wantDef
		}
		for _, c := range []*sql.Conn{g, w} {
			mustExec(t, c, "SET SESSION sql_mode = "+step.mode)
		}
		gotRes, gotErr := execIn(ctx, g, step.sql, len(step.args) > 0, step.args...)
		wantRes, wantErr := execIn(ctx, w, step.sql, len(step.args) > 0, step.args...)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Errorf("%s under sql_mode %s: %s", step.sql, step.mode, msg)
		}
		if gotErr != nil || len(step.args) > 0 {
			continue // the error is compared; warnings of a prepared write are the statement's
		}
		if gw, ww := warnings(t, g), warnings(t, w); !slices.Equal(gw, ww) {
			t.Errorf("%s: warnings through Strata\n%s\non one server\n%s", step.sql, strings.Join(gw, "\n"), strings.Join(ww, "\n"))
		}
	}
	for _, c := range []struct {
		got, want *sql.Conn
		table     string
	}{{got, want, "ka_zero"}, {gotDef, wantDef, "ka_def"}} {
		all := "SELECT CONCAT_WS(' ', id, n) FROM " + c.table + " ORDER BY id"
		g, w := testenv.Strings(t, c.got, all), testenv.Strings(t, c.want, all)
		if !slices.Equal(g, w) {
			t.Errorf("%s through Strata:\n%s\non one server:\n%s", c.table, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
		// Each row is where a read by its key looks.
		for _, row := range g {
			id := strings.Fields(row)[0]
			if n := testenv.Strings(t, c.got, "SELECT COUNT(*) FROM "+c.table+" WHERE id = "+id); n[0] != "1" {
				t.Errorf("%s: row %s not found by its key through Strata", c.table, row)
			}
		}
	}
}

// LOAD DATA LOCAL whose column list leaves the shard key out stores the
// key column's default in every row, so Strata loads the whole file on
// the shard of that key; a row whose key field is \N, or that is too
// short to have it, stores the type's zero in a NOT NULL key (LOAD DATA
// LOCAL takes it with a warning) and goes to that key's shard. Before,
// both were refused with 1235 and nothing was loaded.
func TestLoadDataWithoutAKeyLoadsWhereTheServerStoresIt(t *testing.T) {
	got, want := learnedModTable(t, "kl_rows", "id INT NOT NULL DEFAULT 7, n INT NULL, KEY (id)")
	ctx := testenv.Ctx(t)
	for i, c := range []struct{ file, cols string }{
		{"1\n2\n3\n", "(n)"},
		{"4\t\\N\n5\t5\n6\n", "(n, id)"},
	} {
		q := "LOAD DATA LOCAL INFILE '" + registerFile(t, fmt.Sprint("kl_rows", i), c.file) + "' INTO TABLE kl_rows " + c.cols
		gotRes, gotErr := got.ExecContext(ctx, q)
		wantRes, wantErr := want.ExecContext(ctx, q)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" || gotErr != nil {
			t.Errorf("%s: %s (Strata: %v)", q, msg, gotErr)
		}
		if g, w := warnings(t, got), warnings(t, want); !slices.Equal(g, w) {
			t.Errorf("%s: warnings through Strata\n%s\non one server\n%s", q, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	all := "SELECT CONCAT_WS(' ', id, IFNULL(n, 'NULL')) FROM kl_rows ORDER BY id, n"
	if g, w := testenv.Strings(t, got, all), testenv.Strings(t, want, all); !slices.Equal(g, w) {
		t.Errorf("rows through Strata:\n%s\non one server:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	for id, n := range map[string]string{"7": "3", "0": "2", "5": "1"} {
		if got := testenv.Strings(t, got, "SELECT COUNT(*) FROM kl_rows WHERE id = "+id); got[0] != n {
			t.Errorf("rows by key %s through Strata: %s, want %s (on the key's shard)", id, got[0], n)
		}
	}
}
