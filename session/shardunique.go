package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/wire"
)

// uniqueChecked runs work on the write's own routes, then the write's
// checks of the columns kept unique across shards (planner's
// shard_unique.go; checks gives them once work has run) on every route's
// connection, in the write's transaction: a value more than one shard
// holds fails the write, which is then rolled back on every shard.
func uniqueChecked(plan *planner.ShardPlan, work shardWork, checks func() uniqueBatches) shardWork {
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		n := len(conns)
		for n > 0 && conns[n-1].route.CheckOnly {
			n--
		}
		var refused error
		var before []map[string][]string
		if plan.UniqueFirst {
			held, sc, err := heldElsewhere(ctx, plan, distinctConns(conns))
			var werr *wire.Error
			if err != nil && (sc != nil || !errors.As(err, &werr) || werr.Code != wire.ErNotSupportedYet) {
				return writeResult{}, sc, err
			}
			refused, before = err, held
		}
		w, failed, err := work(ctx, conns[:n])
		switch {
		case err != nil:
			// The server's own error first, as one server gives it.
			return w, failed, err
		case refused != nil:
			return w, nil, refused
		}
		sc, err := checkUnique(ctx, plan, distinctConns(conns), checks(), before)
		return w, sc, err
	}
}

// uniqueBatch bounds the values one locking read checks.
const uniqueBatch = 200

// uniqueBatches calls each with a write's checks, up to uniqueBatch at a
// time, and stops at its first error.
type uniqueBatches func(each func([]planner.UniqueCheck) error) error

