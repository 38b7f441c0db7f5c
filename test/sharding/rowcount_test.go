package sharding

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// ROW_COUNT() after a write Strata split over several shards is the
// statement's count — the sum it reported to the client — not one
// shard's, nor the 0 of a connection that ran nothing: applications read
// it to see whether their UPDATE or DELETE found rows.
func TestRowCountOfAWriteOverShards(t *testing.T) {
	conn := testenv.Conn(t, strataDB(t))
	cleanup(t, "members", "username LIKE '%\\_rc'")
	steps := []struct {
		write, read string
		want        []string
	}{
		{"INSERT INTO members (username, nick) VALUES ('aa_rc', 'a'), ('hh_rc', 'h'), ('pp_rc', 'p'), ('zz_rc', 'z')", "SELECT ROW_COUNT()", []string{"4"}},
		{"UPDATE members SET nick = 'changed' WHERE username LIKE '%\\_rc' AND username <> 'zz_rc'", "SELECT ROW_COUNT() AS changed", []string{"3"}},
		{"UPDATE members SET nick = 'again' WHERE username LIKE '%\\_rc'", "SELECT ROW_COUNT() * 10 AS x, 'y'", []string{"40|y"}},
		{"DELETE FROM members WHERE username LIKE '%\\_rc'", "select row_count()", []string{"4"}},
	}
	for _, st := range steps {
		res, err := conn.ExecContext(testenv.Ctx(t), st.write)
		if err != nil {
			t.Fatalf("%s: %v", st.write, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			t.Fatalf("%s: no rows affected", st.write)
		}
		if got := testenv.Strings(t, conn, st.read); !slices.Equal(got, st.want) {
			t.Fatalf("%s after %s = %q, want %q", st.read, st.write, got, st.want)
		}
	}
	// A field that is only the call keeps its name, as on one server:
	// PHP's fetch(PDO::FETCH_ASSOC) keys it "ROW_COUNT()". Before, the
	// column was named by the value Strata wrote in its place.
	mustExec(t, conn, "INSERT INTO members (username, nick) VALUES ('bb_rc', 'b'), ('qq_rc', 'q')")
	res, err := runQuery(testenv.Ctx(t), conn, "SELECT ROW_COUNT(), 'y'")
	if err != nil || !slices.Equal(res.cols, []string{"ROW_COUNT()", "y"}) || res.rows[0][0] != "2" {
		t.Errorf("SELECT ROW_COUNT(), 'y' after an INSERT over two shards: %+v, %v; want columns ROW_COUNT() and y, 2", res, err)
	}
	mustExec(t, conn, "DELETE FROM members WHERE username LIKE '%\\_rc'")
	if got := holders(t, "members", "username LIKE '%\\_rc'"); len(got) != 0 {
		t.Fatalf("test rows left on %v", got)
	}
	// After a SELECT MariaDB's ROW_COUNT() is -1, after one Strata merged
	// from several shards too (before, 0: a shard connection's count
	// after Strata's own statements there).
	for _, read := range []string{"SELECT ROW_COUNT()", "SELECT ROW_COUNT() + 1 AS next"} {
		testenv.Strings(t, conn, "SELECT COUNT(*), MAX(nick) FROM members")
		want := map[bool]string{true: "-1", false: "0"}[read == "SELECT ROW_COUNT()"]
		if got := testenv.Strings(t, conn, read); !slices.Equal(got, []string{want}) {
			t.Errorf("%s after a SELECT over every shard = %q, want %s", read, got, want)
		}
	}
}
