package sharding

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
)

// schemaReportsOf picks one table's reports by shard and physical table.
func schemaReportsOf(reports []shardops.SchemaReport, table string) map[string]shardops.SchemaReport {
	out := map[string]shardops.SchemaReport{}
	for _, r := range reports {
		if r.Table == table {
			out[r.Shard+"/"+r.Physical] = r
		}
	}
	return out
}

// strata shards check-schema (and GET /api/schema-check) compares every
// copy of each sharded and reference table: on the loaded topology (its
// period tables, shards whose AUTO_INCREMENT counters differ) every copy
// agrees; after a schema change through Strata failed part-way, as
// docs/sharding.md describes, it names the shards that lack the change,
// and a copy changed by hand, or dropped, is reported too.
func TestSchemaCheckFindsCopiesDefinedOtherwise(t *testing.T) {
	strataDB(t)
	layout, open := controlPlane(t)
	reports := shardops.CompareSchemas(t.Context(), layout, open, "blog", "")
	periods := 0
	for _, r := range reports {
		if r.Error != "" || r.Differs() {
			t.Errorf("on the loaded topology: %+v", r)
		}
		if r.Table == "posts" && r.Physical != "posts" && !r.NotCreated {
			periods++
		}
	}
	if periods < len(times.months) {
		t.Errorf("compared %d period tables of posts, the data has %d months", periods, len(times.months))
	}
	if got := len(schemaReportsOf(reports, "countries")); got != len(shardNames) {
		t.Errorf("countries: %d copies compared, want %d", got, len(shardNames))
	}

	table := `schema_items: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	resetMoveTable(t, "schema_items", "CREATE TABLE IF NOT EXISTS blog.schema_items (id BIGINT PRIMARY KEY AUTO_INCREMENT, v INT NOT NULL)")
	s := startOwn(t, ownConfig(t, table, ""))
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	if _, err := db.Exec("INSERT INTO schema_items (id, v) VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5000, 5)"); err != nil {
		t.Fatal(err)
	}
	// s2 got the column by hand: the change through Strata runs on s0 and
	// s1, fails on s2 (a duplicate column) and never reaches s3.
	mustExec(t, direct["s2"], "ALTER TABLE blog.schema_items ADD COLUMN note VARCHAR(20) NULL")
	_, err := db.Exec("ALTER TABLE schema_items ADD COLUMN note VARCHAR(20) NULL")
	if testenv.MySQLErr(err) != 1060 || !strings.Contains(err.Error(), "strata shards check-schema lists the copies that differ") {
		t.Fatalf("the schema change that s2 refused: %v, want error 1060 pointing to strata shards check-schema", err)
	}
	note := "`note` varchar(20) DEFAULT NULL"
	layout, open = controlPlaneOf(t, strings.Replace(times.strataYAML(strataAddr, strataAdmin), "tables:\n", "tables:\n  "+table+"\n", 1))
	got := schemaReportsOf(shardops.CompareSchemas(t.Context(), layout, open, "blog", "schema_items"), "schema_items")
	for _, sh := range []string{"s0", "s1", "s2"} {
		if r := got[sh+"/schema_items"]; r.Differs() || r.Error != "" {
			t.Errorf("%s, which has the change: %+v", sh, r)
		}
	}
	if r := got["s3/schema_items"]; !slices.Equal(r.Lacks, []string{note}) || len(r.Extra) != 0 {
		t.Errorf("s3, which the failed change did not reach: %+v, want it to lack %s", r, note)
	}

	// The same from the running Strata's admin API.
	var api []shardops.SchemaReport
	testenv.GetJSON(t, "http://"+s.AdminAddr()+"/api/schema-check", &api)
	if r := schemaReportsOf(api, "schema_items")["s3/schema_items"]; !slices.Equal(r.Lacks, []string{note}) {
		t.Errorf("GET /api/schema-check on s3: %+v, want it to lack %s", r, note)
	}
	if r := schemaReportsOf(api, "schema_items")["s0/schema_items"]; r.Differs() {
		t.Errorf("GET /api/schema-check on s0: %+v", r)
	}

	// Fixed as the docs say (IF NOT EXISTS skips the shards that have
	// it), then a column widened by hand on s1 and the table dropped on
	// s0.
	if _, err := db.Exec("ALTER TABLE schema_items ADD COLUMN IF NOT EXISTS note VARCHAR(20) NULL"); err != nil {
		t.Fatal(err)
	}
	for _, r := range shardops.CompareSchemas(t.Context(), layout, open, "blog", "schema_items") {
		if r.Differs() || r.Error != "" {
			t.Errorf("after the change ran again: %+v", r)
		}
	}
	// A trigger one shard lacks changes the rows written there.
	mustExec(t, db, "CREATE TRIGGER schema_items_v BEFORE INSERT ON schema_items FOR EACH ROW SET NEW.v = NEW.v + 1")
	mustExec(t, direct["s3"], "DROP TRIGGER blog.schema_items_v")
	got = schemaReportsOf(shardops.CompareSchemas(t.Context(), layout, open, "blog", "schema_items"), "schema_items")
	if r := got["s3/schema_items"]; !slices.Equal(r.Lacks, []string{"TRIGGER `schema_items_v` BEFORE INSERT: SET NEW.v = NEW.v + 1"}) || len(r.Extra) != 0 {
		t.Errorf("s3 without the trigger the others have: %+v", r)
	}
	if r := got["s0/schema_items"]; r.Differs() {
		t.Errorf("s0, which has the trigger: %+v", r)
	}
	mustExec(t, db, "DROP TRIGGER schema_items_v")
	// A trigger that rewrites the shard key, which Strata refuses to
	// create, made on every shard directly: the copies agree, yet each
	// stores rows away from the shard of their key.
	for _, sh := range shardNames {
		mustExec(t, direct[sh], "CREATE TRIGGER blog.schema_items_rekey BEFORE INSERT ON blog.schema_items FOR EACH ROW SET NEW.id = NEW.id + 1000")
	}
	got = schemaReportsOf(shardops.CompareSchemas(t.Context(), layout, open, "blog", "schema_items"), "schema_items")
	for _, sh := range shardNames {
		if r := got[sh+"/schema_items"]; !r.Differs() || len(r.KeyTriggers) != 1 || !strings.HasPrefix(r.KeyTriggers[0], "schema_items_rekey") || len(r.Lacks)+len(r.Extra) != 0 {
			t.Errorf("%s with a trigger setting NEW.id: %+v, want it named in key_triggers", sh, r)
		}
	}
	for _, sh := range shardNames {
		mustExec(t, direct[sh], "DROP TRIGGER blog.schema_items_rekey")
	}
	mustExec(t, direct["s1"], "ALTER TABLE blog.schema_items MODIFY v BIGINT NOT NULL")
	mustExec(t, direct["s0"], "DROP TABLE blog.schema_items")
	got = schemaReportsOf(shardops.CompareSchemas(t.Context(), layout, open, "blog", "schema_items"), "schema_items")
	if r := got["s1/schema_items"]; !slices.Equal(r.Lacks, []string{"`v` int(11) NOT NULL"}) || !slices.Equal(r.Extra, []string{"`v` bigint(20) NOT NULL"}) {
		t.Errorf("s1 with v widened: %+v", r)
	}
	if r := got["s0/schema_items"]; !r.Missing || !r.Differs() {
		t.Errorf("s0 without the table: %+v, want it missing", r)
	}
	if r := got["s2/schema_items"]; r.Differs() {
		t.Errorf("s2: %+v", r)
	}

	// A running Strata checks at start (and hourly) and counts the
	// differing copies per table in a metric to alert on.
	s2 := startOwn(t, ownConfig(t, table, ""))
	want := []string{`strata_shard_schema_differing_copies{table="schema_items"} 2`, `strata_shard_schema_differing_copies{table="events"} 0`}
	deadline := time.Now().Add(20 * time.Second)
	for {
		metrics := testenv.GetText(t, "http://"+s2.AdminAddr()+"/metrics")
		missing := slices.DeleteFunc(slices.Clone(want), func(line string) bool { return strings.Contains(metrics, line+"\n") })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
