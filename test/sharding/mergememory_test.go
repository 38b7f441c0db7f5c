package sharding

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// The instance with limits.max_merge_memory: 1M listens here.
const (
	smallMergeAddr  = "127.0.0.1:25410"
	smallMergeAdmin = "127.0.0.1:25490"
)

var smallMerge extraInstance

var proxyErrors = regexp.MustCompile(`(?m)^strata_query_errors_total\{kind="proxy"\} (\d+)$`)

// A merge step that holds rows in Strata's memory (the set of a SELECT
// DISTINCT over shards, an ORDER BY Strata sorts itself) stops with error
// 1038 naming limits.max_merge_memory once it would hold more than that,
// instead of growing Strata's memory with the table; the client's session
// goes on. The same shapes that hold little (a LIMIT over the sorted
// groups, a DISTINCT of few values) answer as the default instance does,
// and the refusal is counted as Strata's own.
func TestMergeMemoryIsBounded(t *testing.T) {
	smallMerge.start(t, smallMergeAddr, smallMergeAdmin, "limits: {max_merge_memory: 1M}\n")
	small := testenv.Conn(t, openStrata(t, smallMergeAddr))
	def := testenv.Conn(t, strataDB(t))
	refusedBefore := proxyRefusals(t)

	// 2000 comments of about 1 KB each: 2 MB held by a step that keeps
	// them all.
	for _, q := range []string{
		"SELECT DISTINCT id, RPAD(body, 1000, '.') AS padded FROM comments",
		"SELECT id, MAX(RPAD(body, 1000, '.')) AS padded FROM comments GROUP BY id ORDER BY padded",
	} {
		if rows := testenv.Strings(t, def, q); len(rows) != 2000 {
			t.Fatalf("%s under the default limit: %d rows, want 2000", q, len(rows))
		}
		rows, err := small.QueryContext(testenv.Ctx(t), q)
		n := 0
		if err == nil {
			for rows.Next() {
				n++
			}
			err = rows.Err()
			rows.Close()
		}
		if testenv.MySQLErr(err) != 1038 || !strings.Contains(err.Error(), "limits.max_merge_memory") || !strings.Contains(err.Error(), "more than 1M") {
			t.Errorf("%s with limits.max_merge_memory 1M: %d rows, then %v; want error 1038 naming the limit", q, n, err)
		}
		if n >= 2000 {
			t.Errorf("%s: all %d rows arrived before the error", q, n)
		}
		if got := testenv.Strings(t, small, "SELECT 1"); len(got) != 1 || got[0] != "1" {
			t.Errorf("after the refusal the session answers SELECT 1 with %q", got)
		}
	}
	if after := proxyRefusals(t); after < refusedBefore+2 {
		t.Errorf(`strata_query_errors_total{kind="proxy"} went from %d to %d over two refusals`, refusedBefore, after)
	}

	// Rows Strata reads first to put in the statement (a subquery's
	// values, a derived table's rows) count too, past max_pulled_rows'
	// count of rows: 2000 values of 1 KB.
	for _, q := range []string{
		"SELECT COUNT(*) FROM entries WHERE title IN (SELECT CONCAT(id, RPAD(body, 1000, '.')) FROM comments)",
		"SELECT MAX(p) FROM (SELECT id, RPAD(body, 1000, '.') AS p FROM comments) t",
	} {
		if rows := testenv.Strings(t, def, q); len(rows) != 1 {
			t.Fatalf("%s under the default limit: %q", q, rows)
		}
		_, err := small.ExecContext(testenv.Ctx(t), q)
		if testenv.MySQLErr(err) != 1038 || !strings.Contains(err.Error(), "holding the rows Strata reads first") || !strings.Contains(err.Error(), "limits.max_merge_memory") {
			t.Errorf("%s with limits.max_merge_memory 1M: %v; want error 1038 naming the limit", q, err)
		}
	}

	// A merge sort streams, holding nothing: in autocommit each month's
	// posts table is read on a connection of its own. In a transaction
	// the tables of one cluster share its connection, so the merge reads
	// each one's rows ahead, and those count too.
	const merged = "SELECT id, RPAD(title, 2000, '.') AS padded FROM posts ORDER BY id"
	want := testenv.Strings(t, def, merged)
	if got := testenv.Strings(t, small, merged); len(want) < 500 || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s in autocommit under limits.max_merge_memory 1M: %d rows, want the default instance's %d (over 500)", merged, len(got), len(want))
	}
	ctx := testenv.Ctx(t)
	if _, err := small.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	rows, err := small.QueryContext(ctx, merged)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if testenv.MySQLErr(err) != 1038 || !strings.Contains(err.Error(), "reading ahead a shard's rows") {
		t.Errorf("%s in a transaction under limits.max_merge_memory 1M: %v; want error 1038 naming the limit", merged, err)
	}
	if _, err := small.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Errorf("ROLLBACK after the refusal: %v", err)
	}
	// A locking read over every shard in a transaction holds its rows
	// until all shards have answered (they say where the transaction
	// goes on): over the limit it is refused, and locks nothing.
	if _, err := small.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	_, err = small.QueryContext(ctx, "SELECT id, RPAD(body, 1000, '.') FROM comments WHERE id > 0 FOR UPDATE")
	if testenv.MySQLErr(err) != 1038 || !strings.Contains(err.Error(), "holding a locking read's rows") {
		t.Errorf("a locking read of 2 MB in a transaction under limits.max_merge_memory 1M: %v; want error 1038 naming the limit", err)
	}
	for _, name := range shardNames {
		if _, err := direct[name].ExecContext(ctx, "SET STATEMENT innodb_lock_wait_timeout = 1 FOR SELECT COUNT(*) FROM (SELECT id FROM blog.comments FOR UPDATE NOWAIT) t"); err != nil {
			t.Errorf("after the refused locking read, shard %s's comments: %v", name, err)
		}
	}
	if _, err := small.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Errorf("ROLLBACK after the refusal: %v", err)
	}

	for _, q := range []string{
		"SELECT id, MAX(RPAD(body, 1000, '.')) AS padded FROM comments GROUP BY id ORDER BY padded DESC, id LIMIT 5",
		"SELECT DISTINCT author FROM comments ORDER BY author",
		"SELECT entry_id, COUNT(DISTINCT author) FROM comments GROUP BY entry_id ORDER BY COUNT(DISTINCT author) DESC, entry_id",
	} {
		want := testenv.Strings(t, def, q)
		if got := testenv.Strings(t, small, q); strings.Join(got, "|") != strings.Join(want, "|") || len(want) == 0 {
			t.Errorf("%s under limits.max_merge_memory 1M: %d rows, want the default instance's %d", q, len(got), len(want))
		}
	}
}

