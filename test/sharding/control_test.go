package sharding

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/querystats"
)

// A starting Strata pre-creates the coming period tables of date-sharded
// tables (from the base table, on the owning shard) and reports range
// capacity on its admin API.
func TestStrataPrecreatesPeriodTablesAndReportsCapacity(t *testing.T) {
	strataDB(t)
	newest := times.postsTables()[0] // next month: ahead: 1, holds no rows yet
	db := direct[newest.Shard]
	mustExec(t, db, "DROP TABLE blog."+newest.Table)
	exists := func() bool {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'blog' AND TABLE_NAME = ?", newest.Table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if exists() {
		t.Fatalf("%s still exists after DROP", newest.Table)
	}
	s, err := startStrata("127.0.0.1:25402", "127.0.0.1:25482")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(15 * time.Second)
	for !exists() {
		if time.Now().After(deadline) {
			t.Fatalf("Strata did not pre-create %s on %s within 15s", newest.Table, newest.Shard)
		}
		time.Sleep(100 * time.Millisecond)
	}

	resp, err := http.Get("http://127.0.0.1:25482/api/capacity")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var reports []struct {
		Table, Shard string
		Fraction     float64
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &reports) != nil {
		t.Fatalf("GET /api/capacity: %d %s", resp.StatusCode, body)
	}
	found := false
	for _, r := range reports {
		if r.Table == "events" && r.Shard == "s3" {
			found = true
			if r.Fraction <= 0 {
				t.Errorf("events' last range s3 holds rows but reports fraction %v", r.Fraction)
			}
		}
	}
	if !found {
		t.Fatalf("capacity reports no events/s3 (the open-ended last range): %s", body)
	}
	// The gauge is set by the same pass that pre-created the table, just
	// after it: wait for it rather than race it.
	deadline = time.Now().Add(10 * time.Second)
	for {
		metrics, err := http.Get("http://127.0.0.1:25482/metrics")
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(metrics.Body)
		metrics.Body.Close()
		if strings.Contains(string(text), `strata_shard_range_fill_ratio{shard="s3",table="events"}`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics has no range fill ratio for events/s3 10 s after the start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// GET /api/explain shows the plan of a statement without running it.
func TestAdminExplain(t *testing.T) {
	strataDB(t)
	resp, err := http.Get("http://" + strataAdmin + "/api/explain?sql=" + strings.ReplaceAll("SELECT+*+FROM+comments+WHERE+entry_id+IN+(1,2)", " ", "+"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var rows []struct{ Step, Cluster, Tables, Detail string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &rows) != nil {
		t.Fatalf("GET /api/explain: %d %s", resp.StatusCode, body)
	}
	var clusters []string
	for _, r := range rows {
		if r.Cluster != "" {
			clusters = append(clusters, r.Cluster)
		}
	}
	if strings.Join(clusters, ",") != "s1,s2" {
		t.Fatalf("explain of entry_id IN (1,2) names %v, want s1,s2 (modulo 4): %s", clusters, body)
	}
}

// Changing tables: in the config applies at reload, without a restart:
// here audit stops refusing scatter queries, and GET /api/tables shows it.
func TestReloadChangesTablesWithoutRestart(t *testing.T) {
	strataDB(t)
	s, err := startStrata("127.0.0.1:25403", "127.0.0.1:25483")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := openStrata(t, "127.0.0.1:25403")
	const scatter = "SELECT COUNT(*) FROM audit"
	var n int
	if err := db.QueryRow(scatter).Scan(&n); err == nil || !strings.Contains(err.Error(), "scatter: deny") {
		t.Fatalf("before reload: %s gave %d, %v; want the scatter: deny refusal", scatter, n, err)
	}
	if got := auditScatter(t, "127.0.0.1:25483"); got != "deny" {
		t.Fatalf("/api/tables says audit scatter %q before reload", got)
	}
	yaml := strings.Replace(times.strataYAML("127.0.0.1:25403", "127.0.0.1:25483"), "scatter: deny", "scatter: allow", 1)
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	changes, _, err := s.Reload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reload applied: %v", changes)
	if err := db.QueryRow(scatter).Scan(&n); err != nil || n != len(ds.tables["audit"].rows) {
		t.Fatalf("after reload: %s gave %d, %v; want %d rows counted over every shard", scatter, n, err, len(ds.tables["audit"].rows))
	}
	if got := auditScatter(t, "127.0.0.1:25483"); got != "allow" {
		t.Fatalf("/api/tables says audit scatter %q after reload", got)
	}
}

func auditScatter(t *testing.T, admin string) string {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/api/tables")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tables []struct{ Name, Placement, Method, Scatter string }
	if err := json.NewDecoder(resp.Body).Decode(&tables); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.Name == "audit" {
			if tb.Placement != "sharded" || tb.Method != "modulo" {
				t.Errorf("audit listed as %+v", tb)
			}
			return tb.Scatter
		}
	}
	t.Fatalf("/api/tables lists no audit: %+v", tables)
	return ""
}

// /metrics counts merged statements once and their shard queries per shard.
func TestShardMetrics(t *testing.T) {
	db := strataDB(t)
	scrape := func() string { return metricsText(t, strataAdmin) }
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM comments WHERE entry_id IN (1, 2)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Strata counts a statement once its answer is out, so the client may
	// look a moment before the counters move.
	wants := []string{
		`strata_shard_queries_total{cluster="s1",kind="read"}`,
		`strata_shard_queries_total{cluster="s2",kind="read"}`,
		`strata_queries_total{route="shard_merge",server="2 shards"}`,
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		m, missing := scrape(), ""
		for _, want := range wants {
			if !strings.Contains(m, want) {
				missing = want
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics has no %s", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// /api/queries shows a statement Strata split over shards with role
// "shards" and the shard clusters it used, and a keyed one with the shard
// server that answered it.
func TestShardQueryStatistics(t *testing.T) {
	db := strataDB(t)
	var n int
	for range 3 {
		if err := db.QueryRow("SELECT COUNT(*) FROM comments WHERE entry_id IN (1, 2) AND id > 0").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, err := http.Get("http://" + strataAdmin + "/api/queries?limit=0&contains=" + "id%60+%3E")
		if err != nil {
			t.Fatal(err)
		}
		var snap querystats.Snapshot
		err = json.NewDecoder(resp.Body).Decode(&snap)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range snap.Rows {
			if strings.HasPrefix(r.Digest, "select count") && strings.Contains(r.Digest, "`comments`") && r.Count >= 3 {
				if r.Role != "shards" || r.Route != "shard_merge" || r.Server != "s1,s2" {
					t.Fatalf("row %+v; want role shards, route shard_merge, server s1,s2", r)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/queries has no row with 3 runs of the IN-list count: %+v", snap.Rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
