package pooling

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/test/testenv"
)

// The on-call flow a rewrite rule is for: an application sends a
// statement that hurts (no LIMIT, the wrong pool, a plain INSERT that
// fails on duplicates); the operator adds a rule that changes its text,
// reloads, and later removes it — no deploy, no restart. The new text is
// what runs, as text and as a prepared statement, and the other rules
// route it as if the client had sent it.
func TestRewriteRuleChangesAStatementAtRunTime(t *testing.T) {
	env.Setup(t,
		"DROP TABLE IF EXISTS blog.rw_items",
		"CREATE TABLE blog.rw_items (id INT PRIMARY KEY, body VARCHAR(50))",
		"INSERT INTO blog.rw_items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')")
	s, base := startRulesStrata(t)
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	multi := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog", "multiStatements=true"))

	const newest = "SELECT id FROM rw_items ORDER BY id DESC"
	const where = "SELECT @@port FROM rw_items /* report */ LIMIT 1"
	// Before any rule: the statements as written.
	if got := testenv.Strings(t, app, newest); strings.Join(got, ",") != "5,4,3,2,1" {
		t.Fatalf("before the rules: %v", got)
	}
	if got := testenv.Strings(t, app, where); got[0] == "18309" {
		t.Fatalf("before the rules the read ran on the batch replica: %v", got)
	}

	rules := `  - {match: {tables: [rw_items]}, rewrite: {from: '(?i)ORDER BY id DESC$', to: 'ORDER BY id DESC LIMIT 2'}}
  - {rewrite: {from: '^SELECT (.*) FROM rw_items /\* report \*/', to: 'SELECT /* strata:pool=report */ $1 FROM rw_items'}}
  - {match: {writes: true}, rewrite: {from: '^INSERT INTO rw_items', to: 'INSERT IGNORE INTO rw_items'}}
  - {match: {tables: [rw_items]}, rewrite: {from: 'WHERE id = 3$', to: 'WHERE id = 3; DELETE FROM rw_items'}}
`
	reload(t, s, strings.Replace(base, "routing:\n", "routing:\n"+rules, 1))

	t.Run("text", func(t *testing.T) {
		if got := testenv.Strings(t, app, newest); strings.Join(got, ",") != "5,4" {
			t.Errorf("rewritten with a LIMIT: %v, want 5,4", got)
		}
	})
	t.Run("prepared", func(t *testing.T) {
		if got := testenv.Strings(t, app, "SELECT id FROM rw_items WHERE id < ? ORDER BY id DESC", 5); strings.Join(got, ",") != "4,3" {
			t.Errorf("a prepared statement rewritten when prepared: %v, want 4,3", got)
		}
	})
	// The hint the rewrite adds routes the read by the hint rule
	// (routing: {match: {hint: report}, pool: batch}): to 127.0.0.1:18309.
	t.Run("the other rules route the new text", func(t *testing.T) {
		for range 5 {
			if got := testenv.Strings(t, app, where); got[0] != "18309" {
				t.Fatalf("a read rewritten with the report hint ran on port %v, want the batch replica 18309", got)
			}
		}
	})
	t.Run("writes", func(t *testing.T) {
		res, err := app.Exec("INSERT INTO rw_items VALUES (1, 'again')")
		if err != nil {
			t.Fatalf("a duplicate insert rewritten to INSERT IGNORE: %v", err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("INSERT IGNORE of a duplicate affected %d rows", n)
		}
	})
	// A rule that makes two statements of one is the operator's mistake:
	// refused, never run (the DELETE it adds must not reach the server).
	t.Run("a rewrite into two statements", func(t *testing.T) {
		_, err := multi.Query("SELECT body FROM rw_items WHERE id = 3")
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1290 || !strings.Contains(me.Message, "routing rule 3 rewrote this statement into 2 statements") {
			t.Errorf("got %v, want error 1290 naming rule 3", err)
		}
		if got := testenv.Strings(t, app, "SELECT COUNT(*) FROM rw_items /* strata:primary */"); got[0] != "5" {
			t.Errorf("%v rows left after the refused rewrite, want 5", got)
		}
	})
	t.Run("not a multi-statement query", func(t *testing.T) {
		rows, err := multi.Query(newest + "; SELECT 1")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		if n != 5 {
			t.Errorf("the first result of a multi-statement query has %d rows, want all 5: it is not rewritten", n)
		}
	})
	t.Run("EXPLAIN STRATA", func(t *testing.T) {
		explain := testenv.Strings(t, app, "EXPLAIN STRATA "+newest)
		if len(explain) != 2 || !strings.HasPrefix(explain[0], "rewrite|") || !strings.Contains(explain[0], "routing.0 rewrites it to: SELECT id FROM rw_items ORDER BY id DESC LIMIT 2") || !strings.HasPrefix(explain[1], "route|") {
			t.Errorf("EXPLAIN STRATA of a rewritten statement = %q, want a rewrite step, then its route", explain)
		}
	})
	t.Run("seen in rules and statistics", func(t *testing.T) {
		var view admin.RulesView
		getJSON(t, "http://"+s.AdminAddr()+"/api/rules", &view)
		if r := view.Rules[0]; r.Rewrite == nil || r.Rewrite.To != "ORDER BY id DESC LIMIT 2" || r.Hits != 2 {
			t.Errorf("GET /api/rules shows %+v, want the rewrite with 2 hits (text, prepare; EXPLAIN is a question)", r)
		}
		if r := view.Rules[1]; r.Hits != 5 {
			t.Errorf("the hint rewrite has %d hits, want 5", r.Hits)
		}
		// Prometheus reads the same hits, with what each rule does.
		metrics := testenv.GetText(t, "http://"+s.AdminAddr()+"/metrics")
		for _, want := range []string{`strata_routing_rule_hits_total{action="rewrite",rule="routing.0"} 2`, `strata_routing_rule_hits_total{action="rewrite",rule="routing.1"} 5`, `strata_routing_rule_hits_total{action="pool",rule="routing.4"} 0`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		found := false
		for _, r := range queryStats(t, s, "rw_items") {
			found = found || strings.Contains(r.Digest, "desc limit")
		}
		if !found {
			t.Errorf("the statistics do not list the rewritten statement under its new digest")
		}
	})

	reload(t, s, base)
	if got := testenv.Strings(t, app, newest); strings.Join(got, ",") != "5,4,3,2,1" {
		t.Fatalf("after the rules were removed: %v", got)
	}
}
