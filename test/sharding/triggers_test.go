package sharding

import (
	"database/sql"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// triggersOn lists the triggers of blog on a cluster.
func triggersOn(t *testing.T, cluster string) string {
	t.Helper()
	return strings.Join(testenv.Strings(t, direct[cluster], "SELECT CONCAT(TRIGGER_NAME, ':', EVENT_OBJECT_TABLE) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'blog' ORDER BY 1"), ",")
}

// CREATE TRIGGER on a sharded table creates it on every shard, so each
// shard's rows get it as the one table's would, and DROP TRIGGER, which
// names no table, drops it wherever it is. Before, CREATE TRIGGER was
// refused with a message about syntax, and DROP TRIGGER went to the
// default cluster, which has no such trigger.
func TestTriggersOfShardedTables(t *testing.T) {
	strataDB(t)
	table := `trg_items: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	resetMoveTable(t, "trg_items", "CREATE TABLE IF NOT EXISTS blog.trg_items (id BIGINT PRIMARY KEY, v INT NOT NULL, note VARCHAR(20) NULL)")
	s := startOwn(t, ownConfig(t, table, ""))
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	t.Cleanup(func() {
		for _, sh := range shardNames {
			direct[sh].Exec("DROP TRIGGER IF EXISTS blog.trg_items_note")
			direct[sh].Exec("DROP TRIGGER IF EXISTS blog.trg_countries")
		}
		db.Exec("DROP TRIGGER IF EXISTS blog.trg_order_customer")
	})
	mustExec(t, db, "CREATE TRIGGER trg_items_note BEFORE INSERT ON trg_items FOR EACH ROW SET NEW.note = CONCAT('v=', NEW.v)")
	for _, sh := range shardNames {
		if got := triggersOn(t, sh); got != "trg_items_note:trg_items" {
			t.Errorf("triggers on %s: %q, want trg_items_note:trg_items", sh, got)
		}
	}
	mustExec(t, db, "INSERT INTO trg_items (id, v) VALUES (1, 10), (2, 20), (3, 30), (4, 40), (5, 50), (6, 60)")
	if got := testenv.Strings(t, db, "SELECT GROUP_CONCAT(note ORDER BY id) FROM trg_items"); got[0] != "v=10,v=20,v=30,v=40,v=50,v=60" {
		t.Errorf("notes set by the trigger on each shard: %v", got)
	}
	// A reference table's trigger is on every copy.
	mustExec(t, db, "CREATE TRIGGER trg_countries BEFORE UPDATE ON countries FOR EACH ROW SET NEW.name = NEW.name")
	for _, sh := range shardNames {
		if got := triggersOn(t, sh); !strings.Contains(got, "trg_countries:countries") {
			t.Errorf("triggers on %s: %q, want trg_countries on countries", sh, got)
		}
	}

	// Listed once each, as one server lists its triggers (a schema tool
	// reading information_schema.TRIGGERS).
	if got := strings.Join(testenv.Strings(t, db, "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'blog' ORDER BY 1"), ","); got != "trg_countries|countries,trg_items_note|trg_items" {
		t.Errorf("information_schema.TRIGGERS through Strata: %q, want each trigger once", got)
	}
	// A backup through Strata keeps them: mariadb-dump asks SHOW TRIGGERS
	// LIKE each table and SHOW CREATE TRIGGER each trigger, which name no
	// cluster.
	if got := testenv.Strings(t, db, "SHOW TRIGGERS LIKE 'trg\\_items'"); len(got) != 1 || !strings.HasPrefix(got[0], "trg_items_note|INSERT|trg_items|") {
		t.Errorf("SHOW TRIGGERS LIKE 'trg_items' = %q, want trg_items_note", got)
	}
	// SHOW TRIGGERS of the whole schema (a schema tool's list) has the
	// placed tables' triggers too, each once, ordered by table as a
	// server orders them; LIKE and WHERE filter that whole list.
	mustExec(t, db, "CREATE TRIGGER trg_order_customer BEFORE INSERT ON order_customer FOR EACH ROW SET NEW.shard = NEW.shard")
	for _, tc := range []struct{ sql, want string }{
		{"SHOW TRIGGERS", "trg_countries|countries,trg_order_customer|order_customer,trg_items_note|trg_items"},
		{"SHOW TRIGGERS FROM blog LIKE 'trg%'", "trg_items_note|trg_items"},
		{"SHOW TRIGGERS LIKE 'TRG%'", ""},
		{"SHOW TRIGGERS LIKE '%r%'", "trg_countries|countries,trg_order_customer|order_customer,trg_items_note|trg_items"},
		{"SHOW TRIGGERS WHERE `Event` = 'UPDATE' OR `Table` = 'trg_items'", "trg_countries|countries,trg_items_note|trg_items"},
	} {
		rows, err := db.Query(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		cols, _ := rows.Columns()
		listed, err := testenv.ResultStrings(rows)
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, row := range listed {
			f := strings.Split(row, "|")
			got = append(got, f[0]+"|"+f[2]) // Trigger, Table
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s through Strata = %q, want %q", tc.sql, strings.Join(got, ","), tc.want)
		}
		if want := "Trigger,Event,Table,Statement,Timing,Created,sql_mode,Definer,character_set_client,collation_connection,Database Collation"; strings.Join(cols, ",") != want {
			t.Errorf("%s columns = %q, want a server's %q", tc.sql, cols, want)
		}
	}
	mustExec(t, db, "DROP TRIGGER trg_order_customer")
	if got := testenv.Strings(t, db, "SHOW CREATE TRIGGER trg_items_note"); len(got) != 1 || !strings.Contains(got[0], "TRIGGER trg_items_note BEFORE INSERT ON trg_items") {
		t.Errorf("SHOW CREATE TRIGGER trg_items_note = %q", got)
	}
	host, port, _ := net.SplitHostPort(s.MySQLAddr())
	dump, errOut, err := runTool("mariadb-dump", "-h", host, "-P", port, "-u", "app", "--password=app", "--skip-ssl", "--single-transaction", "blog", "trg_items")
	if err != nil || !strings.Contains(dump, "TRIGGER trg_items_note BEFORE INSERT ON trg_items") || strings.Count(dump, "INSERT INTO `trg_items` VALUES") != 1 {
		t.Errorf("mariadb-dump of trg_items through Strata: %v\n%s\n%.3000s", err, errOut, dump)
	}
	explained := testenv.Strings(t, db, "EXPLAIN STRATA DROP TRIGGER trg_items_note")
	if want := "write|s0|trg_items|DROP TRIGGER trg_items_note,write|s1|trg_items|DROP TRIGGER trg_items_note,write|s2|trg_items|DROP TRIGGER trg_items_note,write|s3|trg_items|DROP TRIGGER trg_items_note"; strings.Join(explained[:len(explained)-1], ",") != want {
		t.Errorf("EXPLAIN STRATA DROP TRIGGER = %q, want it on every shard", explained)
	}
	mustExec(t, db, "DROP TRIGGER trg_items_note")
	mustExec(t, db, "DROP TRIGGER IF EXISTS blog.trg_countries")
	for _, sh := range shardNames {
		if got := triggersOn(t, sh); got != "" {
			t.Errorf("triggers on %s after DROP TRIGGER: %q", sh, got)
		}
	}
	if _, err := db.Exec("DROP TRIGGER trg_items_note"); testenv.MySQLErr(err) != 1360 {
		t.Errorf("DROP TRIGGER of a trigger no cluster has: %v, want error 1360", err)
	}
	mustExec(t, db, "DROP TRIGGER IF EXISTS trg_items_note")

	for _, tc := range []struct{ sql, want string }{
		{"CREATE TRIGGER trg_posts BEFORE INSERT ON posts FOR EACH ROW SET NEW.title = NEW.title", "a date table"},
		{"HANDLER events OPEN", "HANDLER on events"},
	} {
		if _, err := db.Exec(tc.sql); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want error 1235 naming %q", tc.sql, err, tc.want)
		}
	}
}

// A trigger reads the session's user variables: an application that
// records who changed a row sets @app_user once and has its tables'
// triggers read it. The variables live on the session's connection to
// the default cluster; Strata copies them onto a shard's connection
// before a write there, so the shard's trigger reads what one server's
// would. Before, it read NULL. The copy does not outlive the statement's
// session: another session's trigger reads its own (none, NULL).
func TestTriggersReadTheSessionsUserVariables(t *testing.T) {
	db := modTableDB(t, "trg_audit", "id INT NOT NULL PRIMARY KEY, a INT, who VARCHAR(20), changed_by VARCHAR(20)")
	got, want := testenv.Conn(t, db), singleConn(t)
	ctx := testenv.Ctx(t)
	for _, c := range []*sql.Conn{got, want} {
		for _, q := range []string{
			"DELETE FROM trg_audit",
			"DROP TRIGGER IF EXISTS trg_audit_who",
			"DROP TRIGGER IF EXISTS trg_audit_changed",
			"CREATE TRIGGER trg_audit_who BEFORE INSERT ON trg_audit FOR EACH ROW SET NEW.who = CONCAT_WS(':', @app_user, @app_role)",
			"CREATE TRIGGER trg_audit_changed BEFORE UPDATE ON trg_audit FOR EACH ROW SET NEW.changed_by = @app_user",
		} {
			mustExec(t, c, q)
		}
	}
	t.Cleanup(func() {
		for _, sh := range append([]string{"single"}, shardNames...) {
			direct[sh].Exec("DROP TRIGGER IF EXISTS blog.trg_audit_who")
			direct[sh].Exec("DROP TRIGGER IF EXISTS blog.trg_audit_changed")
		}
	})
	for _, q := range []string{
		"SET @app_user = 'ann', @app_role = 7",
		"INSERT INTO trg_audit (id, a) VALUES (1, 1)",         // one shard
		"INSERT INTO trg_audit (id, a) VALUES (2, 2), (3, 3)", // two
		"SET @app_user = 'bob', @app_role = NULL",
		"INSERT INTO trg_audit (id, a) VALUES (4, 4)",
		"UPDATE trg_audit SET a = a + 1 WHERE id IN (1, 2)",
		"SELECT @app_user := 'cy'", // assigned by a SELECT
		"UPDATE trg_audit SET a = a + 1 WHERE id = 3",
	} {
		if _, err := got.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s through Strata: %v", q, err)
		}
		mustExec(t, want, q)
	}
	// Another session, without the variables.
	other := testenv.Conn(t, db)
	mustExec(t, other, "INSERT INTO trg_audit (id, a) VALUES (5, 5), (6, 6), (7, 7), (8, 8)")
	mustExec(t, testenv.Conn(t, singleBlog), "INSERT INTO trg_audit (id, a) VALUES (5, 5), (6, 6), (7, 7), (8, 8)")
	rows := "SELECT CONCAT_WS(' ', id, a, IFNULL(who, '-'), IFNULL(changed_by, '-')) FROM trg_audit ORDER BY id"
	if g, w := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(g, w) {
		t.Errorf("rows through Strata:\n%s\non one server:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// A trigger runs where its table is and writes the tables there. On a
// sharded table, one that writes another sharded table would put rows on
// its own table's shard, not where their key places them; on a table of
// one cluster, one that names a sharded table would reach only that
// cluster's copy. Both are refused, naming the table; a shard's trigger
// that reads a reference table, which every shard holds whole, is made.
// So is one that reads its row's shard key. One that assigns it
// (BEFORE INSERT or UPDATE ... SET NEW.key) is refused: Strata placed the
// row by the key its statement gave, so the row would be stored on a
// shard that does not own its new key. Before, it was made on every
// shard, and a row inserted with entry_id 1 and stored as 2 was not
// found by WHERE entry_id = 2.
func TestTriggersThatWouldWriteElsewhereAreRefused(t *testing.T) {
	db := strataDB(t)
	ctx := testenv.Ctx(t)
	t.Cleanup(func() {
		for _, sh := range shardNames {
			direct[sh].Exec("DROP TRIGGER IF EXISTS blog.trg_reads_countries")
			for _, name := range []string{"trg_reads_key", "trg_rekeys", "trg_moves"} {
				direct[sh].Exec("DROP TRIGGER IF EXISTS blog." + name)
			}
		}
	})
	for _, c := range []struct{ sql, names string }{
		{"CREATE TRIGGER trg_copies AFTER INSERT ON entries FOR EACH ROW INSERT INTO comments (id, entry_id, body) VALUES (NEW.id, NEW.id, 'x')", "comments, another sharded table"},
		{"CREATE TRIGGER trg_clears AFTER DELETE ON profiles FOR EACH ROW DELETE FROM entries WHERE user_id = OLD.user_id", "profiles, a table of one cluster"},
		{"CREATE TRIGGER trg_rekeys BEFORE INSERT ON comments FOR EACH ROW SET NEW.entry_id = NEW.entry_id + 1", "assigns NEW.entry_id, its shard key"},
		{"CREATE TRIGGER trg_moves BEFORE UPDATE ON comments FOR EACH ROW BEGIN IF NEW.body = 'move' THEN SET NEW.body = 'moved', NEW.`Entry_ID` = 1; END IF; END", "assigns NEW.entry_id, its shard key"},
	} {
		_, err := db.ExecContext(ctx, c.sql)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), c.names) {
			t.Errorf("%s: %v, want 1235 naming %s", c.sql, err, c.names)
		}
	}
	mustExec(t, db, "CREATE TRIGGER trg_reads_countries BEFORE INSERT ON entries FOR EACH ROW SET NEW.title = IFNULL(NEW.title, (SELECT name FROM countries LIMIT 1))")
	mustExec(t, db, "CREATE TRIGGER trg_reads_key BEFORE UPDATE ON comments FOR EACH ROW BEGIN IF NEW.entry_id = 0 THEN SET NEW.body = 'none'; END IF; END")
	for _, sh := range shardNames {
		got := triggersOn(t, sh)
		if !strings.Contains(got, "trg_reads_countries:entries") || !strings.Contains(got, "trg_reads_key:comments") {
			t.Errorf("triggers on %s: %q, want trg_reads_countries on entries and trg_reads_key on comments", sh, got)
		}
		if strings.Contains(got, "trg_rekeys") || strings.Contains(got, "trg_moves") {
			t.Errorf("triggers on %s: %q, want none that assigns the shard key", sh, got)
		}
	}
}
