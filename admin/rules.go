package admin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/strata-proxy/strata/planner"
)

// RulesView is GET /api/rules: the routing rules in the order they are
// tried, each with how many statements it decided since Since — like
// ProxySQL's stats_mysql_query_rules, so an operator sees whether a rule
// matches what it was written for.
type RulesView struct {
	Since time.Time  `json:"since"`
	Rules []RuleView `json:"rules"`
}

// RuleView is one routing rule.
type RuleView struct {
	Name    string    `json:"name"` // routing.N, as in config errors and refusals
	Match   MatchView `json:"match"`
	Pool    string    `json:"pool,omitempty"`
	Cache   string    `json:"cache,omitempty"`
	Timeout string    `json:"timeout,omitempty"`
	Refuse  string    `json:"refuse,omitempty"`
	// Rewrite is a rewrite rule's regular expression and replacement.
	Rewrite *RewriteView `json:"rewrite,omitempty"`
	// MaxRunning and Running: the rule's bound on statements at once,
	// and how many run now.
	MaxRunning int    `json:"max_running,omitempty"`
	Running    int    `json:"running,omitempty"`
	Hits       uint64 `json:"hits"`
}

// RewriteView is what a rewrite rule replaces in a statement's text, and
// by what.
type RewriteView struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// MatchView is a rule's conditions; absent ones are left out.
type MatchView struct {
	Tables  []string `json:"tables,omitempty"`
	User    string   `json:"user,omitempty"`
	Schema  string   `json:"schema,omitempty"`
	Client  string   `json:"client,omitempty"`
	Digest  string   `json:"digest,omitempty"`
	Pattern string   `json:"pattern,omitempty"`
	Hint    string   `json:"hint,omitempty"`
	Writes  bool     `json:"writes,omitempty"`
}

// NewRulesView describes the planner's current rules.
func NewRulesView(p *planner.Planner) RulesView {
	since, stats := p.Rules()
	v := RulesView{Since: since, Rules: []RuleView{}}
	for _, st := range stats {
		r := st.Rule
		m := r.Match
		var rewrite *RewriteView
		if r.Rewrite != nil {
			rewrite = &RewriteView{From: r.Rewrite.From, To: r.Rewrite.To}
		}
		v.Rules = append(v.Rules, RuleView{
			Name:       fmt.Sprintf("routing.%d", st.Index),
			Match:      MatchView{Tables: m.Tables, User: m.User, Schema: m.Schema, Client: m.Client, Digest: m.Digest, Pattern: m.Pattern, Hint: m.Hint, Writes: m.Writes},
			Pool:       r.Pool,
			Cache:      durationText(r.Cache.D()),
			Timeout:    durationText(r.Timeout.D()),
			Refuse:     r.Refuse,
			Rewrite:    rewrite,
			MaxRunning: r.MaxRunning,
			Running:    st.Running,
			Hits:       st.Hits,
		})
	}
	return v
}

// rules answers GET /api/rules.
func (s *Server) rules(w http.ResponseWriter, r *http.Request) {
	if s.Planner == nil {
		writeError(w, http.StatusNotFound, "routing rules are not available")
		return
	}
	writeJSON(w, http.StatusOK, NewRulesView(s.Planner))
}
