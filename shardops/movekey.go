package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/shard"
)

// MoveKey moves one key of a lookup-sharded table (a big customer) to
// shard to: the rows of every table placed by the same lookup table, then
// the key's entry in the lookup table. Without apply it lists what would
// move. Run it with the key's writes stopped, and reload every running
// Strata afterwards: they cache the key's old shard (docs/sharding.md,
// "Moving lookup keys").
//
// The rows move first and the entry last, so an interrupted run is run
// again as it was: the entry still names the old shard, and rows already
// moved are found on the new one (Rebalance's resolved rows).
func MoveKey(ctx context.Context, layout *shard.Layout, open Opener, schema, table, key, to string, batch int, apply bool) ([]RebalanceReport, error) {
	t := layout.Table(table)
	switch {
	case t == nil || t.Placement != shard.PlaceSharded || t.Method.Name() != shard.MethodLookup:
		return nil, fmt.Errorf("%s is not a lookup-sharded table of the config", table)
	case !slices.Contains(t.Method.Shards(), to):
		return nil, fmt.Errorf("%s is not one of %s's shards (%s)", to, t.Name, strings.Join(t.Method.Shards(), ", "))
	}
	lookup, err := open(t.LookupCluster)
	if err != nil {
		return nil, err
	}
	keyCol := quoteIdent(t.Method.Key())
	var from string
	err = lookup.QueryRowContext(ctx, fmt.Sprintf("SELECT shard FROM %s WHERE %s = ?", qualified(schema, t.LookupTable), keyCol), key).Scan(&from)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s %s is not in lookup table %s: no row has it yet", t.Method.Key(), key, t.LookupTable)
	case err != nil:
		return nil, fmt.Errorf("reading lookup table %s: %w", t.LookupTable, err)
	case from == to:
		return nil, nil // already there
	}
	var out []RebalanceReport
	failed := false
	for _, other := range layout.Tables() {
		if other.Placement != shard.PlaceSharded || other.Method.Name() != shard.MethodLookup || !strings.EqualFold(other.LookupTable, t.LookupTable) {
			continue
		}
		rep := RebalanceReport{Table: other.Name, From: from, To: to}
		if err := moveMatching(ctx, open, schema, &rep, batch, apply, nil, quoteIdent(other.Method.Key())+" = ?", key); err != nil {
			rep.Error = err.Error()
		}
		failed = failed || rep.Error != "" || len(rep.Conflicts) > 0
		out = append(out, rep)
	}
	if apply && !failed {
		if _, err := lookup.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET shard = ? WHERE %s = ?", qualified(schema, t.LookupTable), keyCol), to, key); err != nil {
			return out, fmt.Errorf("the rows moved, but pointing %s %s at %s in lookup table %s failed (run it again): %w", t.Method.Key(), key, to, t.LookupTable, err)
		}
	}
	return out, nil
}
