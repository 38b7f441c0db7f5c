package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/wire"
)

// uniqueChecked runs work on the write's own routes, then the plan's
// checks of the columns kept unique across shards (planner's
// shard_unique.go) on every route's connection, in the write's
// transaction: a value more than one shard holds fails the write, which
// is then rolled back on every shard.
func uniqueChecked(plan *planner.ShardPlan, work shardWork) shardWork {
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		n := len(conns)
		for n > 0 && conns[n-1].route.CheckOnly {
			n--
		}
		w, failed, err := work(ctx, conns[:n])
		if err != nil {
			return w, failed, err
		}
		sc, err := checkUnique(ctx, plan, distinctConns(conns))
		return w, sc, err
	}
}

// checkUnique counts each checked value's rows on every shard; it
// returns the connection that failed, or a duplicate's error (with no
// connection: none failed).
func checkUnique(ctx context.Context, plan *planner.ShardPlan, conns []*shardConn) (*shardConn, error) {
	for _, c := range plan.Unique {
		var holders []string
		for _, sc := range conns {
			n, err := countRows(ctx, sc.conn, c.Query())
			if err != nil {
				return sc, err
			}
			if n > 0 {
				holders = append(holders, sc.route.Cluster)
			}
		}
		if len(holders) < 2 {
			continue
		}
		value := strings.Trim(c.Value, "'")
		if plan.UniqueRefusal != "" {
			return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: %s is kept unique across shards and %s is already on shard %s; on one server %s, which Strata does not do across shards: nothing was written. Write the row without it, or change that row first",
				c.Column, c.Value, otherThan(holders, plan), plan.UniqueRefusal)
		}
		return nil, wire.NewError(wire.ErDupEntry, "Duplicate entry '%s' for key '%s'", value, c.Column)
	}
	return nil, nil
}

// countRows runs a COUNT(*) query on c. Its error is the server's, or a
// deadlock's where Strata interrupted the read to end one across servers
// (backend.DeadlockError).
func countRows(ctx context.Context, c *backend.Conn, sql string) (int64, error) {
	rows, err := c.QueryRows(ctx, sql)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	r, err := rows.Next(ctx)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(r[0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading a count of %q: %w", sql, err)
	}
	if _, err := rows.Next(ctx); !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("reading the end of %q: %v", sql, err)
	}
	return n, nil
}

// otherThan names the shards of holders that the write did not write.
func otherThan(holders []string, plan *planner.ShardPlan) string {
	var out []string
	for _, h := range holders {
		written := false
		for _, r := range plan.Routes {
			written = written || r.Cluster == h && !r.CheckOnly
		}
		if !written {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		out = holders
	}
	return strings.Join(out, ", ")
}

// uniqueIsolation refuses a write that checks unique columns in a
// session whose transactions read committed rows only: the checks'
// locking reads then lock no gap, so a write of the same value on another
// shard would not wait for this one.
func (s *Session) uniqueIsolation(plan *planner.ShardPlan) error {
	if len(plan.Unique) == 0 {
		return nil
	}
	level := strings.ToUpper(s.vars.m["transaction_isolation"])
	if strings.Contains(level, "COMMITTED") {
		return wire.NewError(wire.ErNotSupportedYet, "Strata: this write gives %s a value Strata checks is unique across shards, which needs REPEATABLE READ or SERIALIZABLE: under %s the check cannot keep another shard from taking the value meanwhile. Set transaction_isolation = 'REPEATABLE-READ' for the write",
			plan.Unique[0].Column, strings.Trim(level, "'\""))
	}
	return nil
}
