package pooling

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

// The on-call flow a refuse rule is for: a statement shape hurts the
// servers; the operator finds its digest in the statistics, adds a rule
// that refuses it, reloads, and later removes the rule — no deploy, no
// restart. Refused statements never reach a server, in or out of a
// transaction, as text or as prepared statements.
func TestRefuseRuleStopsAStatementShapeAtRunTime(t *testing.T) {
	env.Setup(t,
		"DROP TABLE IF EXISTS blog.reports, blog.notes, blog.notes_copy",
		"CREATE TABLE blog.reports (id INT PRIMARY KEY, body VARCHAR(50))",
		"INSERT INTO blog.reports VALUES (1, 'alpha'), (2, 'beta')",
		"CREATE TABLE blog.notes (id INT PRIMARY KEY, body VARCHAR(50))")
	s, base := startRulesStrata(t)
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	cron := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "cron", "cron", "blog"))

	const heavy = "SELECT COUNT(*) FROM reports WHERE body LIKE ?"
	// Before any rule the statement runs (so the refusals below are the rule's doing).
	if got := testenv.Strings(t, app, strings.Replace(heavy, "?", "'%a%'", 1)); strings.Join(got, ",") != "2" {
		t.Fatalf("before the rule: %v", got)
	}
	digest := digestOf(t, s, "reports")
	stmt, err := app.Prepare(heavy) // prepared before the rule exists
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()

	rules := fmt.Sprintf(`  - {match: {digest: %q}, refuse: "report query disabled during the sale"}
  - {match: {tables: [notes], user: cron}, refuse: "cron may not write notes"}
`, digest)
	reload(t, s, strings.Replace(base, "routing:\n", "routing:\n"+rules, 1))

	wantRefused := func(t *testing.T, what string, err error, rule int) {
		t.Helper()
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1290 || string(me.SQLState[:]) != "HY000" ||
			!strings.Contains(me.Message, fmt.Sprintf("refused by routing rule %d", rule)) {
			t.Fatalf("%s: got %v, want error 1290 (HY000) naming routing rule %d", what, err, rule)
		}
	}
	explain := testenv.Strings(t, app, "EXPLAIN STRATA "+strings.Replace(heavy, "?", "'%q%'", 1))
	if len(explain) != 1 || !strings.HasPrefix(explain[0], "refuse|") || !strings.Contains(explain[0], "report query disabled during the sale") {
		t.Errorf("EXPLAIN STRATA of a refused statement = %q, want one refuse step with the rule's message", explain)
	}
	var n int
	wantRefused(t, "text query, other literal", app.QueryRow(strings.Replace(heavy, "?", "'%zz%'", 1)).Scan(&n), 0)
	wantRefused(t, "statement prepared before the rule", stmt.QueryRow("%b%").Scan(&n), 0)
	_, err = app.Prepare(heavy)
	wantRefused(t, "new PREPARE", err, 0)

	tx, err := app.Begin()
	if err != nil {
		t.Fatal(err)
	}
	wantRefused(t, "in a transaction", tx.QueryRow(strings.Replace(heavy, "?", "'%a%'", 1)).Scan(&n), 0)
	if _, err := tx.Exec("INSERT INTO notes VALUES (1, 'app in tx')"); err != nil {
		t.Fatalf("the transaction after a refusal: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit after a refusal: %v", err)
	}

	_, err = cron.Exec("INSERT INTO notes VALUES (2, 'cron')")
	wantRefused(t, "cron's write", err, 1)
	if got := testenv.Strings(t, app, "SELECT id FROM notes /* strata:primary */ ORDER BY id"); strings.Join(got, ",") != "1" {
		t.Fatalf("notes on the primary = %v, want only app's row 1 (cron's refused insert must not reach it)", got)
	}
	if got := testenv.Strings(t, cron, "SELECT body FROM reports WHERE id = 2"); strings.Join(got, ",") != "beta" {
		t.Fatalf("a statement no rule refuses: %v", got)
	}

	refused := refusedRows(t, s)
	if refused["routing.0"] < 4 || refused["routing.1"] != 1 {
		t.Errorf("statistics of refused statements by rule = %v, want ≥ 4 for routing.0 and 1 for routing.1", refused)
	}
	// GET /api/rules counts the same refusals as hits (the EXPLAIN above is
	// a question, not a hit).
	var view admin.RulesView
	getJSON(t, "http://"+s.AdminAddr()+"/api/rules", &view)
	for _, r := range view.Rules[:2] {
		if r.Hits != refused[r.Name] {
			t.Errorf("%s: %d hits in /api/rules, %d refusals in the statistics", r.Name, r.Hits, refused[r.Name])
		}
	}

	reload(t, s, base)
	if err := stmt.QueryRow("%b%").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the rule was removed: %d, %v", n, err)
	}

	// A read-only mode for a maintenance: every write refused, reads served.
	reload(t, s, strings.Replace(base, "routing:\n", "routing:\n  - {match: {writes: true}, refuse: \"read-only while the primary moves\"}\n", 1))
	_, err = app.Exec("INSERT INTO notes VALUES (3, 'during the move')")
	wantRefused(t, "a write in read-only mode", err, 0)
	_, err = app.Exec("CREATE TABLE notes_copy (id INT)")
	wantRefused(t, "DDL in read-only mode", err, 0)
	if got := testenv.Strings(t, app, "SELECT COUNT(*) FROM notes /* strata:primary */"); strings.Join(got, ",") != "1" {
		t.Fatalf("a read in read-only mode: %v, want the one row", got)
	}
}

// startRulesStrata starts a Strata of the test's own, whose rules it
// changes by reloads, and returns it with its config.
func startRulesStrata(t *testing.T) (*server.Strata, string) {
	t.Helper()
	base := fmt.Sprintf(topology, "eventual")
	s, err := testenv.StartStrata(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, base
}

// digestOf finds the statistics row of the one statement read table.
func digestOf(t *testing.T, s *server.Strata, table string) string {
	t.Helper()
	for _, r := range queryStats(t, s, table) {
		return r.Digest
	}
	t.Fatalf("no statistics row mentions %s", table)
	return ""
}

// refusedRows counts refused statements per rule ("routing.N").
func refusedRows(t *testing.T, s *server.Strata) map[string]uint64 {
	out := map[string]uint64{}
	for _, r := range queryStats(t, s, "") {
		if r.Route == "refused" {
			if r.Errors != r.Count {
				t.Errorf("refused row %+v: every refusal is an error", r)
			}
			out[r.Server] += r.Count
		}
	}
	return out
}

func queryStats(t *testing.T, s *server.Strata, contains string) []querystats.Row {
	t.Helper()
	var snap querystats.Snapshot
	getJSON(t, "http://"+s.AdminAddr()+"/api/queries?limit=0&contains="+url.QueryEscape(contains), &snap)
	return snap.Rows
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

func reload(t *testing.T, s *server.Strata, yaml string) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
}
