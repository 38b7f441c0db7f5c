package planner

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
)

func snapshot() *topology.Snapshot {
	cl := &topology.Cluster{Name: "main", DefaultPool: "primary", Primary: &topology.Server{Addr: "p:1", Role: topology.RolePrimary}}
	return &topology.Snapshot{DefaultCluster: "main", Clusters: map[string]*topology.Cluster{"main": cl}}
}

func TestRouteRules(t *testing.T) {
	p := New([]config.Rule{
		{Match: config.Match{User: "cron"}, Pool: "batch"},
		{Match: config.Match{Tables: []string{"comments"}}, Pool: "comments"},
		{Match: config.Match{Schema: "reports"}, Pool: "batch"},
		{Match: config.Match{Client: "10.1.0.0/16"}, Pool: "batch"},
		{Match: config.Match{Hint: "slow"}, Pool: "batch"},
		{Match: config.Match{Pattern: "^SELECT COUNT"}, Pool: "batch"},
		{Match: config.Match{Digest: "SELECT `x` FROM `t`"}, Pool: "digest"},
	})
	read := func(sql string, tables ...string) *sqlparse.Facts {
		f := &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true, Digest: sql}
		for _, tb := range tables {
			f.Tables = append(f.Tables, sqlparse.TableRef{Name: tb})
		}
		return f
	}
	hinted := read("SELECT 1")
	hinted.Hint.Pool = "slow"
	write := &sqlparse.Facts{Kind: sqlparse.KindInsert, Tables: []sqlparse.TableRef{{Name: "comments"}}}
	readOnlyCheck := read("SELECT @@GLOBAL.read_only")
	readOnlyCheck.ReadsReadOnly = true
	binlogPosition := read("SELECT @@gtid_binlog_pos")
	binlogPosition.ReadsBinlog = true
	unparsed := sqlparse.ClassifyFallback("SELECT CAST(id AS INT) FROM blog.comments LIMIT ROWS EXAMINED 10")
	cases := []struct {
		name    string
		req     Request
		primary bool
		pool    string
		rule    int
	}{
		{"user rule wins first", Request{Facts: read("SELECT 1", "comments"), User: "cron"}, false, "batch", 0},
		{"table rule", Request{Facts: read("SELECT 1", "entries", "comments"), User: "app"}, false, "comments", 1},
		{"schema rule, case-insensitive", Request{Facts: read("SELECT 1"), Schema: "REPORTS"}, false, "batch", 2},
		{"client network", Request{Facts: read("SELECT 1"), ClientAddr: "10.1.2.3:5555"}, false, "batch", 3},
		{"client outside network", Request{Facts: read("SELECT 1"), ClientAddr: "127.0.0.1:5555"}, false, "primary", -1},
		{"hint", Request{Facts: hinted}, false, "batch", 4},
		{"pattern", Request{Facts: read("SELECT COUNT(*) FROM `t`")}, false, "batch", 5},
		{"digest", Request{Facts: read("SELECT `x` FROM `t`")}, false, "digest", 6},
		{"a read the parser could not read, by its words", Request{Facts: unparsed, User: "app"}, false, "comments", 1},
		{"unmatched read goes to default pool", Request{Facts: read("SELECT 1", "entries")}, false, "primary", -1},
		{"writes never go to a pool", Request{Facts: write, User: "cron"}, true, "", -1},
		{"@@read_only is the primary's, whatever the rules", Request{Facts: readOnlyCheck, User: "cron"}, true, "", -1},
		{"the binary log's position is the primary's, whatever the rules", Request{Facts: binlogPosition, User: "cron"}, true, "", -1},
		{"session state forces primary", Request{Facts: read("SELECT 1", "comments"), PrimaryOnly: true}, true, "", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Route(snapshot(), &tc.req)
			if d.Primary != tc.primary || d.Pool != tc.pool || d.Rule != tc.rule {
				t.Errorf("got primary=%v pool=%q rule=%d, want primary=%v pool=%q rule=%d", d.Primary, d.Pool, d.Rule, tc.primary, tc.pool, tc.rule)
			}
		})
	}
}

