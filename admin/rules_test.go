package admin

import (
	"net/http"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
)

func TestRules(t *testing.T) {
	e := newEnv(t)
	var view RulesView
	if code := e.call(t, "GET", "/api/rules", "", &view); code != http.StatusNotFound {
		t.Fatalf("without a planner: status %d, want 404", code)
	}
	p := planner.New([]config.Rule{
		{Match: config.Match{User: "cron"}, Pool: "batch", Timeout: config.Duration(time.Minute)},
		{Match: config.Match{Tables: []string{"comments"}}, Pool: "comments", Cache: config.Duration(30 * time.Second)},
		{Match: config.Match{Digest: "delete from `comments`"}, Refuse: "no unbounded deletes"},
		{Match: config.Match{Tables: []string{"comments"}}, Rewrite: &config.Rewrite{From: "(?i)order by id$", To: "ORDER BY id LIMIT 10"}},
	})
	e.srv.Planner = p
	snap := &topology.Snapshot{DefaultCluster: "main", Clusters: map[string]*topology.Cluster{"main": {Name: "main", DefaultPool: "primary", Primary: &topology.Server{Addr: "p:1"}}}}
	read := &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true, Tables: []sqlparse.TableRef{{Name: "comments"}}}
	for range 3 {
		p.Route(snap, &planner.Request{Facts: read, User: "app"}) // rule 1
	}
	p.Route(snap, &planner.Request{Facts: read, User: "cron"})                // rule 0
	p.Route(snap, &planner.Request{Facts: read, User: "cron", Explain: true}) // a question: not a hit
	p.Refusal(&planner.Request{Facts: &sqlparse.Facts{Kind: sqlparse.KindDelete, Digest: "delete from `comments`"}})
	p.Rewrite(&planner.Request{Facts: read}, "SELECT * FROM comments ORDER BY id")

	if code := e.call(t, "GET", "/api/rules", "", &view); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	want := []RuleView{
		{Name: "routing.0", Match: MatchView{User: "cron"}, Pool: "batch", Timeout: "1m0s", Hits: 1},
		{Name: "routing.1", Match: MatchView{Tables: []string{"comments"}}, Pool: "comments", Cache: "30s", Hits: 3},
		{Name: "routing.2", Match: MatchView{Digest: "delete from `comments`"}, Refuse: "no unbounded deletes", Hits: 1},
		{Name: "routing.3", Match: MatchView{Tables: []string{"comments"}}, Rewrite: &RewriteView{From: "(?i)order by id$", To: "ORDER BY id LIMIT 10"}, Hits: 1},
	}
	if len(view.Rules) != len(want) {
		t.Fatalf("rules %+v, want %+v", view.Rules, want)
	}
	for i, w := range want {
		g := view.Rules[i]
		if g.Name != w.Name || g.Pool != w.Pool || g.Cache != w.Cache || g.Timeout != w.Timeout || g.Refuse != w.Refuse || g.Hits != w.Hits ||
			(g.Rewrite == nil) != (w.Rewrite == nil) || g.Rewrite != nil && *g.Rewrite != *w.Rewrite ||
			g.Match.User != w.Match.User || g.Match.Digest != w.Match.Digest || len(g.Match.Tables) != len(w.Match.Tables) {
			t.Errorf("rule %d = %+v, want %+v", i, g, w)
		}
	}
	if view.Since.IsZero() || time.Since(view.Since) > time.Minute {
		t.Errorf("since = %v, want when the rules were loaded", view.Since)
	}
	// A reload starts the rules and their counts over.
	p.SetRules([]config.Rule{{Match: config.Match{User: "cron"}, Pool: "batch"}})
	if e.call(t, "GET", "/api/rules", "", &view); len(view.Rules) != 1 || view.Rules[0].Hits != 0 {
		t.Errorf("after SetRules: %+v, want one rule with no hits", view.Rules)
	}
}
