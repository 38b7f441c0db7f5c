package test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A client's character-set settings are replayed on every connection that
// serves it, and a later setting wins over an earlier one, as on one
// server: a character_set_results = latin1 made before SET NAMES utf8mb4
// must not come back after it on the next connection, or the client reads
// latin1 bytes where it asked for UTF-8.
func TestCharsetSettingsKeepTheirOrder(t *testing.T) {
	t.Parallel()
	read := "SELECT 'é', HEX('é'), @@character_set_client, @@character_set_results, @@collation_connection"
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"results then names", []string{"SET character_set_results = latin1", "SET NAMES utf8mb4"}},
		{"client then names", []string{"SET character_set_client = latin1", "SET NAMES utf8mb4"}},
		{"results then character set", []string{"SET character_set_results = cp1251", "SET CHARACTER SET utf8mb4"}},
		{"collation then character set", []string{"SET collation_connection = utf8mb4_bin", "SET character_set_connection = latin1"}},
		{"character set then collation", []string{"SET character_set_connection = latin1", "SET collation_connection = utf8mb4_unicode_ci"}},
		{"names then results", []string{"SET NAMES latin1", "SET character_set_results = utf8mb4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect := rowAfter(t, testenv.Conn(t, openDirect(t, env.primary, "blog")), tc.sets, read)
			// Reads go to replicas, each on whichever pooled connection
			// is free, so several sessions make the settings be replayed.
			for i := range 4 {
				conn := testenv.Conn(t, openStrata(t))
				got := rowAfter(t, conn, tc.sets, read)
				for range 3 {
					again := testenv.Strings(t, conn, read)
					if fmt.Sprint(again) != fmt.Sprint(got) {
						t.Fatalf("session %d: %q reads %q, then %q", i, read, got, again)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(expect) {
					t.Fatalf("session %d after %q: %q reads %q through Strata, %q on one server", i, tc.sets, read, got, expect)
				}
			}
		})
	}
}

// rowAfter runs sets on conn, then query, and returns its rows.
func rowAfter(t *testing.T, conn *sql.Conn, sets []string, query string) []string {
	t.Helper()
	for _, s := range sets {
		if _, err := conn.ExecContext(ctxFor(t), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return testenv.Strings(t, conn, query)
}
