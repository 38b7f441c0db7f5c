package test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/querystats"
)

// GET /api/queries shows every statement shape with where Strata sent it:
// autocommit reads on a replica, writes and reads inside a transaction on
// the primary, each with its count and its failures.
func TestQueryStatisticsShowRoutes(t *testing.T) {
	t.Parallel()
	// The rows the reads find are there before the test (setup waits for
	// the replicas); the test's own writes add others.
	setupTables(t, "CREATE TABLE blog.qs_entries (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO blog.qs_entries VALUES (1, 'x'), (2, 'x')")
	db := openStrata(t)
	ctx := ctxFor(t)
	for i := range 2 {
		if _, err := db.ExecContext(ctx, "INSERT INTO qs_entries VALUES (?, 'x')", i+3); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		queryStrings(t, db, "SELECT v FROM qs_entries WHERE id = "+string(rune('1'+i%2)))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.QueryContext(ctx, "SELECT v FROM qs_entries WHERE id > 0 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "SELECT nope FROM qs_entries"); mysqlErr(err) != 1054 {
		t.Fatalf("a bad column should fail with 1054, got %v", err)
	}

	resp, err := http.Get("http://" + env.strata.AdminAddr() + "/api/queries?contains=qs_entries&limit=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap querystats.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	byDigest := map[string]querystats.Row{}
	for _, r := range snap.Rows {
		if prev, dup := byDigest[r.Digest]; dup && prev.Role != r.Role {
			t.Errorf("%q ran as %s and as %s", r.Digest, prev.Role, r.Role)
		}
		r.Count += byDigest[r.Digest].Count // the two replicas are two rows
		r.Rows += byDigest[r.Digest].Rows
		byDigest[r.Digest] = r
	}
	replicas := []string{env.replicas[0].Addr, env.replicas[1].Addr}
	want := []struct {
		digest, role   string
		count, errors  uint64
		rows, affected uint64
		servers        []string
	}{
		{"insert into `qs_entries` values ( ... )", "primary", 2, 0, 0, 2, []string{env.primary.Addr}}, // prepared and executed: the PREPARE is not a run
		{"select `v` from `qs_entries` where `id` = ?", "replica", 5, 0, 5, 0, replicas},
		{"select `v` from `qs_entries` where `id` > ? for update", "primary", 1, 0, 4, 0, []string{env.primary.Addr}},
		{"select `nope` from `qs_entries`", "replica", 1, 1, 0, 0, replicas},
	}
	for _, w := range want {
		r, ok := byDigest[w.digest]
		if !ok {
			t.Errorf("no row for %q; rows: %+v", w.digest, snap.Rows)
			continue
		}
		if r.Role != w.role || r.Count != w.count || r.Errors != w.errors || r.Rows != w.rows || r.Affected != w.affected ||
			!slices.Contains(w.servers, r.Server) || r.Schema != "blog" || r.User != "app" {
			t.Errorf("row %+v; want role %s, count %d, errors %d, rows sent %d, affected %d, server in %v, schema blog, user app",
				r, w.role, w.count, w.errors, w.rows, w.affected, w.servers)
		}
	}
}
