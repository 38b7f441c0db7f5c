package sharding

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/test/testenv"
)

// keyTypes is what GET /api/tables says of each sharded table's key type.
func keyTypes(t *testing.T, admin string) map[string]string {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/api/tables")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tables []struct {
		Name    string
		KeyType string `json:"key_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tables); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tb := range tables {
		if tb.KeyType != "" {
			out[tb.Name] = tb.KeyType
		}
	}
	return out
}

// Strata learns each shard key's column type from a shard, and routes a
// quoted number as MariaDB compares it with that column: '09100000077'
// is the id 9100000077 of entries (BIGINT), '0042' is the username
// '0042' of members (VARCHAR). Before, neither could be routed: reads
// scattered and INSERTs were refused.
func TestQuotedNumbersRouteByTheKeyColumnType(t *testing.T) {
	db := strataDB(t)
	want := map[string]string{"entries": "integer", "comments": "integer", "members": "text", "posts": "other", "orders": "integer"}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := keyTypes(t, strataAdmin)
		ok := true
		for name, kt := range want {
			ok = ok && got[name] == kt
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/tables key types %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cleanup(t, "entries", "id = 9100000077")
	cleanup(t, "members", "username = '0042'")
	mustExec(t, db, "INSERT INTO entries (id, user_id, title, status) VALUES ('09100000077', 1, 'quoted id', 'draft')")
	mustExec(t, db, "INSERT INTO members (username, country, age) VALUES ('0042', 'fr', 42)")
	if got, owner := holders(t, "entries", "id = 9100000077"), ds.tables["entries"].ownerOfKey("9100000077"); !slices.Equal(got, []string{owner}) {
		t.Errorf("entries id 9100000077 is on %v, want only %s", got, owner)
	}
	if got, owner := holders(t, "members", "username = '0042'"), ds.tables["members"].ownerOfKey("'0042'"); !slices.Equal(got, []string{owner}) {
		t.Errorf("members '0042' is on %v, want only %s", got, owner)
	}
	for q, want := range map[string]string{
		"SELECT title FROM entries WHERE id = '09100000077'": "quoted id",
		"SELECT title FROM entries WHERE id = 9100000077":    "quoted id",
		"SELECT age FROM members WHERE username = '0042'":    "42",
	} {
		if got := testenv.Strings(t, db, q); !slices.Equal(got, []string{want}) {
			t.Errorf("%s = %v, want %s", q, got, want)
		}
		// One shard answers: the plan routes by the key.
		if p := testenv.Strings(t, db, "EXPLAIN STRATA "+q); len(p) < 2 || countPrefix(p, "route") != 1 {
			t.Errorf("EXPLAIN STRATA %s = %v, want one route", q, p)
		}
	}
}

func countPrefix(rows []string, prefix string) int {
	n := 0
	for _, r := range rows {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// GET /api/tables shows a text key's collation, and flags one that
// matches spellings Strata places apart ('Zoe' and 'zoe'): members'
// username has the server's default, case-insensitive collation; a lookup
// key is compared by MariaDB itself, and an integer key has none.
func TestTablesShowTheKeyCollation(t *testing.T) {
	strataDB(t)
	var collation string
	if err := direct["s0"].QueryRow("SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME = 'members' AND COLUMN_NAME = 'username'").Scan(&collation); err != nil {
		t.Fatal(err)
	}
	type keyInfo struct {
		Name      string
		Collation string `json:"key_collation"`
		FoldsCase bool   `json:"key_folds_case"`
		KeyType   string `json:"key_type"`
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var tables []keyInfo
		resp, err := http.Get("http://" + strataAdmin + "/api/tables")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&tables)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]keyInfo{}
		for _, tb := range tables {
			got[tb.Name] = tb
		}
		if got["members"].KeyType == "text" {
			if m := got["members"]; m.Collation != collation || !m.FoldsCase {
				t.Errorf("members: %+v, want collation %s flagged as folding case", m, collation)
			}
			if e := got["entries"]; e.Collation != "" || e.FoldsCase {
				t.Errorf("entries (integer key): %+v, want no collation", e)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members' key type never learned: %+v", got["members"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A unique key without the shard key is enforced by each shard on its own
// rows only: Strata reads each sharded table's unique keys from a shard
// and GET /api/tables lists those (comments, sharded by entry_id, with
// PRIMARY KEY (id)); a key that holds the shard key (entries' id, members'
// username) is not listed.
func TestUniqueKeysWithoutTheShardKeyAreListed(t *testing.T) {
	strataDB(t)
	want := map[string][]string{"comments": {"PRIMARY (id)"}, "entry_likes": {"PRIMARY (id)"}, "posts": {"PRIMARY (id)"}, "orders": {"PRIMARY (id)"}, "entries": nil, "members": nil, "events": nil}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + strataAdmin + "/api/tables")
		if err != nil {
			t.Fatal(err)
		}
		var tables []struct {
			Name    string
			KeyType string   `json:"key_type"`
			Local   []string `json:"shard_local_unique_keys"`
		}
		err = json.NewDecoder(resp.Body).Decode(&tables)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		learned := 0
		for _, tb := range tables {
			if _, ok := want[tb.Name]; ok && tb.KeyType != "" && tb.KeyType != "unknown" {
				got[tb.Name] = tb.Local
				learned++
			}
		}
		if learned == len(want) {
			for name, keys := range want {
				if !slices.Equal(got[name], keys) {
					t.Errorf("%s: shard-local unique keys %q, want %q", name, got[name], keys)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("unique keys not learned: %v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A table whose shards number an AUTO_INCREMENT id on their own, where a
// unique key without the shard key holds it, would get the same id from
// two shards: an INSERT (or LOAD DATA) that leaves the id to the shards is
// refused with what to do, while one that gives the ids runs, as does one
// into a table whose key holds the shard key too (ids per shard by design).
func TestIDsTwoShardsWouldRepeatAreRefused(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.auto_notes (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, entry_id BIGINT NOT NULL, body VARCHAR(40))", "blog.auto_notes", shardNames...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.auto_lines (entry_id BIGINT NOT NULL, n BIGINT NOT NULL AUTO_INCREMENT, body VARCHAR(40), PRIMARY KEY (entry_id, n), KEY (n))", "blog.auto_lines", shardNames...)
	s := startOwn(t, ownConfig(t, "auto_notes: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2, s3]}\n  auto_lines: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	for deadline := time.Now().Add(15 * time.Second); s.Env.Sharding.Layout().Table("auto_notes").KeyType == shard.KeyTypeUnknown; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the key type of auto_notes was not learned within 15 s")
		}
	}
	var tables []struct {
		Name          string
		AutoIncrement string `json:"shard_local_auto_increment"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/tables", &tables)
	shown := map[string]string{}
	for _, tb := range tables {
		shown[tb.Name] = tb.AutoIncrement
	}
	if shown["auto_notes"] != "id" || shown["auto_lines"] != "" || shown["entries"] != "" {
		t.Errorf("GET /api/tables shard_local_auto_increment: auto_notes %q, auto_lines %q, entries %q; want id, none, none", shown["auto_notes"], shown["auto_lines"], shown["entries"])
	}
	db := openStrata(t, s.MySQLAddr())
	ctx := testenv.Ctx(t)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO auto_notes (entry_id, body) VALUES (1, 'a'), (2, 'b')", nil},
		{"INSERT INTO auto_notes (id, entry_id, body) VALUES (NULL, 1, 'a')", nil},
		{"INSERT INTO auto_notes (id, entry_id, body) VALUES (?, ?, 'a')", []any{nil, 3}},
	} {
		_, err := db.ExecContext(ctx, q.sql, q.args...)
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "leaves id to each shard's AUTO_INCREMENT") || !strings.Contains(err.Error(), "sequence") {
			t.Errorf("%s %v: %v, want error 1235 saying the shards would repeat ids and to configure a sequence", q.sql, q.args, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM auto_notes").Scan(&n); err != nil || n != 0 {
		t.Fatalf("auto_notes holds %d rows (%v) after the refused INSERTs, want 0", n, err)
	}
	mustExec(t, db, "INSERT INTO auto_notes (id, entry_id, body) VALUES (1, 1, 'a'), (2, 2, 'b')")
	if _, err := db.ExecContext(ctx, "INSERT INTO auto_notes (id, entry_id, body) VALUES (?, ?, 'c')", 3, 3); err != nil {
		t.Errorf("a prepared INSERT that gives the id: %v", err)
	}
	mustExec(t, db, "INSERT INTO auto_lines (entry_id, body) VALUES (1, 'a'), (2, 'b'), (1, 'c')")
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM auto_lines WHERE entry_id = 1").Scan(&n); err != nil || n != 2 {
		t.Errorf("auto_lines of entry 1: %d rows (%v), want 2", n, err)
	}
	mysql.RegisterReaderHandler("auto_notes", func() io.Reader { return strings.NewReader("4,x\n5,y\n") })
	defer mysql.DeregisterReaderHandler("auto_notes")
	if _, err := db.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::auto_notes' INTO TABLE auto_notes FIELDS TERMINATED BY ',' (entry_id, body)"); testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "AUTO_INCREMENT") {
		t.Errorf("LOAD DATA without the ids: %v, want error 1235 naming AUTO_INCREMENT", err)
	}
}

