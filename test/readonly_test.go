package test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A client asks @@read_only before it writes (MediaWiki turns read-only on
// a 1): through Strata it talks to a server that takes writes, so the
// answer is the primary's, not the replica's that serves its reads.
func TestReadOnlyIsThePrimarys(t *testing.T) {
	t.Parallel()
	for _, r := range env.replicas {
		if got := queryStrings(t, openDirect(t, r, ""), "SELECT @@GLOBAL.read_only"); len(got) != 1 || got[0] != "1" {
			t.Fatalf("replica %s: read_only = %v; the test needs read-only replicas", r.Addr, got)
		}
	}
	db := openStrata(t)
	for _, tc := range []struct{ query, want string }{
		{"SELECT @@GLOBAL.read_only AS Value", "0"},
		{"SELECT @@read_only", "0"},
		{"SHOW GLOBAL VARIABLES LIKE 'read_only'", "read_only|OFF"},
		{"SHOW VARIABLES LIKE 'read\\_only'", "read_only|OFF"},
	} {
		for i := 0; i < 4; i++ { // reads would spread over both replicas
			if got := queryStrings(t, db, tc.query); len(got) != 1 || got[0] != tc.want {
				t.Fatalf("%s = %v, want %s (the primary's)", tc.query, got, tc.want)
			}
		}
	}
}

// A client that waits for its writes on a replica reads the binary log's
// position after writing (MASTER_GTID_WAIT(pos) then runs where its reads
// go), and an operator setting up a replica reads it too: through Strata
// both get the primary's, the log the writes went to, not the position a
// replica that serves reads has reached.
func TestBinlogPositionIsThePrimarys(t *testing.T) {
	t.Parallel()
	db := openStrata(t, "multiStatements=true")
	primaryID := queryStrings(t, openDirect(t, env.primary, ""), "SELECT @@server_id")
	for _, query := range []string{
		"SELECT @@gtid_binlog_pos, @@server_id",
		"SELECT @@GLOBAL.gtid_current_pos, @@server_id",
		"SELECT @@gtid_binlog_state, @@server_id",
		"SHOW GLOBAL VARIABLES LIKE 'gtid_binlog_pos'; SELECT @@server_id",
		"SHOW MASTER STATUS; SELECT @@server_id",
	} {
		for i := 0; i < 4; i++ { // reads would spread over both replicas
			if id := lastServerID(t, db, query); id != primaryID[0] {
				t.Fatalf("%s answered by server_id %s, want the primary's %s", query, id, primaryID[0])
			}
		}
	}
}

// lastServerID is the last column of the last row of query's last result.
func lastServerID(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	rows, err := db.QueryContext(ctxFor(t), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var last []string
	for {
		got, err := testenv.ResultStrings(rows)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		last = got
		if !rows.NextResultSet() {
			break
		}
	}
	if len(last) == 0 {
		t.Fatalf("%s: no rows", query)
	}
	cols := strings.Split(last[len(last)-1], "|")
	return cols[len(cols)-1]
}
