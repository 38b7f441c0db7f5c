package sharding

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/test/testenv"
)

// loc_notes is sharded by owner and saved by id, which unique: keeps
// unique across the shards (as an ORM's model sharded by its parent).
const (
	locNotesDDL = "CREATE TABLE IF NOT EXISTS blog.loc_notes (id BIGINT NOT NULL PRIMARY KEY, owner INT NOT NULL, " +
		"email VARCHAR(60) COLLATE utf8mb4_general_ci NULL, body VARCHAR(40) NULL, UNIQUE KEY email (email))"
	locNotesTable = "loc_notes: {shard_key: owner, method: modulo, shards: [s0, s1, s2, s3], unique: [id, email]}"
)

// A statement by a unique: column without the shard key (an ORM's save,
// delete or lock by primary key) runs on every shard the first time, and
// on the shard that found its row alone after that: the row's location
// is remembered. A row that moved since, or is gone, is not found there,
// and the statement then runs on every shard, with the answer one server
// gives. With limits.row_locations: -1 every such statement runs on every
// shard.
func TestStatementsByAUniqueColumnGoToTheRowsShard(t *testing.T) {
	strataDB(t)
	createOn(t, locNotesDDL, "blog.loc_notes", shardNames...)
	for _, mode := range []string{"single", "twopc"} {
		t.Run(mode, func(t *testing.T) {
			// owner n is on shard s<n mod 4>.
			s, conn := locNotesInstance(t, "transactions: {mode: "+mode+"}\n",
				"INSERT INTO loc_notes (id, owner, email, body) VALUES (1, 1, 'ann@example.com', 'a'), (2, 2, 'bob@example.com', 'b'), (3, 3, NULL, 'c')")
			guesses := func(outcome string) float64 {
				return metricValue(t, s.AdminAddr(), `strata_row_location_guesses_total{outcome="`+outcome+`"}`)
			}
			body := func(id string) []string {
				t.Helper()
				return testenv.Strings(t, conn, "SELECT CONCAT(owner, ' ', body) FROM loc_notes WHERE id = "+id)
			}

			// The INSERT put row 1 on s1: Strata knows it from there,
			// and EXPLAIN STRATA says so. It knows the shards of the
			// three ids and two emails.
			if got := metricValue(t, s.AdminAddr(), "strata_row_locations"); got != 5 {
				t.Errorf("strata_row_locations = %v after the INSERT, want 5", got)
			}
			plan := strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA UPDATE loc_notes SET body = 'x' WHERE id = 1"), "\n")
			if !strings.Contains(plan, "id = 1 names one row (unique:), last seen on s1") {
				t.Errorf("EXPLAIN STRATA does not say where row 1 was last seen:\n%s", plan)
			}
			hits := guesses("hit")
			mustExec(t, conn, "UPDATE loc_notes SET body = 'first' WHERE id = 1")
			expectTouched(t, "Com_update", 1, []string{"s1"}, func() {
				if n := rowsAffected(t, conn, "UPDATE loc_notes SET body = CONCAT(body, '+') WHERE id = ?", 1); n != 1 {
					t.Errorf("an UPDATE by id on its row's shard affected %d rows, want 1", n)
				}
			})
			if guesses("hit") <= hits {
				t.Error("strata_row_location_guesses_total{hit} did not rise")
			}
			if got := holders(t, "loc_notes", "id = 1 AND body LIKE 'first+%'"); !slices.Equal(got, []string{"s1"}) {
				t.Errorf("row 1 updated on %v, want s1", got)
			}

			t.Run("in a transaction", func(t *testing.T) {
				xa := shardStatus(t, "Com_xa_start")
				expectTouched(t, "Com_update", 1, []string{"s1"}, func() {
					mustExec(t, conn, "BEGIN")
					if got := testenv.Strings(t, conn, "SELECT body FROM loc_notes WHERE id = 1 FOR UPDATE"); len(got) != 1 {
						t.Errorf("a locking read by id answered %q, want row 1", got)
					}
					mustExec(t, conn, "UPDATE loc_notes SET body = 'in tx' WHERE id = 1")
					mustExec(t, conn, "COMMIT")
				})
				if d := deltaOf(xa, shardStatus(t, "Com_xa_start")); slices.ContainsFunc(shardNames, func(sh string) bool { return d[sh] != 0 }) {
					t.Errorf("a transaction on one row's shard started XA branches: %s", showDelta(d))
				}
				if got := body("1"); !slices.Equal(got, []string{"1 in tx"}) {
					t.Errorf("row 1 after COMMIT: %q", got)
				}
				// A later statement of another row's shard: as without
				// the guess, refused in single mode, across the shards
				// under twopc.
				mustExec(t, conn, "UPDATE loc_notes SET body = 'learn 2' WHERE id = 2")
				mustExec(t, conn, "BEGIN")
				mustExec(t, conn, "UPDATE loc_notes SET body = 'one' WHERE id = 1")
				_, err := conn.ExecContext(testenv.Ctx(t), "UPDATE loc_notes SET body = 'two' WHERE id = 2")
				if mode == "twopc" {
					// Only the row's shard joins the transaction.
					branchesAlone(t, s.AdminAddr(), clusterAddr["s2"])
				}
				mustExec(t, conn, "COMMIT")
				switch {
				case mode == "single" && testenv.MySQLErr(err) != 1235:
					t.Errorf("single: a second shard's row in the transaction: %v, want error 1235", err)
				case mode == "twopc" && err != nil:
					t.Errorf("twopc: a second shard's row in the transaction: %v", err)
				}
				want := map[string]string{"single": "2 learn 2", "twopc": "2 two"}[mode]
				if got := body("2"); !slices.Equal(got, []string{want}) {
					t.Errorf("row 2 after COMMIT: %q, want %q", got, want)
				}
				if mode == "twopc" {
					// A lock of a row of another shard: that shard alone
					// joins too.
					mustExec(t, conn, "BEGIN")
					mustExec(t, conn, "UPDATE loc_notes SET body = 'one again' WHERE id = 1")
					if got := testenv.Strings(t, conn, "SELECT body FROM loc_notes WHERE id = 2 FOR UPDATE"); !slices.Equal(got, []string{"two"}) {
						t.Errorf("a lock of row 2 answered %q", got)
					}
					branchesAlone(t, s.AdminAddr(), clusterAddr["s2"])
					mustExec(t, conn, "COMMIT")
				}
			})

			t.Run("reads", func(t *testing.T) {
				read := func(id int) []string {
					t.Helper()
					return testenv.Strings(t, conn, "SELECT owner FROM loc_notes WHERE id = ?", id)
				}
				readsOnlyOn(t, "s3", func(n int) {
					for range n {
						if got := read(3); !slices.Equal(got, []string{"3"}) {
							t.Fatalf("a read of row 3 answered %q", got)
						}
					}
				})
				// Moved behind Strata's back: found where it is, and
				// read there from then on.
				misses := guesses("miss")
				mustExec(t, direct["s3"], "DELETE FROM blog.loc_notes WHERE id = 3")
				mustExec(t, direct["s0"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (3, 8, 'moved')")
				if got := read(3); !slices.Equal(got, []string{"8"}) {
					t.Errorf("a read of row 3 after it moved answered %q, want owner 8", got)
				}
				if guesses("miss") != misses+1 {
					t.Errorf("strata_row_location_guesses_total{miss} rose by %v, want 1", guesses("miss")-misses)
				}
				readsOnlyOn(t, "s0", func(n int) {
					for range n {
						read(3)
					}
				})
				// In a transaction of another shard: read outside it
				// there, as the read over every shard reads that shard.
				mustExec(t, conn, "BEGIN")
				mustExec(t, conn, "UPDATE loc_notes SET body = 'tx' WHERE id = 2")
				readsOnlyOn(t, "s0", func(n int) {
					for range n {
						if got := read(3); !slices.Equal(got, []string{"8"}) {
							t.Fatalf("a read of row 3 in a transaction answered %q", got)
						}
					}
				})
				mustExec(t, conn, "COMMIT")
				// An aggregate without GROUP BY answers a row on every
				// shard, found or not: it runs on every shard.
				if got := testenv.Strings(t, conn, "SELECT COUNT(*) FROM loc_notes WHERE id = 3"); !slices.Equal(got, []string{"1"}) {
					t.Errorf("COUNT(*) of row 3: %q", got)
				}
				if got := read(99); len(got) != 0 {
					t.Errorf("a read of a row that does not exist answered %q", got)
				}
			})

			t.Run("a row that moved is found where it is", func(t *testing.T) {
				misses := guesses("miss")
				// Another writer (an instance of Strata that did not
				// tell this one) moves row 1 from s1 to s3.
				mustExec(t, direct["s1"], "DELETE FROM blog.loc_notes WHERE id = 1")
				mustExec(t, direct["s3"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (1, 3, 'moved')")
				if n := rowsAffected(t, conn, "UPDATE loc_notes SET body = 'found' WHERE id = 1"); n != 1 {
					t.Errorf("an UPDATE of a row that moved affected %d rows, want 1", n)
				}
				if got := holders(t, "loc_notes", "id = 1 AND body = 'found'"); !slices.Equal(got, []string{"s3"}) {
					t.Errorf("row 1 updated on %v, want s3", got)
				}
				if guesses("miss") != misses+1 {
					t.Errorf("strata_row_location_guesses_total{miss} rose by %v, want 1", guesses("miss")-misses)
				}
				expectTouched(t, "Com_update", 1, []string{"s3"}, func() {
					mustExec(t, conn, "UPDATE loc_notes SET body = 'there' WHERE id = 1")
				})

				// In a transaction: a locking read and a save.
				mustExec(t, direct["s3"], "DELETE FROM blog.loc_notes WHERE id = 1")
				mustExec(t, direct["s0"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (1, 4, 'moved again')")
				mustExec(t, conn, "BEGIN")
				if got := testenv.Strings(t, conn, "SELECT body FROM loc_notes WHERE id = 1 FOR UPDATE"); !slices.Equal(got, []string{"moved again"}) {
					t.Errorf("a locking read of a row that moved answered %q", got)
				}
				mustExec(t, conn, "UPDATE loc_notes SET body = 'saved' WHERE id = 1")
				mustExec(t, conn, "COMMIT")
				if got := body("1"); !slices.Equal(got, []string{"4 saved"}) {
					t.Errorf("row 1 after COMMIT: %q", got)
				}
				mustExec(t, direct["s0"], "DELETE FROM blog.loc_notes WHERE id = 1")
				mustExec(t, direct["s2"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (1, 6, 'in s2')")
				mustExec(t, conn, "BEGIN")
				mustExec(t, conn, "UPDATE loc_notes SET body = 'saved in s2' WHERE id = 1")
				mustExec(t, conn, "COMMIT")
				if got := holders(t, "loc_notes", "id = 1 AND body = 'saved in s2'"); !slices.Equal(got, []string{"s2"}) {
					t.Errorf("row 1 saved in a transaction on %v, want s2", got)
				}
			})

			t.Run("a row that is gone", func(t *testing.T) {
				if n := rowsAffected(t, conn, "DELETE FROM loc_notes WHERE id = 1"); n != 1 {
					t.Errorf("DELETE by id affected %d rows, want 1", n)
				}
				for _, q := range []string{"UPDATE loc_notes SET body = 'none' WHERE id = 1", "DELETE FROM loc_notes WHERE id = 1"} {
					if n := rowsAffected(t, conn, q); n != 0 {
						t.Errorf("%s after the row was deleted: %d rows, want 0", q, n)
					}
				}
				mustExec(t, conn, "BEGIN")
				if got := testenv.Strings(t, conn, "SELECT body FROM loc_notes WHERE id = 1 FOR UPDATE"); len(got) != 0 {
					t.Errorf("a locking read of a deleted row answered %q", got)
				}
				mustExec(t, conn, "COMMIT")
				if got := holders(t, "loc_notes", "id = 1"); len(got) != 0 {
					t.Errorf("row 1 is on %v after DELETE", got)
				}
			})

			t.Run("by a text column", func(t *testing.T) {
				mustExec(t, conn, "UPDATE loc_notes SET body = 'by email' WHERE email = 'bob@example.com'")
				expectTouched(t, "Com_update", 1, []string{"s2"}, func() {
					mustExec(t, conn, "UPDATE loc_notes SET body = 'by email again' WHERE email = ?", "bob@example.com")
				})
				// Another spelling of the value, in the column's _ci
				// collation: not remembered, so every shard, and the
				// same row.
				if n := rowsAffected(t, conn, "UPDATE loc_notes SET body = 'BOB' WHERE email = 'BOB@example.com'"); n != 1 {
					t.Errorf("an UPDATE by another spelling affected %d rows, want 1", n)
				}
				// A new value: Strata learns it is where the UPDATE
				// changed the row.
				mustExec(t, conn, "UPDATE loc_notes SET email = 'bo@example.com' WHERE id = 2")
				expectTouched(t, "Com_update", 1, []string{"s2"}, func() {
					if n := rowsAffected(t, conn, "UPDATE loc_notes SET body = 'by the new email' WHERE email = 'bo@example.com'"); n != 1 {
						t.Errorf("an UPDATE by the new email affected %d rows, want 1", n)
					}
				})
			})
		})
	}

	t.Run("a read bigger than limits.max_merge_memory", func(t *testing.T) {
		// Its rows cannot be held until it is known whether the
		// remembered shard has the row: it streams over every shard, as
		// without the guess, rather than being refused (1038).
		s, conn := locNotesInstance(t, "limits: {max_merge_memory: 1M}\n", "INSERT INTO loc_notes (id, owner, body) VALUES (1, 1, 'ab')")
		got := testenv.Strings(t, conn, "SELECT LENGTH(REPEAT(body, 1000000)), REPEAT(body, 1000000) FROM loc_notes WHERE id = 1")
		if len(got) != 1 || !strings.HasPrefix(got[0], "2000000|abab") {
			t.Errorf("a 2 MB row of a remembered id answered %d rows", len(got))
		}
		if misses := metricValue(t, s.AdminAddr(), `strata_row_location_guesses_total{outcome="miss"}`); misses != 1 {
			t.Errorf("strata_row_location_guesses_total{miss} = %v, want 1: the held read gave up", misses)
		}
	})

	t.Run("row_locations -1 remembers none", func(t *testing.T) {
		_, conn := locNotesInstance(t, "limits: {row_locations: -1}\n", "INSERT INTO loc_notes (id, owner, body) VALUES (1, 1, 'a')")
		mustExec(t, conn, "UPDATE loc_notes SET body = 'first' WHERE id = 1")
		expectTouched(t, "Com_update", 1, shardNames, func() {
			mustExec(t, conn, "UPDATE loc_notes SET body = 'second' WHERE id = 1")
		})
	})
}

// A read of a list of values of a unique: column (an ORM loading models
// by a list of ids, or preloading the rows a belongs_to association
// points to) runs on the shards of those rows alone where Strata knows
// each: found a row per value there, no other shard can hold one. Where
// it does not know each, the read runs on every shard, and Strata learns
// from its rows where each is. Fewer rows than values (a row moved, or
// none has the value), and it runs on every shard, with the answer one
// server gives.
func TestReadsOfAListOfUniqueValuesGoToTheirRowsShards(t *testing.T) {
	strataDB(t)
	createOn(t, locNotesDDL, "blog.loc_notes", shardNames...)
	// owner n is on shard s<n mod 4>.
	s, conn := locNotesInstance(t, "",
		"INSERT INTO loc_notes (id, owner, email, body) VALUES (1, 1, 'ann@example.com', 'a'), (2, 2, 'bob@example.com', 'b'), (3, 3, NULL, 'c')")
	guesses := func(outcome string) float64 {
		return metricValue(t, s.AdminAddr(), `strata_row_location_guesses_total{outcome="`+outcome+`"}`)
	}
	read := func(q string, want ...string) {
		t.Helper()
		if got := testenv.Strings(t, conn, q); !slices.Equal(got, want) {
			t.Fatalf("%s answered %q, want %q", q, got, want)
		}
	}
	explain := func(q string) string {
		return strings.Join(testenv.Strings(t, conn, "EXPLAIN STRATA "+q), "\n")
	}

	hits := guesses("hit")
	readsOnlyOnEach(t, []string{"s1", "s2"}, func(n int) {
		for range n {
			read("SELECT id, body FROM loc_notes WHERE id IN (2, 1) ORDER BY id", "1|a", "2|b")
		}
	})
	if guesses("hit") < hits+30 {
		t.Errorf("strata_row_location_guesses_total{hit} rose by %v for 30 reads", guesses("hit")-hits)
	}
	readsOnlyOnEach(t, []string{"s2", "s3"}, func(n int) {
		for range n {
			if got := testenv.Strings(t, conn, "SELECT id, owner FROM loc_notes WHERE id IN (?, ?) ORDER BY id", 3, 2); !slices.Equal(got, []string{"2|2", "3|3"}) {
				t.Fatalf("a prepared read of rows 3 and 2 answered %q", got)
			}
		}
	})
	readsOnlyOnEach(t, []string{"s1", "s2"}, func(n int) {
		for range n {
			read("SELECT body FROM loc_notes WHERE email IN ('bob@example.com', 'ann@example.com') ORDER BY body", "a", "b")
		}
	})
	// Grouped: no more groups than rows, so as many as values is every row.
	read("SELECT owner, COUNT(*) FROM loc_notes WHERE id IN (1, 2) GROUP BY owner", "1|1", "2|1")
	// A row per shard whatever it found: on every shard.
	read("SELECT COUNT(*) FROM loc_notes WHERE id IN (1, 2)", "2")

	t.Run("rows Strata did not write are learned from a read", func(t *testing.T) {
		mustExec(t, direct["s1"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (21, 5, 'x')")
		mustExec(t, direct["s2"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (22, 6, 'y')")
		q := "SELECT id, body FROM loc_notes WHERE id IN (21, 22) ORDER BY id"
		if plan := explain(q); !strings.Contains(plan, "it runs on every shard with its rows held, and learns") {
			t.Errorf("EXPLAIN STRATA does not say the read learns its rows' shards:\n%s", plan)
		}
		read(q, "21|x", "22|y")
		if plan := explain(q); !strings.Contains(plan, "id IN (2 values) names a row per value (unique:), last seen on s1, s2") {
			t.Errorf("EXPLAIN STRATA does not say where the rows were last seen:\n%s", plan)
		}
		readsOnlyOnEach(t, []string{"s1", "s2"}, func(n int) {
			for range n {
				read(q, "21|x", "22|y")
			}
		})
		// Without the column in its rows, a read teaches nothing: it
		// still answers as one server.
		mustExec(t, direct["s3"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (23, 7, 'z')")
		read("SELECT body FROM loc_notes WHERE id IN (23, 21) ORDER BY body", "x", "z")
		if plan := explain("SELECT body FROM loc_notes WHERE id IN (23, 21)"); !strings.Contains(plan, "learns") {
			t.Errorf("a read without the id taught Strata where row 23 is:\n%s", plan)
		}
		// Rows of more than a megabyte are not held to learn their
		// shards (merges share that memory): the read streams, and
		// teaches nothing.
		got := testenv.Strings(t, conn, "SELECT id, LENGTH(REPEAT(body, 700000)), REPEAT(body, 700000) FROM loc_notes WHERE id IN (23, 22) ORDER BY id")
		if len(got) != 2 || !strings.HasPrefix(got[0], "22|700000|yyy") || !strings.HasPrefix(got[1], "23|700000|zzz") {
			t.Errorf("a 1.4 MB read of rows 22 and 23 answered %d rows", len(got))
		}
		if plan := explain("SELECT id FROM loc_notes WHERE id IN (23, 22)"); !strings.Contains(plan, "learns") {
			t.Errorf("a read of more than a megabyte held its rows to learn where row 23 is:\n%s", plan)
		}
		// Without ORDER BY, the rows come in the order the shards answer.
		if got := testenv.Strings(t, conn, "SELECT id FROM loc_notes WHERE id IN (23, 22)"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"22", "23"}) {
			t.Fatalf("SELECT id FROM loc_notes WHERE id IN (23, 22) answered %q, want rows 22 and 23", got)
		}
		if plan := explain("SELECT id FROM loc_notes WHERE id IN (23, 22)"); !strings.Contains(plan, "last seen on s2, s3") {
			t.Errorf("a small read did not learn where rows 22 and 23 are:\n%s", plan)
		}
	})

	t.Run("a row that moved, or a value without a row", func(t *testing.T) {
		misses := guesses("miss")
		mustExec(t, direct["s2"], "DELETE FROM blog.loc_notes WHERE id = 2")
		mustExec(t, direct["s3"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (2, 7, 'moved')")
		read("SELECT id, owner, body FROM loc_notes WHERE id IN (1, 2) ORDER BY id", "1|1|a", "2|7|moved")
		if guesses("miss") != misses+1 {
			t.Errorf("strata_row_location_guesses_total{miss} rose by %v, want 1", guesses("miss")-misses)
		}
		readsOnlyOnEach(t, []string{"s1", "s3"}, func(n int) {
			for range n {
				read("SELECT id, owner FROM loc_notes WHERE id IN (1, 2) ORDER BY id", "1|1", "2|7")
			}
		})
		// A LIMIT that cuts the rows: fewer rows than values, so every
		// shard, and the answer of one server.
		read("SELECT id FROM loc_notes WHERE id IN (2, 1) ORDER BY id DESC LIMIT 1", "2")
		read("SELECT id FROM loc_notes WHERE id IN (1, 99, 2) ORDER BY id", "1", "2")
		mustExec(t, direct["s1"], "DELETE FROM blog.loc_notes WHERE id = 1")
		read("SELECT id FROM loc_notes WHERE id IN (1, 2)", "2")
		// In a transaction, as the read over every shard reads.
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "UPDATE loc_notes SET body = 'tx' WHERE id = 3")
		read("SELECT id, body FROM loc_notes WHERE id IN (2, 3) ORDER BY id", "2|moved", "3|tx")
		mustExec(t, conn, "COMMIT")
	})

	t.Run("row_locations -1 remembers none", func(t *testing.T) {
		_, conn := locNotesInstance(t, "limits: {row_locations: -1}\n", "INSERT INTO loc_notes (id, owner, body) VALUES (1, 1, 'a'), (2, 2, 'b')")
		readsOnlyOnEach(t, shardNames, func(n int) {
			for range n {
				testenv.Strings(t, conn, "SELECT id FROM loc_notes WHERE id IN (1, 2)")
			}
		})
	})
}

// An UPDATE or DELETE in autocommit of a list of values of a unique:
// column (Django's bulk_update and a QuerySet's delete(), Rails'
// update_all and delete_all of ids) runs on the shards of those rows
// alone where Strata knows each, in a transaction there: where it does
// not match a row per value, it is rolled back and runs on every shard,
// so no row is changed twice.
func TestWritesOfAListOfUniqueValuesGoToTheirRowsShards(t *testing.T) {
	strataDB(t)
	createOn(t, locNotesDDL, "blog.loc_notes", shardNames...)
	for _, mode := range []string{"single", "twopc"} {
		t.Run(mode, func(t *testing.T) {
			// owner n is on shard s<n mod 4>.
			s, conn := locNotesInstance(t, "transactions: {mode: "+mode+"}\n",
				"INSERT INTO loc_notes (id, owner, body) VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (5, 5, 'e')")
			misses := func() float64 {
				return metricValue(t, s.AdminAddr(), `strata_row_location_guesses_total{outcome="miss"}`)
			}
			body := func(id int) string {
				t.Helper()
				return strings.Join(testenv.Strings(t, conn, "SELECT body FROM loc_notes WHERE id = ?", id), ",")
			}
			affects := func(q string, want int64) {
				t.Helper()
				if n := rowsAffected(t, conn, q); n != want {
					t.Fatalf("%s affected %d rows, want %d", q, n, want)
				}
			}

			expectTouched(t, "Com_update", 1, []string{"s1"}, func() {
				affects("UPDATE loc_notes SET body = CONCAT(body, '+') WHERE id IN (1, 5)", 2)
			})
			expectTouched(t, "Com_update", 1, []string{"s1", "s2"}, func() {
				affects("UPDATE loc_notes SET body = CONCAT(body, '+') WHERE id IN (2, 1)", 2)
			})
			// Row 2 moves behind Strata's back: the write on s1 and s2
			// matches one row of two, is rolled back, and runs on every
			// shard: row 1 is changed once.
			mustExec(t, direct["s2"], "DELETE FROM blog.loc_notes WHERE id = 2")
			mustExec(t, direct["s3"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (2, 7, 'moved')")
			before, missed := body(1), misses()
			affects("UPDATE loc_notes SET body = CONCAT(body, '!') WHERE id IN (1, 2)", 2)
			if got := body(1); got != before+"!" {
				t.Errorf("row 1 after an UPDATE whose other row had moved: %q, want %q", got, before+"!")
			}
			if got := body(2); got != "moved!" {
				t.Errorf("row 2, moved, after the UPDATE: %q", got)
			}
			if misses() != missed+1 {
				t.Errorf("strata_row_location_guesses_total{miss} rose by %v, want 1", misses()-missed)
			}
			if got := holders(t, "loc_notes", "id = 1 AND body LIKE '%!'"); !slices.Equal(got, []string{"s1"}) {
				t.Errorf("row 1 changed on %v, want s1", got)
			}
			// The same on one shard: rows 1 and 5 were on s1, and 5 moved.
			mustExec(t, direct["s1"], "DELETE FROM blog.loc_notes WHERE id = 5")
			mustExec(t, direct["s3"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (5, 7, 'moved')")
			before = body(1)
			affects("UPDATE loc_notes SET body = CONCAT(body, '?') WHERE id IN (5, 1)", 2)
			if got := body(1); got != before+"?" {
				t.Errorf("row 1 after an UPDATE whose other row on its shard had moved: %q, want %q", got, before+"?")
			}
			mustExec(t, direct["s3"], "DELETE FROM blog.loc_notes WHERE id = 5")

			expectTouched(t, "Com_delete", 1, []string{"s1"}, func() {
				mustExec(t, conn, "INSERT IGNORE INTO loc_notes (id, owner, body) VALUES (1, 1, 'a'), (5, 5, 'e')")
				affects("DELETE FROM loc_notes WHERE id IN (5, 1)", 2)
			})
			// A value without a row: every shard, one server's answer.
			affects("DELETE FROM loc_notes WHERE id IN (3, 99)", 1)

			// Rows Strata did not write: a write over every shard that
			// matches a row per value on one shard teaches that shard.
			mustExec(t, direct["s1"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (31, 1, 'x'), (32, 5, 'y')")
			affects("UPDATE loc_notes SET body = 'learned' WHERE id IN (31, 32)", 2)
			expectTouched(t, "Com_update", 1, []string{"s1"}, func() {
				affects("UPDATE loc_notes SET body = CONCAT(body, '+') WHERE id IN (31, 32)", 2)
			})

			// In a transaction (Django's bulk_update and delete() run in
			// one): the write narrows it to the rows' shard.
			expectTouched(t, "Com_update", 1, []string{"s1"}, func() {
				mustExec(t, conn, "BEGIN")
				affects("UPDATE loc_notes SET body = CONCAT(body, '+') WHERE id IN (31, 32)", 2)
				mustExec(t, conn, "COMMIT")
			})
			// A locking read of the list (select_for_update().filter(
			// pk__in=...)), and the save after it: on the rows' shard.
			expectTouched(t, "Com_select", 1, []string{"s1"}, func() {
				mustExec(t, conn, "BEGIN")
				if got := testenv.Strings(t, conn, "SELECT id FROM loc_notes WHERE id IN (32, 31) ORDER BY id FOR UPDATE"); !slices.Equal(got, []string{"31", "32"}) {
					t.Errorf("a locking read of rows 31 and 32 answered %q", got)
				}
				affects("UPDATE loc_notes SET body = CONCAT(body, '+') WHERE id IN (31, 32)", 2)
				mustExec(t, conn, "COMMIT")
			})
			// Rows Strata did not write, saved in a transaction over every
			// shard: learned there too.
			mustExec(t, direct["s1"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (51, 1, 'x'), (52, 5, 'y')")
			for i := range 2 {
				want := []string{"s0", "s1", "s2", "s3"}
				if i > 0 {
					want = []string{"s1"}
				}
				expectTouched(t, "Com_update", 1, want, func() {
					mustExec(t, conn, "BEGIN")
					affects("UPDATE loc_notes SET body = CONCAT(body, '+') WHERE id IN (51, 52)", 2)
					mustExec(t, conn, "COMMIT")
				})
			}
			// Row 32 moves to s2: the write on s1 finds one row of two,
			// is undone there, and runs as it would without the guess:
			// over s1 and s2 (under single the transaction may then only
			// end; under twopc it goes on across them). Each row is
			// changed once.
			mustExec(t, direct["s1"], "DELETE FROM blog.loc_notes WHERE id = 32")
			mustExec(t, direct["s2"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (32, 6, 'moved')")
			before = body(31)
			mustExec(t, conn, "BEGIN")
			affects("UPDATE loc_notes SET body = CONCAT(body, '#') WHERE id IN (31, 32)", 2)
			mustExec(t, conn, "COMMIT")
			if body(31) != before+"#" || body(32) != "moved#" {
				t.Errorf("rows 31 and 32 after a transaction's write: %q, %q; want %q, %q", body(31), body(32), before+"#", "moved#")
			}
			// A locking read finds one row of two on s1, where Strata
			// wrote both, and runs over every shard: refused as a first
			// read of rows on two shards under single, answered under
			// twopc.
			mustExec(t, conn, "INSERT INTO loc_notes (id, owner, body) VALUES (41, 1, 'p'), (42, 5, 'q')")
			mustExec(t, direct["s1"], "DELETE FROM blog.loc_notes WHERE id = 42")
			mustExec(t, direct["s2"], "INSERT INTO blog.loc_notes (id, owner, body) VALUES (42, 6, 'moved')")
			mustExec(t, conn, "BEGIN")
			got, err := tryStrings(conn, "SELECT id, body FROM loc_notes WHERE id IN (41, 42) ORDER BY id FOR UPDATE")
			mustExec(t, conn, "ROLLBACK")
			want := []string{"41|p", "42|moved"}
			switch {
			case mode == "single" && testenv.MySQLErr(err) != 1235:
				t.Errorf("single: a first locking read of rows on two shards: %q, %v; want error 1235", got, err)
			case mode == "twopc" && (err != nil || !slices.Equal(got, want)):
				t.Errorf("twopc: a locking read of rows on two shards: %q, %v; want %q", got, err, want)
			}
		})
	}
}

// locNotesInstance empties loc_notes on every shard, starts a Strata that
// places it (with extra config) for the test, writes rows through it with
// insert, and waits until it knows the types of loc_notes' unique:
// columns.
func locNotesInstance(t *testing.T, extra, insert string) (*server.Strata, *sql.Conn) {
	t.Helper()
	for _, sh := range shardNames {
		mustExec(t, direct[sh], "DELETE FROM blog.loc_notes")
	}
	s := startOwn(t, ownConfig(t, locNotesTable, extra))
	conn := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	mustExec(t, conn, insert)
	waitUniqueTypesLearned(t, s.Env.Sharding.Layout, "loc_notes", "id", "email")
	waitShardsQuiet(t)
	return s, conn
}

// waitShardsQuiet waits until no shard counts a SELECT for 50 ms: a
// Strata just started reads the other tables' column types from them for
// a while, which tests that count the reads a statement makes would see.
func waitShardsQuiet(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		before := shardStatus(t, "Com_select")
		time.Sleep(50 * time.Millisecond)
		d := deltaOf(before, shardStatus(t, "Com_select"))
		if !slices.ContainsFunc(shardNames, func(s string) bool { return d[s] != 0 }) {
			return
		}
	}
}

// waitUniqueTypesLearned waits until Strata has read the types of table's
// unique: columns from a shard.
func waitUniqueTypesLearned(t *testing.T, layout func() *shard.Layout, table string, columns ...string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		learned := true
		for _, c := range columns {
			if tb := layout().Table(table); tb == nil || tb.UniqueColumns[c].Type == shard.KeyTypeUnknown {
				learned = false
			}
		}
		if learned {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the types of %s's unique: columns %v were not learned within 10 s", table, columns)
		}
	}
}

// readsOnlyOn runs reads(n), n SELECTs, and checks from the shards'
// Com_select that shard ran each and no other shard ran them
// (expectTouched, which measures again where others count a few: Strata's
// background reads).
func readsOnlyOn(t *testing.T, shard string, reads func(n int)) {
	t.Helper()
	readsOnlyOnEach(t, []string{shard}, reads)
}

// readsOnlyOnEach is readsOnlyOn for reads that each run on every shard
// of want.
func readsOnlyOnEach(t *testing.T, want []string, reads func(n int)) {
	t.Helper()
	const n = 30
	expectTouched(t, "Com_select", n, want, func() { reads(n) })
}

// branchesAlone checks that GET /api/sessions on admin shows a session
// whose transaction across clusters has the one branch on addr.
func branchesAlone(t *testing.T, admin, addr string) {
	t.Helper()
	want := []string{addr}
	if got, ok := awaitBranches(t, admin, func(b []string) bool { return slices.Equal(b, want) }); !ok {
		t.Errorf("GET /api/sessions shows branches %v, want a session with %v alone", got, want)
	}
}
