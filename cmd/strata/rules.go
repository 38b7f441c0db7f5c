package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/strata-proxy/strata/admin"
)

const rulesUsage = `usage: strata rules [-c FILE] [-json]

Shows a running Strata's routing rules in the order it tries them, each
with how many statements it decided since the rules were loaded: whether
a rule matches what it was written for.
`

// runRules implements `strata rules`.
func runRules(args []string) error {
	fs, af := newAdminFlagSet("rules", rulesUsage, true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var view admin.RulesView
	if printed, err := callView(af, "GET", "/api/rules", nil, &view); printed || err != nil {
		return err
	}
	fmt.Fprintf(cliOut, "hits since %s\n", view.Since.Local().Format("2006-01-02 15:04:05"))
	tw := newTable()
	fmt.Fprintln(tw, "RULE\tHITS\tACTION\tMATCH")
	for _, r := range view.Rules {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.Name, r.Hits, ruleAction(r), matchText(r.Match))
	}
	return tw.Flush()
}

func ruleAction(r admin.RuleView) string {
	if r.Refuse != "" {
		return "refuse: " + r.Refuse
	}
	if r.Rewrite != nil {
		return fmt.Sprintf("rewrite %q to %q", r.Rewrite.From, r.Rewrite.To)
	}
	parts := []string{"pool " + r.Pool}
	if r.Cache != "" {
		parts = append(parts, "cache "+r.Cache)
	}
	if r.Timeout != "" {
		parts = append(parts, "timeout "+r.Timeout)
	}
	if r.MaxRunning > 0 {
		parts = append(parts, fmt.Sprintf("max_running %d (%d now)", r.MaxRunning, r.Running))
	}
	return strings.Join(parts, ", ")
}

func matchText(m admin.MatchView) string {
	conds := map[string]string{"user": m.User, "schema": m.Schema, "client": m.Client, "digest": m.Digest, "pattern": m.Pattern, "hint": m.Hint}
	if len(m.Tables) > 0 {
		conds["tables"] = strings.Join(m.Tables, ",")
	}
	if m.Writes {
		conds["writes"] = "yes"
	}
	var parts []string
	for k, v := range conds {
		if v != "" {
			parts = append(parts, k+": "+v)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
