package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/querystats"
)

func TestQueriesCommand(t *testing.T) {
	e := newCLIEnv(t)
	read := querystats.Key{Digest: "select * from entries where id = ?", Schema: "blog", User: "app", Route: "primary", Role: "replica", Server: "127.0.0.1:13307"}
	write := querystats.Key{Digest: "insert into entries values (?)", Schema: "blog", User: "app", Route: "primary", Role: "primary", Server: "127.0.0.1:13306"}
	for range 3 {
		e.stats.Record(read, querystats.Outcome{Duration: 2 * time.Millisecond, Rows: 1})
	}
	e.stats.Record(write, querystats.Outcome{Duration: 10 * time.Millisecond, Failed: true})

	out := mustRun(t, runQueries, "-c", e.path)
	t.Logf("\n%s", out)
	wantLines(t, out,
		"COUNT  ERRORS  TOTAL MS  AVG MS  MAX MS  ROWS SENT  AFFECTED  ROLE     ROUTE    SERVER           SCHEMA  USER  STATEMENT\n",
		"1      1       10.0      10.000  10.000  0          0         primary  primary  127.0.0.1:13306  blog    app   insert into entries values (?)\n",
		"3      0       6.0       2.000   2.000   3          0         replica  primary  127.0.0.1:13307  blog    app   select * from entries where id = ?\n",
	)
	if strings.Index(out, "insert") > strings.Index(out, "select") {
		t.Error("default order is by total time: the insert (10 ms) before the selects (6 ms)")
	}

	out = mustRun(t, runQueries, "-order", "count", "-limit", "1", "-c", e.path)
	if !strings.Contains(out, "select") || strings.Contains(out, "insert") {
		t.Errorf("-order count -limit 1 should show only the select:\n%s", out)
	}
	out = mustRun(t, runQueries, "-contains", "INSERT", "-json", "-c", e.path)
	var snap querystats.Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil || len(snap.Rows) != 1 || snap.Rows[0].Key != write {
		t.Errorf("-contains INSERT -json: %v\n%s", err, out)
	}

	out = mustRun(t, runQueries, "-reset", "-limit", "1", "-c", e.path)
	if !strings.Contains(out, "insert") || strings.Contains(out, "select") {
		t.Errorf("-reset shows the rows (as GET would) before forgetting them:\n%s", out)
	}
	if rows := e.stats.Snapshot(querystats.Query{}).Rows; len(rows) != 0 {
		t.Errorf("after -reset the store still has %d rows", len(rows))
	}

	if out, err := run(t, runQueries, "-order", "slowest", "-c", e.path); err == nil || !strings.Contains(err.Error(), "use one of total, count") {
		t.Errorf("a bad -order should fail with the API's reason: %v\n%s", err, out)
	}
}
