package sharding

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/test/testenv"
)

// A shard key the column cannot hold as written (an integer past its
// type, a text longer than the column) is stored by MariaDB otherwise:
// as the type's bound, or cut short. It does so with a warning under a
// non-strict sql_mode, INSERT IGNORE and LOAD DATA LOCAL, and cuts
// trailing spaces in every mode. Strata places such a row by the key the
// column stores, so it answers as one server and a read by the stored key
// finds the row; a strict sql_mode's error is the shard's own. Before,
// the row went to the shard of the key as written, where a read by its
// key does not look.
func TestKeysArePlacedAsTheColumnStoresThem(t *testing.T) {
	strataDB(t)
	servers := append([]string{"single"}, shardNames...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.kl_nums (id INT NOT NULL PRIMARY KEY, k TINYINT NOT NULL, v VARCHAR(20) NOT NULL)", "blog.kl_nums", servers...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.kl_tags (k VARCHAR(4) NOT NULL, v VARCHAR(20) NOT NULL)", "blog.kl_tags", servers...)
	s := startOwn(t, ownConfig(t, "kl_nums: {shard_key: k, method: modulo, shards: [s0, s1, s2, s3]}\n"+
		`  kl_tags: {shard_key: k, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`, "transactions: {mode: twopc}\n"))
	testenv.Eventually(t, "the key columns of kl_nums and kl_tags are learned", func() bool {
		l := s.Env.Sharding.Layout()
		return l.Table("kl_nums").KeyLimit.Integer && l.Table("kl_tags").KeyLimit.Length == 4
	})
	var tables []struct {
		Name     string `json:"name"`
		KeyHolds string `json:"key_holds"`
	}
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/tables", &tables)
	holds := map[string]string{}
	for _, tb := range tables {
		holds[tb.Name] = tb.KeyHolds
	}
	if holds["kl_nums"] != "8-bit signed integer" || holds["kl_tags"] != "4 characters" {
		t.Errorf("GET /api/tables says the keys hold %q and %q, want an 8-bit signed integer and 4 characters", holds["kl_nums"], holds["kl_tags"])
	}
	// The keys below are placed otherwise as written than as stored.
	tags := s.Env.Sharding.Layout().Table("kl_tags")
	shardOf := func(t0 *shard.Table, v shard.Value) string {
		sh, err := t0.Method.ShardFor(v)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	long := ""
	for i := 0; long == ""; i++ {
		if c := fmt.Sprint("wxyz", i); shardOf(tags, shard.String(c)) != shardOf(tags, shard.String("wxyz")) {
			long = c
		}
	}
	spaced := "abc     " // stored as 'abc '
	got := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	want := singleConn(t)
	ctx := testenv.Ctx(t)
	both := func(q string, args ...any) {
		t.Helper()
		gotRes, gotErr := execIn(ctx, got, q, len(args) > 0, args...)
		wantRes, wantErr := execIn(ctx, want, q, len(args) > 0, args...)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("%s %v: %s", q, args, msg)
		}
		if gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Errorf("%s %v: Strata says %v, one server %v", q, args, gotErr, wantErr)
		}
	}
	nums := "kl_nums (id, k, v) VALUES "
	for _, step := range []struct {
		mode string
		sql  string
		args []any
	}{
		{"", "INSERT INTO " + nums + "(1, 128, 'past'), (2, 5, 'in'), (3, -130, 'below')", nil},
		{"", "INSERT INTO " + nums + "(4, ?, 'bound')", []any{"300"}},
		{"", "INSERT INTO kl_tags (k, v) VALUES ('" + long + "', 'cut')", nil},
		{"", "INSERT INTO kl_tags (k, v) VALUES (?, 'bound cut')", []any{long + "q"}},
		{"DEFAULT", "INSERT INTO " + nums + "(5, 129, 'strict')", nil},              // 1264
		{"DEFAULT", "INSERT INTO kl_tags (k, v) VALUES ('abcdefg', 'strict')", nil}, // 1406
		{"DEFAULT", "INSERT IGNORE INTO " + nums + "(6, 1000, 'ignored')", nil},
		{"DEFAULT", "INSERT INTO kl_tags (k, v) VALUES ('" + spaced + "', 'spaces')", nil}, // cut in any mode
		{"DEFAULT", "REPLACE INTO kl_tags (k, v) VALUES ('" + spaced + " ', 'replaced')", nil},
		{"", "UPDATE kl_nums SET k = 200 WHERE v = 'in'", nil}, // moved to the shard of 127
	} {
		both("SET SESSION sql_mode = " + map[string]string{"": "''", "DEFAULT": "DEFAULT"}[step.mode])
		both(step.sql, step.args...)
	}
	loads := map[string]string{
		"kl_nums": "7\t77\tloaded\n10\t200\tloaded past\n8\t-99999999999999999999\tloaded low\n9\t99999999999999999999\tloaded high\n",
		"kl_tags": long + "\tloaded\n" + spaced + "\tloaded\n",
	}
	for _, table := range []string{"kl_nums", "kl_tags"} {
		both("LOAD DATA LOCAL INFILE '" + registerFile(t, "keylimit_"+table, loads[table]) + "' INTO TABLE " + table + map[string]string{"kl_nums": " (id, k, v)", "kl_tags": ""}[table])
		rows := "SELECT CONCAT_WS(' ', HEX(k), v) FROM " + table + " ORDER BY 1"
		if g, w := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); !slices.Equal(g, w) {
			t.Fatalf("%s through Strata:\n%s\non one server:\n%s", table, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	checkKeysOnTheirShards(t, ctx, got, want, "kl_nums", "the writes")
	checkKeysOnTheirShards(t, ctx, got, want, "kl_tags", "the writes")
}

// A text key with trailing spaces is one value with the key without them
// to MariaDB's PAD SPACE collations (utf8mb4_bin too), and a CHAR column
// stores it without them. Strata places such a key without its trailing
// spaces, so a read, an update or a duplicate of either spelling meets
// the row, as on one server. Before, 'name ' and 'name' hashed apart: the
// read found nothing and the duplicate was inserted beside the row.
func TestTrailingSpacesOfATextKeyMeetTheRow(t *testing.T) {
	strataDB(t)
	servers := append([]string{"single"}, shardNames...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.kl_names (k VARCHAR(20) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, v INT NOT NULL)", "blog.kl_names", servers...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.kl_codes (k CHAR(8) NOT NULL PRIMARY KEY, v INT NOT NULL)", "blog.kl_codes", servers...)
	placement := `method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	s := startOwn(t, ownConfig(t, "kl_names: {shard_key: k, "+placement+"\n  kl_codes: {shard_key: k, "+placement, ""))
	// A name whose bytes with a trailing space hash to another quarter of
	// the keyspace, so a placement by the raw bytes would fail.
	quarter := func(k string) uint64 {
		h, err := shard.HashKey(shard.String(k))
		if err != nil {
			t.Fatal(err)
		}
		return h >> 62
	}
	name := ""
	for i := 0; name == ""; i++ {
		if c := fmt.Sprint("pad", i); quarter(c+" ") != quarter(c) {
			name = c
		}
	}
	got := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	want := singleConn(t)
	ctx := testenv.Ctx(t)
	for _, table := range []string{"kl_names", "kl_codes"} {
		steps := []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO " + table + " (k, v) VALUES ('" + name + " ', 1)", nil},
			{"INSERT INTO " + table + " (k, v) VALUES (?, 2)", []any{name}}, // 1062 on both
			{"INSERT INTO " + table + " (k, v) VALUES ('" + name + "', 3) ON DUPLICATE KEY UPDATE v = v + 10", nil},
			{"UPDATE " + table + " SET v = v + 100 WHERE k = ?", []any{name + "  "}},
			{"UPDATE " + table + " SET v = v + 1000 WHERE k = '" + name + "'", nil},
		}
		for _, step := range steps {
			gotRes, gotErr := execIn(ctx, got, step.sql, len(step.args) > 0, step.args...)
			wantRes, wantErr := execIn(ctx, want, step.sql, len(step.args) > 0, step.args...)
			if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
				t.Fatalf("%s %q: %s (Strata: %v, one server: %v)", step.sql, step.args, msg, gotErr, wantErr)
			}
		}
		q := "SELECT CONCAT(HEX(k), ' ', v) FROM " + table + " WHERE k = ?"
		for _, spelling := range []string{name, name + " "} {
			var g, w string
			if err := got.QueryRowContext(ctx, q, spelling).Scan(&g); err != nil {
				t.Fatalf("%s: reading %q through Strata: %v", table, spelling, err)
			}
			if err := want.QueryRowContext(ctx, q, spelling).Scan(&w); err != nil {
				t.Fatal(err)
			}
			if g != w {
				t.Errorf("%s: %q reads %s through Strata, %s on one server", table, spelling, g, w)
			}
		}
	}
}
