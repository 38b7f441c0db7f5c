package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
)

func TestRulesCommand(t *testing.T) {
	e := newCLIEnv(t)
	e.planner.SetRules([]config.Rule{
		{Match: config.Match{User: "cron", Tables: []string{"entries", "comments"}}, Pool: "batch", Cache: config.Duration(30 * time.Second), Timeout: config.Duration(time.Minute)},
		{Match: config.Match{Digest: "delete from `comments`"}, Refuse: "no unbounded deletes"},
		{Match: config.Match{Tables: []string{"entries"}}, Rewrite: &config.Rewrite{From: "(?i)order by id$", To: "ORDER BY id LIMIT 10"}},
	})
	read := &sqlparse.Facts{Kind: sqlparse.KindSelect, ReadOnly: true, Tables: []sqlparse.TableRef{{Name: "comments"}}}
	for range 2 {
		e.planner.Route(e.topo.Load(), &planner.Request{Facts: read, User: "cron"})
	}

	out := mustRun(t, runRules, "-c", e.path)
	t.Logf("\n%s", out)
	wantLines(t, out,
		"RULE       HITS  ACTION                                                MATCH\n",
		"routing.0  2     pool batch, cache 30s, timeout 1m0s                   tables: entries,comments; user: cron\n",
		"routing.1  0     refuse: no unbounded deletes                          digest: delete from `comments`\n",
		"routing.2  0     rewrite \"(?i)order by id$\" to \"ORDER BY id LIMIT 10\"  tables: entries\n",
	)
	out = mustRun(t, runRules, "-json", "-c", e.path)
	var view admin.RulesView
	if err := json.Unmarshal([]byte(out), &view); err != nil || len(view.Rules) != 3 || view.Rules[0].Hits != 2 {
		t.Errorf("-json: %v\n%s", err, out)
	}
}
