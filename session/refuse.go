package session

import (
	"fmt"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// refusal returns the refuse rule (`routing: - {match: ..., refuse: MESSAGE}`)
// that matches any of stmts, as this session would run them: its index
// and message, or -1. explain asks without running (not a hit of the rule).
func (s *Session) refusal(stmts []*sqlparse.Facts, explain bool) (int, string) {
	for _, f := range stmts {
		if i, msg := s.env.Planner.Refusal(&planner.Request{Facts: f, User: s.User, Schema: s.DB, ClientAddr: s.ClientAddr, Explain: explain}); i >= 0 {
			return i, msg
		}
	}
	return -1, ""
}

// rewritten applies the first rewrite rule (`routing: - {match: ...,
// rewrite: {from, to}}`) that matches the statement sql, parsed as
// parsed, as this session would run it: its index, the new text and its
// parse, or -1 and the statement as it was. Only a single statement is
// rewritten: a rule written for one statement's text must not reach into
// the next of a multi-statement query. explain asks without running (not
// a hit of the rule). A rule whose text holds several statements is an
// error: the client would get answers it did not ask for.
func (s *Session) rewritten(parsed *planner.Parsed, sql string, explain bool) (int, string, *planner.Parsed, *wire.Error) {
	if len(parsed.Statements) > 1 {
		return -1, sql, parsed, nil
	}
	rule, text := s.env.Planner.Rewrite(&planner.Request{Facts: parsed.Summary, User: s.User, Schema: s.DB, ClientAddr: s.ClientAddr, Explain: explain}, sql)
	if rule < 0 {
		return -1, sql, parsed, nil
	}
	re := s.parse(text)
	if len(re.Statements) > 1 {
		return rule, text, re, wire.NewError(wire.ErOptionPreventsStmt, "Strata: routing rule %d rewrote this statement into %d statements; a rewrite must leave one statement: fix the rule's rewrite.to", rule, len(re.Statements))
	}
	return rule, text, re, nil
}

// refuseByRule answers a statement a refuse rule matched, and counts it in
// the statistics under route "refused", so `strata queries` shows what the
// rule stopped and how often.
func (s *Session) refuseByRule(f *sqlparse.Facts, rule int, msg string) error {
	s.env.Stats.Record(s.statsKey(f, "refused", "strata", fmt.Sprintf("routing.%d", rule)), querystats.Outcome{Failed: true})
	return s.refuse(errRefused(rule, msg))
}

// errRefused is the error a refuse rule answers with: ER_OPTION_PREVENTS_STATEMENT
// (1290, HY000), "the server's configuration prevents this statement".
func errRefused(rule int, msg string) *wire.Error {
	return wire.NewError(wire.ErOptionPreventsStmt, "Strata: statement refused by routing rule %d: %s", rule, msg)
}

// statements is parsed's statements, or its summary for a text the parser
// could not split.
func statements(parsed *planner.Parsed) []*sqlparse.Facts {
	if parsed.Statements != nil {
		return parsed.Statements
	}
	return []*sqlparse.Facts{parsed.Summary}
}
