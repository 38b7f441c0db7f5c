package session

import (
	"context"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// explainOnShards answers EXPLAIN of a statement over placed tables (an
// ORM's query log, a DBA looking for a missing index): the statement is
// planned as if it ran, and each shard query of the plan is explained on
// the shard (and period table) it would run on, with the client's
// EXPLAIN options. MariaDB's ANALYZE of a read is answered so too: each
// shard runs its query and shows the rows each step read. The rows come back as one result, the servers' own
// columns, shard query after shard query in the plan's order; EXPLAIN
// STRATA shows which shard each one is. args are a prepared statement's
// bound values, and binary its answer's protocol. handled is false for
// what is not EXPLAIN of such a statement (DESCRIBE t), which runs as
// before.
func (s *Session) explainOnShards(ctx context.Context, sql string, args []string, binary bool) (handled bool, err error) {
	head, stmt, ok := sqlparse.SplitExplain(sql)
	if !ok {
		return false, nil
	}
	parsed := s.parse(stmt)
	f := parsed.Summary
	if parsed.Err != nil && !f.Fallback || len(parsed.Statements) != 1 || !s.placed(f) {
		// (A statement the parser reads only with MariaDB's extensions
		// set aside, GROUP_CONCAT(... LIMIT n), is planned from its
		// stand-in: Sharding.Plan.)
		return false, nil
	}
	if f.Masked {
		return true, s.refuse(s.errMaskedPlaced())
	}
	if sqlparse.RunsExplained(head) && !f.ReadOnly {
		// ANALYZE runs what it explains: a write would run on each shard
		// outside the write path (its transaction, its checks).
		return true, s.refuse(wire.NewError(wire.ErNotSupportedYet,
			"Strata: ANALYZE of a write to placed tables is not supported: it would run the write on each shard outside Strata's write path. Run the write itself, and EXPLAIN it to see each shard's plan"))
	}
	plan, perr := s.env.Sharding.Plan(ctx, s.readingMode(), stmt, f, args)
	if perr != nil || plan.Kind == planner.PlanLoad {
		why := "it is a LOAD DATA"
		if perr != nil {
			why = perr.Error()
		}
		return true, s.refuse(wire.NewError(wire.ErNotSupportedYet,
			"Strata: EXPLAIN explains the queries a statement sends to the shards, and Strata does not send this one to the shards as it is (%s); EXPLAIN STRATA shows the steps Strata takes for it", why))
	}
	conns, cerr := s.takeConns(ctx, plan.Routes, false, true)
	if cerr != nil {
		return true, s.WriteError(cerr)
	}
	done := s.running(conns)
	defer func() { done(); s.giveBack(conns) }()
	var cols []engine.Column
	var packets [][]byte
	var out []engine.Row
	for _, sc := range conns {
		rows, got, err := s.readShard(ctx, sc, head+" "+sc.route.SQL)
		if err != nil {
			return true, s.WriteError(err)
		}
		if cols == nil {
			cols, packets = rows.Columns(), rows.ColumnPackets()
		}
		out = append(out, got...)
	}
	return true, s.sendRows(ctx, cols, packets, engine.NewSliceStream(out...), binary)
}