func TestRefusalRules(t *testing.T) {
	p := New([]config.Rule{
		{Match: config.Match{User: "cron"}, Pool: "batch"},
		{Match: config.Match{Digest: "DELETE FROM `comments`"}, Refuse: "unbounded delete"},
		{Match: config.Match{Tables: []string{"audit"}, User: "app"}, Refuse: "audit is read-only for app"},
		{Match: config.Match{Writes: true, User: "maint"}, Refuse: "read-only mode"},
	})
	del := &sqlparse.Facts{Kind: sqlparse.KindDelete, Digest: "DELETE FROM `comments`", Tables: []sqlparse.TableRef{{Name: "comments"}}}
	auditRead := &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true, Digest: "SELECT * FROM `audit`", Tables: []sqlparse.TableRef{{Name: "audit"}}}
	cases := []struct {
		name string
		req  Request
		rule int
		msg  string
	}{
		{"a write matching a digest", Request{Facts: del, User: "app"}, 1, "unbounded delete"},
		{"inside a transaction too", Request{Facts: del, User: "app", PrimaryOnly: true}, 1, "unbounded delete"},
		{"all conditions must hold", Request{Facts: auditRead, User: "app"}, 2, "audit is read-only for app"},
		{"another user passes", Request{Facts: auditRead, User: "cron"}, -1, ""},
		{"writes, for a read-only mode", Request{Facts: &sqlparse.Facts{Kind: sqlparse.KindUpdate, WriteTables: []sqlparse.TableRef{{Name: "t"}}}, User: "maint"}, 3, "read-only mode"},
		{"a read is not a write", Request{Facts: auditRead, User: "maint"}, -1, ""},
		{"a routing rule never refuses", Request{Facts: &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true}, User: "cron"}, -1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if rule, msg := p.Refusal(&tc.req); rule != tc.rule || msg != tc.msg {
				t.Errorf("Refusal = %d %q, want %d %q", rule, msg, tc.rule, tc.msg)
			}
		})
	}
	// A refuse rule is not a routing rule: the read it does not refuse
	// goes where the other rules send it, not to a pool named "".
	if d := p.Route(snapshot(), &Request{Facts: auditRead, User: "cron"}); d.Pool != "batch" || d.Rule != 0 {
		t.Errorf("cron's read of audit routed to pool %q by rule %d, want batch by rule 0", d.Pool, d.Rule)
	}
	if d := p.Route(snapshot(), &Request{Facts: auditRead, User: "app"}); d.Pool != "primary" || d.Rule != -1 {
		t.Errorf("app's read of audit routed to pool %q by rule %d, want the default pool", d.Pool, d.Rule)
	}
	p.SetRules(nil)
	if rule, _ := p.Refusal(&Request{Facts: del, User: "app"}); rule != -1 {
		t.Errorf("after the rules were removed, rule %d still refuses", rule)
	}
}

