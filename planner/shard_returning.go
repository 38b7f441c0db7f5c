package planner

import (
	"context"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/sqlparse"
)

// planReturning plans MariaDB's INSERT/REPLACE/DELETE ... RETURNING: the
// write without the clause is planned as any write (routed by its rows'
// keys, or run on every shard), and the clause is put back at the end of
// each route's statement, so each shard answers with the rows it wrote or
// deleted. Plans that run other statements than the client's on the
// shards (rows that move shards, files split by row) are refused.
func (s *Sharding) planReturning(ctx context.Context, m sqlparse.Mode, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	at := m.ReturningOffset(sql)
	if at < 0 {
		return nil, refuse("Strata could not find where the RETURNING clause of this statement begins; write the clause last, after the whole %s", strings.ToUpper(f.Kind.String()))
	}
	clause := strings.TrimRight(strings.TrimSpace(sql[at:]), "; \t\r\n")
	head := strings.TrimSpace(sql[:at])
	// A prepared statement's values bind the write's placeholders first,
	// then the clause's: each route's text gets the clause with its own
	// values written in, its template the clause as the client wrote it.
	bound := clause
	if args != nil && sqlparse.HasPlaceholder(clause) {
		_, n := m.BindPlaceholders(head, nil)
		if n > len(args) {
			return nil, refuse("the prepared %s has more ? placeholders than its %d values", strings.ToUpper(f.Kind.String()), len(args))
		}
		bound, _ = m.BindPlaceholders(clause, args[n:])
		args = args[:n]
	}
	write := *f
	write.Returning = ""
	p, err := s.plan(ctx, m, head, &write, args)
	if p == nil {
		return nil, err
	}
	if p.LimitWalk {
		return nil, refuse("RETURNING on a %s with LIMIT over several shards is not supported: give the shard key in WHERE, or drop RETURNING and read the rows with a SELECT first", strings.ToUpper(f.Kind.String()))
	}
	if (p.Kind != PlanRelay && p.Kind != PlanWrite) || p.Move != nil || p.SchemaChange {
		return nil, refuse("RETURNING on this %s is not supported: Strata runs it as a %s plan, whose shard statements are not the client's (%s). Drop RETURNING and read the rows with a SELECT", strings.ToUpper(f.Kind.String()), p.Kind, p.Reason)
	}
	p.Routes = slices.Clone(p.Routes) // the plan may share them with a cache
	for i := range p.Routes {
		r := &p.Routes[i]
		routeBound, routeClause := bound, clause
		if len(r.Tables) == 1 && len(f.WriteTables) > 0 && r.Tables[0] != f.WriteTables[0].Name {
			// A period table: the clause's posts.id names it.
			routeBound = m.RenameQualifier(bound, f.WriteTables[0].Name, r.Tables[0])
			routeClause = m.RenameQualifier(clause, f.WriteTables[0].Name, r.Tables[0])
		}
		r.SQL += " " + routeBound
		if r.Template != "" {
			r.Template += " " + routeClause
		}
	}
	p.Returning = true
	p.Reason += "; RETURNING: each shard answers with its rows, sent as one result set"
	return p, err
}
