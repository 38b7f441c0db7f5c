package session

import (
	"context"
	"fmt"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/wire"
)

// clockKeyLoad narrows plan, a LOAD DATA whose every row takes the
// statement's time as its shard key (LoadPlan.ClockKey), to the one route
// that owns that time: it reads the key's expression first, where the
// session's statements without tables run (with its time_zone), keeps
// the route of the shard, or the period table, that holds the value, has
// every row go there, and runs the load at the instant read, so each row
// stores the value it was placed by. plan itself, which the plan cache
// may share, is left as it was.
func (s *Session) clockKeyLoad(ctx context.Context, plan *planner.ShardPlan) (*planner.ShardPlan, error) {
	lp := plan.Load
	values, err := s.evaluate(ctx, s.clockOf([]string{lp.ClockKey}))
	if err != nil {
		return nil, fmt.Errorf("reading %s, the shard key of the rows loaded into %s: %w", lp.ClockKey, lp.Table.Name, err)
	}
	clock := ""
	if len(values) > 1 {
		clock = values[1]
	}
	v, err := shard.ParseLiteral(values[0])
	if err != nil {
		return nil, fmt.Errorf("reading %s = %s, the shard key of the rows loaded into %s: %w", lp.ClockKey, values[0], lp.Table.Name, err)
	}
	// The route that owns v: its period table's, or its shard's.
	where, byTable := "", lp.Periods != nil
	if byTable {
		where = lp.Periods.PeriodTable(v)
	} else if where, err = s.env.Sharding.RowShard(ctx, lp.Table, v); err != nil {
		return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: LOAD DATA into %s: its rows' %s, %s, places them on no shard: %v", lp.Table.Name, lp.KeyColumn, values[0], err)
	}
	for _, r := range plan.Routes {
		if byTable && (len(r.Tables) != 1 || r.Tables[0] != where) || !byTable && r.Cluster != where {
			continue
		}
		r.SQL = s.atOneTime(r.SQL, clock)
		narrowed, load := *plan, *lp
		load.KeyColumn, load.Periods, load.ClockKey = "", nil, "" // every row to the one route
		narrowed.Load, narrowed.Routes = &load, []planner.ShardRoute{r}
		return &narrowed, nil
	}
	return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: LOAD DATA into %s: its rows' %s is %s, whose period table %s does not exist: create it (strata shards precreate)", lp.Table.Name, lp.KeyColumn, values[0], where)
}