// A rewrite rule replaces what its regular expression matches in the
// text of the statements its conditions match; the first one that changes
// the text applies, and it never routes a read itself.
func TestRewriteRules(t *testing.T) {
	p := New([]config.Rule{
		{Match: config.Match{User: "cron"}, Pool: "batch"},
		{Match: config.Match{Tables: []string{"entries"}}, Rewrite: &config.Rewrite{From: `(?i)ORDER BY id DESC$`, To: "ORDER BY id DESC LIMIT 100"}},
		{Match: config.Match{Writes: true}, Rewrite: &config.Rewrite{From: `^INSERT INTO (\w+)`, To: "INSERT IGNORE INTO $1"}},
		{Rewrite: &config.Rewrite{From: `FROM stats_live\b`, To: "FROM stats_hourly"}},
		{Match: config.Match{User: "web"}, Rewrite: &config.Rewrite{From: `never matches`, To: "x"}},
	})
	entries := &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true, Tables: []sqlparse.TableRef{{Name: "entries"}}}
	insert := &sqlparse.Facts{Kind: sqlparse.KindInsert, WriteTables: []sqlparse.TableRef{{Name: "likes"}}}
	other := &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true, Tables: []sqlparse.TableRef{{Name: "stats_live"}}}
	cases := []struct {
		name string
		req  Request
		sql  string
		rule int
		want string
	}{
		{"a table's reads", Request{Facts: entries}, "SELECT * FROM entries ORDER BY id desc", 1, "SELECT * FROM entries ORDER BY id DESC LIMIT 100"},
		{"conditions must hold", Request{Facts: other}, "SELECT * FROM t ORDER BY id DESC", -1, "SELECT * FROM t ORDER BY id DESC"},
		{"groups in the replacement", Request{Facts: insert}, "INSERT INTO likes VALUES (1)", 2, "INSERT IGNORE INTO likes VALUES (1)"},
		{"from alone decides without conditions", Request{Facts: other, User: "web"}, "SELECT n FROM stats_live WHERE d > 3", 3, "SELECT n FROM stats_hourly WHERE d > 3"},
		{"a rule that changes nothing passes to the next", Request{Facts: entries}, "SELECT n FROM stats_live JOIN entries", 3, "SELECT n FROM stats_hourly JOIN entries"},
		{"no rule", Request{Facts: entries, User: "cron"}, "SELECT 1 FROM entries", -1, "SELECT 1 FROM entries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if rule, got := p.Rewrite(&tc.req, tc.sql); rule != tc.rule || got != tc.want {
				t.Errorf("Rewrite = %d %q, want %d %q", rule, got, tc.rule, tc.want)
			}
		})
	}
	// A rewrite rule is not a routing rule: a read it matches goes where
	// the other rules send it.
	if d := p.Route(snapshot(), &Request{Facts: entries}); d.Pool != "primary" || d.Rule != -1 {
		t.Errorf("a read of entries routed to pool %q by rule %d, want the default pool", d.Pool, d.Rule)
	}
	_, stats := p.Rules()
	if stats[1].Hits != 1 || stats[2].Hits != 1 || stats[3].Hits != 2 || stats[4].Hits != 0 {
		t.Errorf("hits %d %d %d %d, want 1 1 2 0", stats[1].Hits, stats[2].Hits, stats[3].Hits, stats[4].Hits)
	}
	if rule, _ := p.Rewrite(&Request{Facts: entries, Explain: true}, "SELECT * FROM entries ORDER BY id DESC"); rule != 1 || p.rules.Load().rules[1].hits.Load() != 1 {
		t.Errorf("EXPLAIN counted as a hit")
	}
	p.SetRules(nil)
	if rule, _ := p.Rewrite(&Request{Facts: entries}, "SELECT * FROM entries ORDER BY id DESC"); rule != -1 {
		t.Errorf("after the rules were removed, rule %d still rewrites", rule)
	}
}

func TestParseCachesAndCombines(t *testing.T) {
	p := New(nil)
	a := p.Parse("SELECT 1; UPDATE t SET x = 1")
	if a != p.Parse("SELECT 1; UPDATE t SET x = 1") {
		t.Error("same text parsed twice")
	}
	if len(a.Statements) != 2 || a.Summary.ReadOnly {
		t.Errorf("multi-statement with a write: %d statements, read-only=%v", len(a.Statements), a.Summary.ReadOnly)
	}
	if len(a.Summary.WriteTables) != 1 {
		t.Errorf("write tables = %v, want [t] once", a.Summary.WriteTables)
	}
	// State a later statement starts routes the whole text: the session
	// stays on the connection it ran on, so that one must be the primary's.
	if held := p.Parse("SELECT 1; SET profiling = 1"); held.Summary.Hold != "profiling" {
		t.Errorf("multi-statement that turns profiling on: Hold = %q, want profiling", held.Summary.Hold)
	}
	bad := p.Parse("FROBNICATE everything")
	if bad.Err == nil || bad.Summary == nil || bad.Summary.ReadOnly {
		t.Errorf("unparseable text: err=%v summary=%+v; want an error and a conservative primary-bound summary", bad.Err, bad.Summary)
	}
}

