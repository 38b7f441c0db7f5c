package sharding

import (
	"slices"
	"strconv"
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
	// A server whose table names keep their case (Linux's default)
	// matches a SHOW pattern with case.
	if got := testenv.Strings(t, conn, "SHOW FULL TABLES FROM blog LIKE 'E%'"); len(got) != 0 {
		t.Errorf("SHOW FULL TABLES LIKE 'E%%' = %q, want none, as from one server", got)
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

// A schema's table list read from information_schema.TABLES with no table
// named (Laravel's Schema::getTables, which its migrate:fresh drops
// tables by; Doctrine's listTableNames and its table details, joined with
// another information_schema table) lists the placed tables too, once
// each, a sharded table's figures summed over its shards as in SHOW TABLE
// STATUS, and no period table. Before, it listed the default cluster's
// tables only.
func TestSchemaListingsIncludePlacedTables(t *testing.T) {
	conn := testenv.Conn(t, strataDB(t))
	// The tables SHOW TABLES lists through Strata, in the order a server
	// sorts information_schema's table names by (utf8mb3_general_ci:
	// orders before order_customer).
	shown := testenv.Strings(t, conn, "SHOW TABLES")
	all := testenv.Strings(t, singleBlog, "SELECT n FROM (SELECT '"+strings.Join(shown, "' AS n UNION ALL SELECT '")+"') AS t ORDER BY CONVERT(n USING utf8mb3) COLLATE utf8mb3_general_ci")
	laravel := testenv.Strings(t, conn, "select table_name as `name`, (data_length + index_length) as `size`, table_comment as `comment`, engine as `engine`, table_collation as `collation` "+
		"from information_schema.tables where table_schema = 'blog' and table_type in ('BASE TABLE', 'SYSTEM VERSIONED') order by table_name")
	var names []string
	for _, r := range laravel {
		names = append(names, strings.SplitN(r, "|", 2)[0])
	}
	if !slices.Equal(names, all) {
		t.Errorf("Laravel's getTables lists %q, SHOW TABLES %q", names, all)
	}
	doctrine := testenv.Strings(t, conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'blog' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
	if !slices.Equal(doctrine, all) {
		t.Errorf("Doctrine's listTableNames lists %q, SHOW TABLES %q", doctrine, all)
	}
	// The same prepared, the schema bound (Doctrine DBAL 4, native prepares).
	prepared := testenv.Strings(t, conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", "blog")
	if !slices.Equal(prepared, all) {
		t.Errorf("the prepared listing lists %q, SHOW TABLES %q", prepared, all)
	}
	details := testenv.Strings(t, conn, "SELECT t.TABLE_NAME, ccsa.CHARACTER_SET_NAME FROM information_schema.TABLES t "+
		"INNER JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY ccsa ON ccsa.COLLATION_NAME = t.TABLE_COLLATION "+
		"WHERE t.TABLE_TYPE = 'BASE TABLE' AND t.TABLE_SCHEMA = 'blog' ORDER BY t.TABLE_NAME")
	for _, want := range []string{"events|utf8mb4", "posts|utf8mb4", "users|utf8mb4", "countries|utf8mb4"} {
		if !slices.Contains(details, want) {
			t.Errorf("Doctrine's table details (a join of information_schema tables) = %q: no %s", details, want)
		}
	}
	if got := testenv.Strings(t, conn, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'blog'"); got[0] != strconv.Itoa(len(all)) {
		t.Errorf("COUNT(*) of blog's tables = %s, SHOW TABLES lists %d", got[0], len(all))
	}
	if got := testenv.Strings(t, conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'blog' AND table_name LIKE 'posts\\_%'"); len(got) != 0 {
		t.Errorf("period tables listed: %q", got)
	}
	status := statusRows(t, conn, "SHOW TABLE STATUS")
	for _, table := range []string{"events", "posts", "comments"} {
		got := testenv.Strings(t, conn, "SELECT table_rows, data_length FROM information_schema.tables WHERE table_schema = 'blog' AND table_name LIKE '"+table+"'")
		if want := status[table]["Rows"] + "|" + status[table]["Data_length"]; len(got) != 1 || got[0] != want {
			t.Errorf("%s's rows and data length: %q, SHOW TABLE STATUS says %s (summed over the shards)", table, got, want)
		}
	}
	// A table named (as tools ask for one table's row estimate): its
	// figures summed too, in text and prepared statements. Before, one
	// shard's.
	for _, table := range []string{"events", "comments"} {
		want := status[table]["Rows"] + "|" + status[table]["Data_length"]
		text := testenv.Strings(t, conn, "SELECT table_rows, data_length FROM information_schema.tables WHERE table_schema = 'blog' AND table_name = '"+table+"'")
		prepared := testenv.Strings(t, conn, "SELECT table_rows, data_length FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", "blog", table)
		if !slices.Equal(text, []string{want}) || !slices.Equal(prepared, []string{want}) {
			t.Errorf("%s named: rows and data length %q, prepared %q; SHOW TABLE STATUS says %s (summed over the shards)", table, text, prepared, want)
		}
	}
	if got := testenv.Strings(t, conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'blog' AND table_name IN ('events', 'order_customer', 'nosuch') ORDER BY 1"); !slices.Equal(got, []string{"events", "order_customer"}) {
		t.Errorf("IN list of names: %q", got)
	}
	// Doctrine's listTables reads every column of the schema, joined
	// with TABLES: each placed table's columns come once, from a shard.
	columns := map[string][]string{}
	for _, r := range testenv.Strings(t, conn, "SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.COLUMNS c INNER JOIN information_schema.TABLES t ON t.TABLE_NAME = c.TABLE_NAME "+
		"WHERE c.TABLE_SCHEMA = 'blog' AND t.TABLE_SCHEMA = 'blog' AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION") {
		table, column, _ := strings.Cut(r, "|")
		columns[table] = append(columns[table], column)
	}
	for table, cluster := range map[string]string{"events": "s1", "posts": "s0", "users": "accounts", "countries": "s2", "order_customer": "main"} {
		if got, want := strings.Join(columns[table], ","), columnsOn(t, cluster, table); got != want {
			t.Errorf("the schema's columns of %s: %s, want %s (as on %s)", table, got, want, cluster)
		}
	}
	if len(columns) != len(all) {
		t.Errorf("the schema's columns cover %d tables, SHOW TABLES lists %d", len(columns), len(all))
	}
	// Indexes (STATISTICS) likewise.
	primaries := testenv.Strings(t, conn, "SELECT TABLE_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'blog' AND INDEX_NAME = 'PRIMARY' AND SEQ_IN_INDEX = 1 ORDER BY TABLE_NAME")
	for _, want := range []string{"comments", "events", "posts", "users"} {
		if n := len(slices.DeleteFunc(slices.Clone(primaries), func(s string) bool { return s != want })); n != 1 {
			t.Errorf("the schema's primary keys %q list %s %d times, want once", primaries, want, n)
		}
	}
	if got := testenv.Strings(t, conn, "EXPLAIN STRATA SELECT table_name FROM information_schema.tables WHERE table_schema = 'blog'"); len(got) != 2 || !strings.Contains(got[0], "each placed table's where it is") {
		t.Errorf("EXPLAIN STRATA of a listing = %q", got)
	}
	if _, err := conn.ExecContext(testenv.Ctx(t), "SELECT nosuch FROM information_schema.tables WHERE table_schema = 'blog'"); testenv.MySQLErr(err) != 1054 {
		t.Errorf("an unknown column: %v, want error 1054 as from the server", err)
	}
}