// proxyRefusals reads strata_query_errors_total{kind="proxy"} of the
// small-merge instance.
func proxyRefusals(t *testing.T) int {
	m := proxyErrors.FindStringSubmatch(testenv.GetText(t, "http://"+smallMergeAdmin+"/metrics"))
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The instance with limits.max_merge_memory_total: 2M listens here.
const (
	sharedMergeAddr  = "127.0.0.1:25411"
	sharedMergeAdmin = "127.0.0.1:25491"
)

var sharedMerge extraInstance

var mergeMemory = regexp.MustCompile(`(?m)^strata_merge_memory_bytes (\S+)$`)

// Statements' merges draw on one bound together
// (limits.max_merge_memory_total): while one report holds its sorted
// rows, a second that fits its own limit but not what is left is refused
// with error 1038 naming the shared limit; once the first has ended its
// memory is free again and the second answers. strata_merge_memory_bytes
// shows what the merges hold, and falls back to 0.
func TestMergeMemoryIsBoundedForAllStatementsTogether(t *testing.T) {
	sharedMerge.start(t, sharedMergeAddr, sharedMergeAdmin, "limits: {max_merge_memory: 2M, max_merge_memory_total: 2M}\n")
	db := openStrata(t, sharedMergeAddr)
	def := testenv.Conn(t, strataDB(t))
	// Sorts about 1.5 MB of groups in Strata; shard s3 (entry_id % 4 = 3)
	// sleeps 10 ms per row, so the rows arrive over about 5 s.
	const slow = "SELECT id, MAX(RPAD(body, 700, '.')) AS padded FROM comments WHERE entry_id % 4 <> 3 OR SLEEP(0.01) = 0 GROUP BY id ORDER BY padded, id"
	// Remembers about 1.3 MB of distinct rows (binary: a text key under
	// a _ci collation is its weights, two or more bytes a character).
	const second = "SELECT DISTINCT id, CAST(RPAD(body, 600, '.') AS BINARY) AS padded FROM comments"
	want := testenv.Strings(t, def, "SELECT id, MAX(RPAD(body, 700, '.')) AS padded FROM comments GROUP BY id ORDER BY padded, id")

	done := make(chan []string, 1)
	go func() {
		var got []string
		rows, err := db.QueryContext(testenv.Ctx(t), slow)
		if err == nil {
			got, err = testenv.ResultStrings(rows)
			rows.Close()
		}
		if err != nil {
			t.Errorf("the slow report: %v", err)
		}
		done <- got
	}()
	testenv.Eventually(t, "the slow report holds 900K of sorted rows", func() bool { return mergeBytes(t) > 900<<10 })
	// The session list shows which statement holds it.
	var sessions []struct {
		Statement   string `json:"statement"`
		MergeMemory int64  `json:"merge_memory_bytes"`
	}
	testenv.GetJSON(t, "http://"+sharedMergeAdmin+"/api/sessions", &sessions)
	holder := ""
	for _, s := range sessions {
		if s.MergeMemory > 900<<10 {
			holder = s.Statement
		}
	}
	if !strings.Contains(holder, "sleep") {
		t.Errorf("GET /api/sessions: no session's merge_memory_bytes shows the slow report's rows: %+v", sessions)
	}
	_, err := db.ExecContext(testenv.Ctx(t), second)
	if testenv.MySQLErr(err) != 1038 || !strings.Contains(err.Error(), "limits.max_merge_memory_total") {
		t.Errorf("%s while another statement holds %d bytes: %v; want error 1038 naming limits.max_merge_memory_total", second, mergeBytes(t), err)
	}
	if got := <-done; len(got) != len(want) || len(want) != 2000 {
		t.Errorf("the slow report answered %d rows, want the default instance's %d", len(got), len(want))
	} else {
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("the slow report's row %d differs from the default instance's", i)
				break
			}
		}
	}
	// The session gives the memory back once the last packet is sent,
	// a moment after the client has read it.
	testenv.Eventually(t, "after the report ended strata_merge_memory_bytes falls back to 0", func() bool { return mergeBytes(t) == 0 })
	if rows := testenv.Strings(t, db, second); len(rows) != 2000 {
		t.Errorf("%s alone: %d rows, want 2000", second, len(rows))
	}
	testenv.Eventually(t, "after the DISTINCT ended strata_merge_memory_bytes falls back to 0", func() bool { return mergeBytes(t) == 0 })

	// A reload moves the shared bound, without a restart.
	if max := mergeMax(t); max != 2<<20 {
		t.Errorf("strata_merge_memory_max_bytes = %d, want 2M", max)
	}
	cfg, err := parseConfig(strings.Replace(times.strataYAML(sharedMergeAddr, sharedMergeAdmin), "monitor: {interval: 10s}", "monitor: {interval: 1h}", 1) +
		"limits: {max_merge_memory: 2M, max_merge_memory_total: 3M}\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sharedMerge.s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if max := mergeMax(t); max != 3<<20 {
		t.Errorf("after a reload to 3M strata_merge_memory_max_bytes = %d", max)
	}
}

var mergeMemoryMax = regexp.MustCompile(`(?m)^strata_merge_memory_max_bytes (\S+)$`)

// mergeBytes reads strata_merge_memory_bytes of the shared-merge instance.
func mergeBytes(t *testing.T) int64 { return sharedMergeGauge(t, mergeMemory) }

// mergeMax reads strata_merge_memory_max_bytes of the shared-merge instance.
func mergeMax(t *testing.T) int64 { return sharedMergeGauge(t, mergeMemoryMax) }

// sharedMergeGauge reads the gauge sample matches of the shared-merge
// instance's /metrics.
func sharedMergeGauge(t *testing.T, sample *regexp.Regexp) int64 {
	m := sample.FindStringSubmatch(testenv.GetText(t, "http://"+sharedMergeAdmin+"/metrics"))
	if m == nil {
		t.Fatalf("/metrics has no %s", sample)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return int64(f)
}