func TestSetRulesReplacesRoutingAtRunTime(t *testing.T) {
	p := New(nil)
	req := &Request{Facts: &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true}, User: "cron"}
	if d := p.Route(snapshot(), req); d.Pool != "primary" {
		t.Fatalf("before: pool %q", d.Pool)
	}
	p.SetRules([]config.Rule{{Match: config.Match{User: "cron"}, Pool: "batch"}})
	if d := p.Route(snapshot(), req); d.Pool != "batch" || d.Rule != 0 {
		t.Fatalf("after SetRules: pool %q rule %d", d.Pool, d.Rule)
	}
}

// ParseBytes looks the text up without copying it, so the Parsed it
// returns must own its text: the packet buffer is reused for the next
// command.
func TestParseBytesOwnsItsText(t *testing.T) {
	p := New(nil)
	buf := []byte("SELECT c FROM t WHERE id = 1")
	first := p.ParseBytes(buf)
	if first.SQL != string(buf) || first.Summary == nil || !first.Summary.ReadOnly {
		t.Fatalf("ParseBytes = %+v", first)
	}
	if again := p.ParseBytes(buf); again != first {
		t.Fatal("a statement seen before is not served from the facts cache")
	}
	if viaString := p.Parse(string(buf)); viaString != first {
		t.Fatal("Parse and ParseBytes do not share the facts cache")
	}
	copy(buf, "UPDATE")
	if first.SQL != "SELECT c FROM t WHERE id = 1" {
		t.Fatalf("Parsed.SQL changed with the buffer: %q", first.SQL)
	}
	if p.ParseBytes(buf) == first {
		t.Fatal("another text found the old statement's facts")
	}
}

// Every text of one statement shape shares one record of busy polling for
// its answers, so what a point select taught holds for the next id; another
// shape has its own.
func TestParseSharesTheReplyRecordPerDigest(t *testing.T) {
	p := New(nil)
	a := p.Parse("SELECT c FROM sbtest1 WHERE id = 17")
	b := p.ParseBytes([]byte("SELECT c FROM sbtest1 WHERE id = 4242"))
	scan := p.Parse("SELECT c FROM sbtest1 WHERE id BETWEEN 1 AND 100 ORDER BY c")
	if a.Reply == nil || a.Reply != b.Reply {
		t.Errorf("two point selects have reply records %p and %p, want one shared", a.Reply, b.Reply)
	}
	if scan.Reply == nil || scan.Reply == a.Reply {
		t.Errorf("a range scan shares the point select's reply record (%p)", scan.Reply)
	}
}