// A table created after Strata started is learned before its first
// write, not at the next periodic read, which may be a minute away:
// one created through Strata right after its CREATE, one created on the
// shards directly when a write first names it. Before, an INSERT right
// after the CREATE left the AUTO_INCREMENT id to each shard (id 1 on
// two shards), which Strata refuses once it knows the column.
func TestATableCreatedAfterStartIsLearnedBeforeItsFirstWrite(t *testing.T) {
	strataDB(t)
	for _, name := range []string{"late_notes", "late_lines"} {
		for _, c := range shardNames {
			if _, err := direct[c].Exec("DROP TABLE IF EXISTS blog." + name); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { direct[c].Exec("DROP TABLE IF EXISTS blog." + name) })
		}
	}
	s := startOwn(t, ownConfig(t, "late_notes: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2, s3]}\n  late_lines: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	db := openStrata(t, s.MySQLAddr())
	ctx := testenv.Ctx(t)
	// The periodic read tries at start, finds neither table, and tries
	// again 2 s later: the statements below come between.
	time.Sleep(time.Second)
	const ddl = " (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, entry_id BIGINT NOT NULL, body VARCHAR(40))"
	mustExec(t, db, "CREATE TABLE late_notes"+ddl)
	if got := keyTypes(t, s.AdminAddr())["late_notes"]; got != "integer" {
		t.Errorf("right after CREATE TABLE through Strata, GET /api/tables says late_notes has key type %q, want integer", got)
	}
	for _, c := range shardNames {
		if _, err := direct[c].Exec("CREATE TABLE blog.late_lines" + ddl); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"late_notes", "late_lines"} {
		_, err := db.ExecContext(ctx, "INSERT INTO "+table+" (entry_id, body) VALUES (1, 'a'), (2, 'b')")
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "leaves id to each shard's AUTO_INCREMENT") {
			t.Errorf("the first INSERT into %s, created after start: %v, want error 1235 saying the shards would repeat ids", table, err)
		}
		if ids := testenv.Strings(t, db, "SELECT CONCAT(id, ' ', entry_id) FROM "+table+" ORDER BY entry_id"); len(ids) != 0 {
			t.Errorf("%s holds %q after the first INSERT, want no rows", table, ids)
		}
	}
}

// MariaDB reads a quoted integer key after ASCII white space only: '\t3\n'
// is 3, but after a no-break space or an ideographic space the text is
// not a number and compares as 0. Strata routed '\u00a03' as 3, to a
// shard without the row of key 0 that one server finds.
func TestWhiteSpaceAroundAQuotedKeyReadsAsOneServer(t *testing.T) {
	got, want := modTable(t, "ws_keys", "id INT NOT NULL PRIMARY KEY, note VARCHAR(10)")
	for _, c := range []*sql.Conn{got, want} {
		mustExec(t, c, "DELETE FROM ws_keys")
		mustExec(t, c, "INSERT INTO ws_keys (id, note) VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three')")
	}
	for _, key := range []string{"\t3\n", " 3 ", "\u00a03", "3\u00a0", "\u30003", "\v3\f"} {
		q := "SELECT id, note FROM ws_keys WHERE id = '" + key + "' ORDER BY id"
		if g, w := testenv.Strings(t, got, q), testenv.Strings(t, want, q); !slices.Equal(g, w) {
			t.Errorf("%q through Strata: %v, on one server: %v", q, g, w)
		}
	}
}
