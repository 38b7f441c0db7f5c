package sharding

import (
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
)

// controlPlane is the test topology's layout, with the config's lookup
// tables, and its primaries as the backend account: what the strata
// shards commands work with.
func controlPlane(t *testing.T) (*shard.Layout, shardops.Opener) {
	t.Helper()
	return controlPlaneOf(t, times.strataYAML(strataAddr, strataAdmin))
}

// controlPlaneOf is controlPlane for another config of the same servers.
func controlPlaneOf(t *testing.T, yaml string) (*shard.Layout, shardops.Opener) {
	t.Helper()
	cfg, err := parseConfig(yaml)
	if err != nil {
		t.Fatal(err)
	}
	dbs := shardops.NewDBs(cfg)
	t.Cleanup(func() { dbs.Close() })
	layout, err := cfg.Layout(shardops.NewLookupReader(dbs.Open, "blog", shardops.LookupSpecs(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	return layout, dbs.Open
}

// verifyLayout runs shardops.Verify (strata shards verify).
func verifyLayout(t *testing.T, table string) []shardops.PlacementReport {
	t.Helper()
	layout, open := controlPlane(t)
	return shardops.Verify(t.Context(), layout, open, "blog", table, 3)
}

// strata shards verify reads every row's shard key on every shard and
// finds the rows the layout places elsewhere, which Strata would not find
// by their key: on the data loaded through Strata (every method, 24
// monthly period tables, a lookup table) it finds none; a row written
// straight to the wrong shard, and a reference table copy changed on one
// cluster, are reported.
func TestVerifyFindsRowsOffTheirShard(t *testing.T) {
	strataDB(t) // the data
	reports := verifyLayout(t, "")
	seen := map[string]int64{}
	for _, r := range reports {
		if r.Error != "" || r.Misplaced != 0 || r.Differs {
			t.Errorf("on the loaded data: %+v", r)
		}
		seen[r.Table] += r.Rows
	}
	for name, tb := range ds.tables {
		if tb.cluster != "" {
			continue // a table group lives whole on its cluster
		}
		if seen[name] < int64(len(tb.rows)) {
			t.Errorf("%s: verify read %d rows, the data has %d", name, seen[name], len(tb.rows))
		}
	}

	cleanup(t, "comments", "id = 9300501")
	key := keyOn("s0", 9300500)
	mustExec(t, direct["s2"], "INSERT INTO blog.comments (id, entry_id, body) VALUES (9300501, "+strconv.Itoa(key)+", 'stray')")
	var found bool
	for _, r := range verifyLayout(t, "comments") {
		if r.Shard != "s2" {
			if r.Misplaced != 0 {
				t.Errorf("comments on %s: %d misplaced, want 0", r.Shard, r.Misplaced)
			}
			continue
		}
		found = r.Misplaced == 1 && slices.Equal(r.Examples, []shardops.MisplacedRow{{Key: strconv.Itoa(key), Belongs: "s0"}})
		if !found {
			t.Errorf("comments on s2: %+v, want the stray row %d reported as belonging to s0", r, key)
		}
	}

	// A post in another month's table of the same shard: the right shard,
	// the wrong period table.
	tables := times.postsTables()
	var home, stray shard.DateTable
	for i, a := range tables {
		for _, b := range tables[i+1:] {
			if a.Shard == b.Shard && home.Table == "" {
				home, stray = a, b
			}
		}
	}
	when := home.Start.Add(36 * time.Hour).Format(time.DateTime)
	mustExec(t, direct[stray.Shard], "INSERT INTO blog."+stray.Table+" (id, created_at, title) VALUES (9300601, '"+when+"', 'stray post')")
	t.Cleanup(func() { direct[stray.Shard].Exec("DELETE FROM blog." + stray.Table + " WHERE id = 9300601") })
	want := shardops.MisplacedRow{Key: when, Belongs: home.Shard + " (" + home.Table + ")"}
	found = false
	for _, r := range verifyLayout(t, "posts") {
		if r.Physical == stray.Table {
			found = r.Misplaced == 1 && slices.Equal(r.Examples, []shardops.MisplacedRow{want})
		} else if r.Misplaced != 0 {
			t.Errorf("posts in %s: %d misplaced, want 0", r.Physical, r.Misplaced)
		}
	}
	if !found {
		t.Errorf("the post dated %s in %s was not reported as belonging to %s", when, stray.Table, want.Belongs)
	}

	var code string
	var population sql.NullInt64
	if err := direct["s1"].QueryRow("SELECT code, population FROM blog.countries ORDER BY code LIMIT 1").Scan(&code, &population); err != nil {
		t.Fatal(err)
	}
	if _, err := direct["s1"].Exec("UPDATE blog.countries SET population = IFNULL(population, 0) + 1 WHERE code = ?", code); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { direct["s1"].Exec("UPDATE blog.countries SET population = ? WHERE code = ?", population, code) })
	copies := verifyLayout(t, "countries")
	if len(copies) != len(shardNames) {
		t.Fatalf("countries: %d copies compared, want %d", len(copies), len(shardNames))
	}
	for _, r := range copies {
		if !r.Differs || r.Checksum == nil {
			t.Errorf("countries on %s after a copy changed: %+v, want the copies reported as different", r.Shard, r)
		}
	}
}

// strata shards verify also finds the values of a unique key without the
// shard key that rows of several shards (or period tables) hold, which
// one server would have refused: none on the data loaded through Strata;
// a comment id written on two shards, and a post id in two months'
// tables, are reported with where they are.
func TestVerifyFindsUniqueKeysOnTwoShards(t *testing.T) {
	strataDB(t) // the data
	duplicates := func(table string) shardops.PlacementReport {
		t.Helper()
		for _, r := range verifyLayout(t, table) {
			if r.Physical == "unique key PRIMARY (id)" {
				if r.Error != "" || r.NotChecked != "" || r.Shard != "(every shard)" {
					t.Fatalf("%s: %+v", table, r)
				}
				return r
			}
		}
		t.Fatalf("%s: no report of its primary key", table)
		return shardops.PlacementReport{}
	}
	for _, table := range []string{"comments", "posts"} {
		if r := duplicates(table); r.Duplicates != 0 || r.Rows < int64(len(ds.tables[table].rows)) {
			t.Errorf("%s on the loaded data: %+v, want every id once", table, r)
		}
	}
	cleanup(t, "comments", "id = 9300701")
	mustExec(t, direct["s0"], "INSERT INTO blog.comments (id, entry_id, body) VALUES (9300701, "+strconv.Itoa(keyOn("s0", 9300700))+", 'one')")
	mustExec(t, direct["s3"], "INSERT INTO blog.comments (id, entry_id, body) VALUES (9300701, "+strconv.Itoa(keyOn("s3", 9300700))+", 'two')")
	if r := duplicates("comments"); r.Duplicates != 1 || !slices.Equal(r.Duplicated, []string{"9300701 on s0, s3"}) {
		t.Errorf("comments with id 9300701 on s0 and s3: %+v", r)
	}
	tables := times.postsTables()
	a, b := tables[0], tables[len(tables)-1]
	for _, p := range []shard.DateTable{a, b} {
		when := p.Start.Add(36 * time.Hour).Format(time.DateTime)
		mustExec(t, direct[p.Shard], "INSERT INTO blog."+p.Table+" (id, created_at, title) VALUES (9300801, '"+when+"', 'twice')")
		t.Cleanup(func() { direct[p.Shard].Exec("DELETE FROM blog." + p.Table + " WHERE id = 9300801") })
	}
	where := []string{a.Shard + " (" + a.Table + ")", b.Shard + " (" + b.Table + ")"}
	slices.Sort(where)
	want := "9300801 on " + strings.Join(where, ", ")
	if r := duplicates("posts"); r.Duplicates != 1 || !slices.Equal(r.Duplicated, []string{want}) {
		t.Errorf("posts with id 9300801 in %s and %s: %+v, want %q", a.Table, b.Table, r, want)
	}
}

// Keys of text and binary columns are compared as the servers compare
// them: text by its collation (Ann@x = ann@x under _ci, trailing spaces
// ignored where the collation pads; 'a' and 'a ' differ under a NOPAD
// one), binary by its bytes. Before, such keys were reported as not
// checked.
func TestVerifyComparesTextKeysByCollation(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.uq_verify (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(100) COLLATE utf8mb4_general_ci NULL, "+
		"code VARBINARY(10) NULL, site INT NULL, slug VARCHAR(20) COLLATE utf8mb4_nopad_bin NULL, UNIQUE KEY email (email), UNIQUE KEY code (code), UNIQUE KEY site (site, slug))",
		"blog.uq_verify", shardNames...)
	rows := map[string]string{ // modulo 4 of the id is the shard
		"s0": "(4, 'Ann@x', 'A', 1, 'a')",
		"s1": "(5, 'ann@X  ', 'a', 1, 'A')",
		"s2": "(6, 'bob', 'A', 1, 'a ')",
		"s3": "(7, 'Bob', 'B', 2, 'a'), (11, NULL, NULL, 1, 'a')",
	}
	for sh, values := range rows {
		mustExec(t, direct[sh], "INSERT INTO blog.uq_verify (id, email, code, site, slug) VALUES "+values)
	}
	yaml := strings.Replace(times.strataYAML(strataAddr, strataAdmin), "tables:\n", "tables:\n  uq_verify: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}\n", 1)
	layout, open := controlPlaneOf(t, yaml)
	want := map[string][]string{
		"unique key email (email)":     {"Ann@x on s0, s1", "bob on s2, s3"},
		"unique key code (code)":       {"A on s0, s2"},
		"unique key site (site, slug)": {"1, a on s0, s3"},
	}
	seen := 0
	for _, r := range shardops.Verify(t.Context(), layout, open, "blog", "uq_verify", 3) {
		w, ok := want[r.Physical]
		if !ok {
			if r.Error != "" || r.Misplaced != 0 || r.Duplicates != 0 {
				t.Errorf("%+v", r)
			}
			continue
		}
		seen++
		if r.Error != "" || r.NotChecked != "" || r.Duplicates != int64(len(w)) || !slices.Equal(r.Duplicated, w) {
			t.Errorf("%s: %+v, want the duplicates %q", r.Physical, r, w)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d unique keys reported", seen, len(want))
	}
}