// Texts that differ only in literal values (an application that inlines
// its ids) are parsed once per shape: each gets its own text and digest
// and the shape's facts. Statements whose facts hold a value are parsed
// text by text.
func TestParseSharesFactsPerShape(t *testing.T) {
	p := New(nil)
	first := p.ParseBytes([]byte("SELECT c FROM sbtest1 WHERE id = 1"))
	buf := make([]byte, 0, 64)
	for id := 2; id <= 200; id++ {
		buf = fmt.Appendf(buf[:0], "SELECT c FROM sbtest1 WHERE id = %d", id)
		text := string(buf)
		got := p.ParseBytes(buf)
		copy(buf, "XXXXXX") // the packet buffer is reused: the parse must own its text
		want, err := sqlparse.Classify(text)
		if err != nil {
			t.Fatal(err)
		}
		if got.SQL != text || got.Summary.Text != text || got.Summary != got.Statements[0] || got.Err != nil {
			t.Fatalf("%q parsed as %q (facts of %q)", text, got.SQL, got.Summary.Text)
		}
		if !reflect.DeepEqual(got.Summary, want) {
			t.Fatalf("%q: facts\n%+v\nwant\n%+v", text, got.Summary, want)
		}
		if got.Reply != first.Reply {
			t.Fatalf("%q has its own reply record", text)
		}
		// A parse of its own would have made its own list of tables.
		if &got.Summary.Tables[0] != &first.Summary.Tables[0] {
			t.Fatalf("%q was parsed again, not served from its shape", text)
		}
		if again := p.ParseBytes([]byte(text)); again != got {
			t.Fatalf("%q a second time is not served from the facts cache", text)
		}
	}
	if st := p.ParseStats(); st != (ParseStats{Shaped: 199, Parsed: 1}) {
		t.Errorf("after 200 texts of one shape, each twice: %+v, want 199 shaped and 1 parsed", st)
	}
	for _, tc := range []struct{ a, b string }{
		{"SET autocommit = 0", "SET autocommit = 1"}, // facts that hold the value
		{"KILL 5", "KILL 6"},
		// One shape whose parser digest keeps a literal: each text gets
		// the digest the parser gives it.
		{"SELECT'*'A", "SELECT'z'A"},
		{"SELECT'z'B", "SELECT'*'B"},
		{"SELECT a FROM t ORDER BY 1", "SELECT a FROM t ORDER BY 2"},
		{"SELECT a, COUNT(*) FROM t WHERE b = 3 GROUP BY 1", "SELECT a, COUNT(*) FROM t WHERE b = 4 GROUP BY 2"},
	} {
		p.Parse(tc.a)
		got := p.ParseBytes([]byte(tc.b))
		want, _ := sqlparse.Classify(tc.b)
		if !reflect.DeepEqual(got.Summary, want) {
			t.Errorf("%q after %q: facts\n%+v\nwant\n%+v", tc.b, tc.a, got.Summary, want)
		}
	}
}

// A long statement (a bulk INSERT) is parsed each time rather than kept:
// the cache would otherwise hold megabytes per entry.
func TestParseDoesNotKeepLongTexts(t *testing.T) {
	p := New(nil)
	var b strings.Builder
	b.WriteString("INSERT INTO t (a, b) VALUES (0, 'x')")
	for i := 1; b.Len() <= maxCachedText; i++ {
		fmt.Fprintf(&b, ", (%d, 'x')", i)
	}
	long := b.String()
	first := p.Parse(long)
	if first.Summary.Kind != sqlparse.KindInsert || first.Err != nil {
		t.Fatalf("a long INSERT parsed as %+v, %v", first.Summary, first.Err)
	}
	if p.Parse(long) == first {
		t.Error("a text longer than maxCachedText was kept in the facts cache")
	}
	if n := p.facts.n.Load() + p.facts.nShapes.Load(); n != 0 {
		t.Errorf("%d cache entries after two long texts, want none", n)
	}
}

// Sessions parse at once: texts of one shape from several goroutines each
// get their own facts.
func TestParseShapesConcurrently(t *testing.T) {
	p := New(nil)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				text := fmt.Sprintf("SELECT c FROM t WHERE id = %d AND k = '%d'", g*1000+i, i)
				got := p.ParseBytes([]byte(text))
				if got.SQL != text || got.Summary.Text != text || !got.Summary.ReadOnly {
					t.Errorf("%q parsed as %q", text, got.Summary.Text)
					return
				}
			}
		}()
	}
	wg.Wait()
	if st := p.ParseStats(); st.Shaped+st.Parsed != 2000 || st.Parsed > 4 {
		t.Errorf("2000 texts of one shape from 4 goroutines: %+v, want at most one parse each", st)
	}
}