// planChecks are the checks a plan holds (an INSERT's or UPDATE's).
func planChecks(checks []planner.UniqueCheck) uniqueBatches {
	return func(each func([]planner.UniqueCheck) error) error {
		for from := 0; from < len(checks); from += uniqueBatch {
			if err := each(checks[from:min(from+uniqueBatch, len(checks))]); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkUnique reads, on every shard, the keys of the rows of each
// checked value; it returns the connection that failed, or a duplicate's
// error (with no connection: none failed).
//
// A LOAD DATA ... REPLACE is checked after the load only (its values come
// with the file), and a later row of the file may have replaced the one
// that wrote a value, so rows of one key may no longer show what one
// server would have met: its value is refused wherever a shard other
// than the one its row went to holds it, as heldElsewhere refuses a
// REPLACE statement's.
//
// before, for a REPLACE or an upsert (ShardPlan.UniqueFirst), are the
// holders heldElsewhere read before the write, one per check of the
// plan. A row that holds a value after the write, on a shard the
// statement did not write the value to, and that did not hold it before,
// is one the statement wrote there with the value spelled otherwise
// ('b ' and 'b', 'A' and 'a' under a _ci collation): one server would
// have let the two rows meet, so it is refused as a value written to
// several shards is.
func checkUnique(ctx context.Context, plan *planner.ShardPlan, conns []*shardConn, batches uniqueBatches, before []map[string][]string) (*shardConn, error) {
	replaces := plan.Load != nil && plan.Load.Spec.Replace
	var failed *shardConn
	from := 0 // the index of the batch's first check among the plan's
	err := batches(func(checks []planner.UniqueCheck) error {
		keys, sc, err := holdersOf(ctx, checks, conns)
		if err != nil {
			failed = sc
			return err
		}
		for i, byKey := range keys {
			switch {
			case replaces && heldOnOtherShards(checks[i], byKey):
				return duplicateError(plan, checks[i], withWriters(byKey, checks[i].Shards))
			case before != nil && newlyHeldElsewhere(checks[i], before[from+i], byKey):
				return duplicateError(plan, checks[i], withWriters(byKey, checks[i].Shards))
			case len(byKey) > 1:
				return duplicateError(plan, checks[i], byKey)
			}
		}
		from += len(checks)
		return nil
	})
	return failed, err
}

// newlyHeldElsewhere reports whether a row holds c's value after the
// write (after: the holders' keys and shards) on a shard the statement
// did not write it to, where no row of that key held it before.
func newlyHeldElsewhere(c planner.UniqueCheck, before, after map[string][]string) bool {
	for key, shards := range after {
		for _, sh := range shards {
			if !slices.Contains(c.Shards, sh) && !slices.Contains(before[key], sh) {
				return true
			}
		}
	}
	return false
}

// holdersOf reads, on every shard (conns), the keys of the rows of each
// check's value: check → row key → shards. It returns the connection
// that failed, if one did.
func holdersOf(ctx context.Context, checks []planner.UniqueCheck, conns []*shardConn) ([]map[string][]string, *shardConn, error) {
	keys := make([]map[string][]string, len(checks))
	for _, sc := range conns {
		level, err := readUniqueKeys(ctx, sc, checks, keys)
		if err != nil {
			return nil, sc, err
		}
		if err := isolationLocksGaps(level, checks[0].Columns); err != nil {
			return nil, nil, err
		}
	}
	return keys, nil, nil
}

// heldElsewhere reads, before a REPLACE or an INSERT ... ON DUPLICATE
// KEY UPDATE (ShardPlan.UniqueFirst), the rows of each value it writes,
// with the same locking read as checkUnique, and refuses the write where
// a row holds one on another shard than the row written with it: one
// server would delete or update that row, which the shard the row goes
// to cannot. A row on the same shard is the server's own to meet. It
// returns the holders it read, one per check of the plan (for
// checkUnique), and the connection that failed, if one did.
func heldElsewhere(ctx context.Context, plan *planner.ShardPlan, conns []*shardConn) ([]map[string][]string, *shardConn, error) {
	var failed *shardConn
	held := make([]map[string][]string, 0, len(plan.Unique))
	err := planChecks(plan.Unique)(func(checks []planner.UniqueCheck) error {
		keys, sc, err := holdersOf(ctx, checks, conns)
		if err != nil {
			failed = sc
			return err
		}
		held = append(held, keys...)
		for i, byKey := range keys {
			if !heldOnOtherShards(checks[i], byKey) {
				continue
			}
			sc, updates, err := updatesOwnRows(ctx, plan, checks[i], conns)
			if err != nil {
				failed = sc
				return err
			}
			if !updates {
				return duplicateError(plan, checks[i], withWriters(byKey, checks[i].Shards))
			}
		}
		return nil
	})
	return held, failed, err
}

// heldOnOtherShards reports whether c's value meets a row on another
// shard than the one a row of the statement writes it to: a row holds it
// there (byKey: the holders' keys and shards), or the statement writes it
// to several shards, whose rows one server would let meet each other.
func heldOnOtherShards(c planner.UniqueCheck, byKey map[string][]string) bool {
	if len(c.Shards) > 1 {
		return true
	}
	for _, shards := range byKey {
		for _, sh := range shards {
			if len(c.Shards) != 1 || c.Shards[0] != sh {
				return true
			}
		}
	}
	return false
}

// withWriters is byKey, the holders of a value, with the shards a
// statement writes it to, as a duplicate's error names them.
func withWriters(byKey map[string][]string, shards []string) map[string][]string {
	out := maps.Clone(byKey)
	if out == nil {
		out = map[string][]string{}
	}
	out[""] = append(out[""], shards...)
	return out
}

// updatesOwnRows reports whether every row of an upsert by key
// (ShardPlan.UpsertsByKey) that gives c's value has a key its shard
// already holds: such a row updates that row, as on one server, whatever
// another shard or row holds of the value. It returns the connection
// that failed, if one did.
func updatesOwnRows(ctx context.Context, plan *planner.ShardPlan, c planner.UniqueCheck, conns []*shardConn) (*shardConn, bool, error) {
	if !plan.UpsertsByKey || len(c.Writes) == 0 || slices.ContainsFunc(c.Writes, func(w planner.RowWrite) bool { return w.Key == "" }) {
		return nil, false, nil
	}
	for _, sh := range c.Shards {
		i := slices.IndexFunc(conns, func(sc *shardConn) bool { return sc.route.Cluster == sh })
		if i < 0 {
			return nil, false, nil
		}
		keys := c.KeysOn(sh)
		n, err := countRows(ctx, conns[i], planner.KeysQuery(c, keys))
		if err != nil {
			return conns[i], false, err
		}
		if n != len(keys) {
			return nil, false, nil
		}
	}
	return nil, true, nil
}

// countRows runs a COUNT(*) query on sc.
func countRows(ctx context.Context, sc *shardConn, query string) (int, error) {
	rows, err := sc.conn.QueryRows(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	r, err := rows.Next(ctx)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(r[0]))
}

// readUniqueKeys adds to keys the shard keys of sc's rows of each
// check's value, and returns the isolation level the connection's
// transaction runs at, read in the same round trip: a server whose
// global default reads committed rows only would take no gap lock, which
// the session's own settings do not show. Its error is the server's, or
// a deadlock's where Strata interrupted the read to end one across
// servers (backend.DeadlockError).
func readUniqueKeys(ctx context.Context, sc *shardConn, checks []planner.UniqueCheck, keys []map[string][]string) (string, error) {
	level := ""
	query := "(SELECT -1, @@" + serverVarName(sc.conn, "transaction_isolation") + ") UNION ALL " + planner.UniqueQuery(checks)
	rows, err := sc.conn.QueryRows(ctx, query)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for {
		r, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			return level, nil
		}
		if err != nil {
			return "", err
		}
		i, err := strconv.Atoi(string(r[0]))
		if i == -1 {
			level = string(r[1])
			continue
		}
		if err != nil || i < 0 || i >= len(checks) {
			return "", fmt.Errorf("the unique check on %s answered check %q", sc.route.Cluster, r[0])
		}
		if keys[i] == nil {
			keys[i] = map[string][]string{}
		}
		keys[i][string(r[1])] = append(keys[i][string(r[1])], sc.route.Cluster)
	}
}

// duplicateError is the error of a value rows of several keys hold
// (byKey: each key's shards).
func duplicateError(plan *planner.ShardPlan, c planner.UniqueCheck, byKey map[string][]string) error {
	if plan.UniqueRefusal != "" {
		var holders []string
		for _, shards := range byKey {
			holders = append(holders, shards...)
		}
		slices.Sort(holders)
		return wire.NewError(wire.ErNotSupportedYet, "Strata: (%s) is kept unique across shards, and rows on %s would both hold '%s'; on one server %s, which Strata does not do across shards: nothing was written. Write the row without it, or change the other row first",
			strings.Join(c.Columns, ", "), strings.Join(slices.Compact(holders), " and "), c.Entry(), plan.UniqueRefusal)
	}
	return wire.NewError(wire.ErDupEntry, "Duplicate entry '%s' for key '%s'", c.Entry(), c.Name())
}

// uniqueIsolation refuses a write that checks unique columns in a
// session whose transactions read committed rows only: the checks'
// locking reads then lock no gap, so a write of the same value on another
// shard would not wait for this one.
func (s *Session) uniqueIsolation(key []string) *wire.Error {
	return isolationLocksGaps(s.vars.m["transaction_isolation"], key)
}

// isolationLocksGaps refuses a check of key under an isolation level
// (as SET or @@transaction_isolation write it) whose locking reads lock
// no gap: READ COMMITTED and READ UNCOMMITTED.
func isolationLocksGaps(level string, key []string) *wire.Error {
	level = strings.Trim(strings.ToUpper(level), "'\"")
	if !strings.Contains(level, "COMMITTED") {
		return nil
	}
	return wire.NewError(wire.ErNotSupportedYet, "Strata: this write gives (%s) a value Strata checks is unique across shards, which needs REPEATABLE READ or SERIALIZABLE: under %s the check cannot keep another shard from taking the value meanwhile, and nothing was written. Set the session's isolation to REPEATABLE READ for the write (SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ), or the servers' default",
		strings.Join(key, ", "), level)
}
