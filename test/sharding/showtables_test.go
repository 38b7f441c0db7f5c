package sharding

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// SHOW TABLES lists the tables a client can query through Strata: the
// default cluster's and every table `tables:` places elsewhere, as one
// server holding them all would; SHOW TABLE STATUS LIKE a placed table
// is that table's, from where its rows are.
func TestShowTablesListsPlacedTables(t *testing.T) {
	conn := testenv.Conn(t, strataDB(t))
	all := testenv.Strings(t, conn, "SHOW TABLES")
	for _, want := range []string{"order_customer", "users", "profiles", "comments", "entries", "events", "posts", "members", "countries"} {
		if !slices.Contains(all, want) {
			t.Errorf("SHOW TABLES = %q: %s is missing", all, want)
		}
	}
	if !slices.IsSorted(all) {
		t.Errorf("SHOW TABLES = %q: not sorted by name", all)
	}
	if got := testenv.Strings(t, conn, "SHOW FULL TABLES FROM blog LIKE 'e%'"); !slices.Equal(got, []string{"entries|BASE TABLE", "entry_likes|BASE TABLE", "events|BASE TABLE"}) {
		t.Errorf("SHOW FULL TABLES LIKE 'e%%' = %q", got)
	}
	status := testenv.Strings(t, conn, "SHOW TABLE STATUS LIKE 'comments'")
	if len(status) != 1 || !strings.HasPrefix(status[0], "comments|InnoDB|") {
		t.Errorf("SHOW TABLE STATUS LIKE 'comments' = %q, want the table's row", status)
	}
	// WHERE covers the placed tables too, not only the
	// default cluster's (before, they listed only the latter).
	for _, tc := range []struct{ query, want string }{
		{"SHOW TABLES WHERE Tables_in_blog LIKE 'e%'", "entries entry_likes events"},
		{"SHOW FULL TABLES FROM blog WHERE Tables_in_blog IN ('events', 'users', 'nosuch') AND Table_type = 'BASE TABLE'", "events|BASE TABLE users|BASE TABLE"},
		{"SHOW TABLES WHERE Tables_in_blog REGEXP '^(po|co)' AND Tables_in_blog <> 'comments'", "countries posts"},
	} {
		if got := strings.Join(testenv.Strings(t, conn, tc.query), " "); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.query, got, tc.want)
		}
	}
	notE := testenv.Strings(t, conn, "SHOW TABLES WHERE Tables_in_blog NOT LIKE 'e%'")
	for _, name := range all {
		if slices.Contains(notE, name) == strings.HasPrefix(name, "e") {
			t.Errorf("SHOW TABLES WHERE ... NOT LIKE 'e%%' = %q: wrong about %s", notE, name)
		}
	}
	if _, err := conn.ExecContext(testenv.Ctx(t), "SHOW TABLES WHERE nosuch = 1"); testenv.MySQLErr(err) != 1054 {
		t.Errorf("SHOW TABLES WHERE nosuch = 1: %v, want error 1054 as from the server", err)
	}
	if got := testenv.Strings(t, conn, "SHOW TABLES FROM mysql LIKE 'comments'"); len(got) != 0 {
		t.Errorf("SHOW TABLES FROM mysql lists %q: placed tables are the application's", got)
	}
}

// Schema tools look a table up in information_schema before they touch
// it (Laravel's Schema::hasTable, Doctrine, migration runners), often
// inside EXISTS and with the name bound to a placeholder. Through Strata
// the lookup of a placed table runs where the table is, so it is found
// although the default cluster lacks it.
func TestSchemaToolsFindPlacedTablesInInformationSchema(t *testing.T) {
	db := strataDB(t)
	hasTable := "select exists (select 1 from information_schema.tables where table_schema = ? and table_name = ? and table_type in ('BASE TABLE', 'SYSTEM VERSIONED')) as `exists`"
	for _, tc := range []struct {
		query string
		args  []any
		want  string
	}{
		{"select exists (select 1 from information_schema.tables where table_schema = 'blog' and table_name = 'events' and table_type in ('BASE TABLE', 'SYSTEM VERSIONED')) as `exists`", nil, "1"},
		{hasTable, []any{"blog", "events"}, "1"},         // prepared: the bound name
		{hasTable, []any{"blog", "users"}, "1"},          // a table group's table
		{hasTable, []any{"blog", "nosuch"}, "0"},         // no such table anywhere
		{hasTable, []any{"blog", "order_customer"}, "1"}, // the default cluster's own
		{"select count(*) from information_schema.columns where table_schema = ? and table_name = ?", []any{"blog", "comments"}, ""},
	} {
		got := testenv.Strings(t, db, tc.query, tc.args...)
		if tc.want == "" {
			if len(got) != 1 || got[0] == "0" {
				t.Errorf("%s %v: %q, want the table's columns counted", tc.query, tc.args, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s %v: %q, want %s", tc.query, tc.args, got, tc.want)
		}
	}
}
