package test

import (
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A stored procedure (CALL) runs on the primary, since it may write, and
// every result set it returns reaches the client in order, followed by
// its OK, in the text and the binary protocol: the Go driver's text and
// prepared CALL, PHP PDO's emulated and native prepares. The OUT value it
// leaves in a user variable is read back in the same session.
func TestStoredProceduresRunOnThePrimary(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"CREATE TABLE blog.proc_items (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(40))",
		"CREATE PROCEDURE blog.proc_add_and_list(IN new_label VARCHAR(40), IN n INT, OUT total INT) "+
			"BEGIN "+
			"INSERT INTO proc_items (label) VALUES (new_label); "+
			"SELECT COUNT(*) INTO total FROM proc_items; "+
			"SELECT id, label FROM proc_items ORDER BY id DESC LIMIT n; "+
			"SELECT total AS total, 'ünïcödé' AS word; "+
			"END")
	t.Cleanup(func() { env.primary.Exec(ctxFor(t), "DROP PROCEDURE IF EXISTS blog.proc_add_and_list") })

	// resultSets reads every result set of rows as text.
	resultSets := func(t *testing.T, rows *sql.Rows) [][]string {
		t.Helper()
		defer rows.Close()
		var sets [][]string
		for {
			set, err := testenv.ResultStrings(rows)
			if err != nil {
				t.Fatal(err)
			}
			sets = append(sets, set)
			if !rows.NextResultSet() {
				return sets
			}
		}
	}

	db := openStrata(t)
	for i, mode := range []string{"text", "prepared"} {
		t.Run("go "+mode, func(t *testing.T) {
			conn, err := db.Conn(ctxFor(t))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			label := "go " + mode
			var rows *sql.Rows
			if mode == "text" {
				rows, err = conn.QueryContext(ctxFor(t), "CALL proc_add_and_list('"+label+"', 2, @total)")
			} else {
				rows, err = conn.QueryContext(ctxFor(t), "CALL proc_add_and_list(?, ?, @total)", label, 2)
			}
			if err != nil {
				t.Fatal(err)
			}
			sets := resultSets(t, rows)
			total := i + 1 // the rows each CALL so far added
			want := [][]string{{fmt.Sprintf("%d|%s", total, label)}, {fmt.Sprintf("%d|ünïcödé", total)}}
			if i == 1 {
				want[0] = append(want[0], "1|go text")
			}
			if len(sets) < 2 || !slices.Equal(sets[0], want[0]) || !slices.Equal(sets[1], want[1]) {
				t.Fatalf("CALL answered %q, want %q first", sets, want)
			}
			if got := queryStrings(t, conn, "SELECT @total"); !slices.Equal(got, []string{fmt.Sprint(total)}) {
				t.Errorf("OUT total read back as %v, want %d", got, total)
			}
			if got := queryStrings(t, openDirect(t, env.primary, "blog"), "SELECT label FROM proc_items WHERE label = ?", label); len(got) != 1 {
				t.Errorf("the CALL's INSERT is not on the primary: %v", got)
			}
		})
	}

	t.Run("php pdo", func(t *testing.T) {
		script, _ := filepath.Abs("php/stored_procedure.php")
		h, p := strataHostPort()
		out, err := exec.Command("php", script, h, p, "app", "app").CombinedOutput()
		if err != nil {
			t.Fatalf("php: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		// The last, empty set is the CALL's own OK.
		want := []string{
			`{"emulate":true,"sets":[[[3,"pdo emulated"],[2,"go prepared"]],[[3,"ünïcödé"]],[]],"total":3}`,
			`{"emulate":false,"sets":[[[4,"pdo native"],[3,"pdo emulated"]],[[4,"ünïcödé"]],[]],"total":4}`,
		}
		if !slices.Equal(lines, want) {
			t.Errorf("PDO through Strata:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})
}
