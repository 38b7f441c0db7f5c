package sharding

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Writes in MariaDB's forms (INSERT ... SET, VALUE, DEFAULT, IGNORE, ON
// DUPLICATE KEY UPDATE with VALUES(), REPLACE, LOW_PRIORITY, QUICK)
// written for the shards change the row as on one server, with the same
// affected-row counts.
func TestWriteFormsWrittenForTheShardsMeanTheSame(t *testing.T) {
	db := strataDB(t)
	id := strconv.Itoa(freeEventIDs(2001, 3000, 1)[0])
	cleanup(t, "events", "id = "+id)
	t.Cleanup(func() { singleBlog.Exec("DELETE FROM events WHERE id = " + id) })
	stmts := [][]string{
		{"INSERT INTO events SET id = {id}, kind = 'k', qty = 1"},
		{"INSERT INTO events (id, kind, qty) VALUE ({id}, 'k', 1)"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, DEFAULT, 1)"},
		{"INSERT HIGH_PRIORITY INTO events (id, kind) VALUES ({id}, CONCAT('a', 'b'))"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "INSERT IGNORE INTO events (id, kind, qty) VALUES ({id}, 'x', 2)"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 5) ON DUPLICATE KEY UPDATE qty = VALUES(qty) + 1"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 5) ON DUPLICATE KEY UPDATE qty = qty + 1, kind = 'z'"},
		{"REPLACE INTO events (id, kind, qty) VALUES ({id}, 'r', 3)", "REPLACE INTO events SET id = {id}, kind = 's'"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "UPDATE LOW_PRIORITY events SET qty = qty + 1 WHERE id = {id}"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "UPDATE IGNORE events SET kind = DEFAULT WHERE id = {id}"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "DELETE QUICK FROM events WHERE id = {id}"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "DELETE LOW_PRIORITY IGNORE FROM events WHERE id = {id} AND qty IN (1, 2)"},
		{"INSERT INTO events (id, kind, qty, happened) VALUES ({id}, 'k', 1, '2024-02-03')", "UPDATE events SET happened = happened + INTERVAL 1 DAY, kind = CHAR(75) WHERE id = {id}"},
		{"INSERT INTO events (id, kind, qty) VALUES ({id}, 'k', 1)", "UPDATE events e SET e.qty = (SELECT COUNT(*) FROM countries) WHERE e.id = {id}"},
	}
	for _, steps := range stmts {
		var gotAff, wantAff []int64
		for _, st := range steps {
			q := strings.ReplaceAll(st, "{id}", id)
			r1, err1 := singleBlog.ExecContext(t.Context(), q)
			r2, err2 := db.ExecContext(t.Context(), q)
			if (err1 == nil) != (err2 == nil) {
				t.Errorf("%s: single %v, strata %v", q, err1, err2)
				continue
			}
			if err1 != nil {
				t.Fatalf("%s: the single server refuses it: %v", q, err1)
			}
			a1, _ := r1.RowsAffected()
			a2, _ := r2.RowsAffected()
			wantAff, gotAff = append(wantAff, a1), append(gotAff, a2)
		}
		sel := "SELECT * FROM events WHERE id = " + id
		want, err := runQueryArgs(t.Context(), singleBlog, sel)
		if err != nil {
			t.Fatal(err)
		}
		got, err := runQueryArgs(t.Context(), db, sel)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.rows) != fmt.Sprint(want.rows) || fmt.Sprint(gotAff) != fmt.Sprint(wantAff) {
			t.Errorf("%v:\n strata %v affected %v\n single %v affected %v", steps, got.rows, gotAff, want.rows, wantAff)
		}
		mustExec(t, singleBlog, "DELETE FROM events WHERE id = "+id)
		mustExec(t, db, "DELETE FROM events WHERE id = "+id)
	}
}
