package sharding

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
)

// A date table with keep: N keeps the tables of the current period and
// the N-1 before it (a log table kept for a number of months): Strata
// reads no older period, refuses to write one (1235, naming keep:), and
// drops the older period tables from their shards: at start, at once
// after a reload that sets keep:, and hourly.
// Tables of kept periods, and the base table, stay with their rows.
func TestKeepDropsThePeriodsOlderThanIt(t *testing.T) {
	setup := dateTables(t, "month", 4, 2, "", "keeplogs")
	db := openStrata(t, setup.MySQLAddr())
	mustExec(t, db, "CREATE TABLE keeplogs (id INT NOT NULL, at DATETIME NOT NULL, PRIMARY KEY (id, at))")
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, time.UTC)
	month := func(ago int) time.Time { return first.AddDate(0, -ago, 0) }
	for ago := range 5 {
		mustExec(t, db, fmt.Sprintf("INSERT INTO keeplogs (id, at) VALUES (%d, '%s')", ago, month(ago).Format(time.DateTime)))
	}
	table := func(ago int) string { return "keeplogs_" + month(ago).Format("2006_01") }
	periodTables := func() []string {
		var out []string
		for _, sh := range shardNames {
			out = append(out, testenv.Strings(t, direct[sh], "SHOW TABLES FROM blog LIKE 'keeplogs\\_%'")...)
		}
		slices.Sort(out)
		return out
	}
	if got := periodTables(); !slices.Contains(got, table(4)) || !slices.Contains(got, table(2)) {
		t.Fatalf("period tables before keep: %v, want those of four months back on", got)
	}

	line := strings.Replace(dateTableLines("month", 4, 2, "keeplogs")[0], "ahead: 1,", "ahead: 1, keep: 2,", 1)
	cfg := ownConfig(t, line, "")
	// What strata shards expire lists first, dropping nothing.
	dbs := shardops.NewDBs(cfg)
	defer dbs.Close()
	layout, err := cfg.Layout(shardops.NewLookupReader(dbs.Open, "blog", shardops.LookupSpecs(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := shardops.Expire(testenv.Ctx(t), layout, dbs.Open, "blog", false)
	var names []string
	for _, e := range listed {
		if !e.Dropped && e.Error == "" {
			names = append(names, e.Table+"@"+e.Shard)
		}
	}
	if wantListed := []string{table(4) + "@s0", table(3) + "@s0", table(2) + "@s1"}; err != nil || !slices.Equal(names, wantListed) {
		t.Errorf("strata shards expire lists %v (%v), want %v", names, err, wantListed)
	}
	if got := periodTables(); !slices.Contains(got, table(4)) {
		t.Fatalf("period tables after the listing: %v, want none dropped", got)
	}
	// The same Strata, reloaded with keep:, drops them at once.
	if _, _, err := setup.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	want := []string{table(1), table(0), table(-1)}
	slices.Sort(want)
	testenv.Eventually(t, "the period tables older than keep: dropped", func() bool { return slices.Equal(periodTables(), want) })
	if metrics := testenv.GetText(t, "http://"+setup.AdminAddr()+"/metrics"); !strings.Contains(metrics, `strata_period_tables_total{action="dropped",table="keeplogs"} 3`+"\n") {
		t.Errorf("/metrics lacks the three period tables dropped:\n%s", metrics)
	}
	if got := testenv.Strings(t, db, "SELECT id FROM keeplogs ORDER BY id"); !slices.Equal(got, []string{"0", "1"}) {
		t.Errorf("rows kept: %v, want those of this month and the last", got)
	}
	for _, sh := range []string{"s0", "s1"} { // the table's shards
		if got := testenv.Strings(t, direct[sh], "SHOW TABLES FROM blog LIKE 'keeplogs'"); len(got) != 1 {
			t.Errorf("base table on %s: %v, want it kept (the template of new periods)", sh, got)
		}
	}
	var tables []struct {
		Name    string
		Periods struct {
			First, Last string
			Keep        int
		}
	}
	testenv.GetJSON(t, "http://"+setup.AdminAddr()+"/api/tables", &tables)
	for _, tb := range tables {
		if tb.Name == "keeplogs" && (tb.Periods.First != table(1) || tb.Periods.Last != table(-1) || tb.Periods.Keep != 2) {
			t.Errorf("/api/tables periods of keeplogs: %+v, want %s to %s, keep 2", tb.Periods, table(1), table(-1))
		}
	}
	old := month(3).Format(time.DateTime)
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM keeplogs WHERE at = '"+old+"'"); got[0] != "0" {
		t.Errorf("rows of a dropped period: %v, want none", got)
	}
	_, err = db.ExecContext(testenv.Ctx(t), "INSERT INTO keeplogs (id, at) VALUES (9, '"+old+"')")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "keep: 2") {
		t.Errorf("INSERT of a row three months old: %v, want 1235 naming keep:", err)
	}
}

// LOAD DATA into a date table whose rows take the statement's time as
// their key (the key left to DEFAULT CURRENT_TIMESTAMP, or SET at =
// NOW() - INTERVAL 1 MONTH) loads the whole file into the period table of
// that time, read first, and at that very time, so every row stores the
// key it was placed by. Before, both were refused (1235). A key from
// another expression still is.
func TestLoadDataKeyedByTheClockLoadsItsPeriod(t *testing.T) {
	s := dateTables(t, "month", 2, 1, "", "cklogs")
	db := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	mustExec(t, db, "CREATE TABLE cklogs (id INT NOT NULL, at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, msg VARCHAR(20) NULL, PRIMARY KEY (id, at))")
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	thisMonth, lastMonth := "cklogs_"+first.Format("2006_01"), "cklogs_"+first.AddDate(0, -1, 0).Format("2006_01")
	ctx := testenv.Ctx(t)
	for i, c := range []struct {
		file, cols, table, ids string
		rows                   int
	}{
		{"1\ta\n2\tb\n3\tc\n", "(id, msg)", thisMonth, "1 AND 3", 3},
		{"4\td\n5\te\n", "(id, msg)", thisMonth, "4 AND 5", 2}, // the cached plan, read again
		{"6\tf\n7\tg\n", "(id, msg) SET at = NOW() - INTERVAL 1 MONTH", lastMonth, "6 AND 7", 2},
	} {
		q := "LOAD DATA LOCAL INFILE '" + registerFile(t, fmt.Sprint("cklogs", i), c.file) + "' INTO TABLE cklogs " + c.cols
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		// s1 holds last month's and this month's tables (dateTables).
		got := testenv.Strings(t, direct["s1"], "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT at)) FROM blog."+c.table+" WHERE id BETWEEN "+c.ids)
		if got[0] != fmt.Sprintf("%d 1", c.rows) {
			t.Errorf("%s: rows in %s on s1 (count, distinct times): %s, want %d rows of one time", q, c.table, got[0], c.rows)
		}
	}
	if got := testenv.Strings(t, db, "SELECT COUNT(*) FROM cklogs WHERE at >= CURDATE() - INTERVAL 1 DAY"); got[0] != "5" {
		t.Errorf("rows of the last day through Strata: %s, want 5", got[0])
	}
	_, err := db.ExecContext(ctx, "LOAD DATA LOCAL INFILE '"+registerFile(t, "cklogs-bad", "8\th\n")+"' INTO TABLE cklogs (id, @m) SET at = CONCAT('2024-01-0', @m)")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "from an expression") {
		t.Errorf("a key from another expression: %v, want 1235", err)
	}
}
