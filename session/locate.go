package session

import (
	"errors"
	"fmt"
	"slices"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
)

// An ORM saves, deletes and locks a model by its primary key. Where the
// table is sharded by another column, that statement needs every shard:
// a write in autocommit runs on each in a transaction of Strata's own,
// and a transaction's write or locking read runs on each to find its row
// (narrow.go), for the one row it touches. Where the column is kept
// unique across the shards (unique:), the value names at most one row, so
// Strata remembers the shard each such row was seen on
// (shard.Locations) and runs the next statement of that value on that
// shard alone:
//   - it found the row there: no other shard can hold a row of the
//     value, so the statement stands as it ran, as if it had named its
//     shard key;
//   - it found nothing: the row moved, was deleted, or was written again
//     on another shard. The statement is undone there (it changed
//     nothing, and a transaction's savepoint or fresh begin is restored,
//     as when a narrowing write finds no rows) and runs as it would have
//     without the guess (errGuessMissed).
// A guess is never the only look: a row is answered from one shard only
// where it was found there, so a stale location costs a round trip, not
// a wrong answer. Locations are learned where a statement of a value
// found its row on one shard.

// errGuessMissed: a statement run on the shard its row was last seen on
// found no row there, and was undone; it runs again without the guess.
var errGuessMissed = errors.New("the row was not on the shard it was last seen on: run the statement on every shard")

// guessedPlan is plan on the shard the row it can touch was last seen
// on, or nil where Strata knows no such shard or the statement is not
// one it may try there first: an UPDATE or DELETE, in autocommit or
// narrowing a transaction, or a transaction's locking read (narrowing,
// the statement's narrowKind, says which).
func (s *Session) guessedPlan(f *sqlparse.Facts, plan *planner.ShardPlan, narrowing narrowKind) *planner.ShardPlan {
	if plan.Locate == nil || !guessable(f, plan) {
		return nil
	}
	// Outside a transaction only a write: a read's rows would have to be
	// held back until it is known whether they are all. And not where
	// the session's state pins it to a connection, to which a statement
	// on one shard might move.
	autocommitWrite := f.Kind != sqlparse.KindSelect && s.autocommit && !s.inTx && s.pinned == nil
	if narrowing == notNarrowed && !autocommitWrite {
		return nil
	}
	cluster, ok := s.env.Sharding.Locations().Lookup(*plan.Locate)
	if !ok {
		return nil
	}
	return plan.OnCluster(cluster)
}

// guessable reports whether plan is a statement that ends where it
// touched no row: a plain UPDATE or DELETE, or a locking read whose rows
// say what it locked; not one that moves rows, checks unique: values on
// every shard, walks a LIMIT, returns rows as it writes, or writes a
// reference table.
func guessable(f *sqlparse.Facts, plan *planner.ShardPlan) bool {
	switch f.Kind {
	case sqlparse.KindUpdate, sqlparse.KindDelete:
		if !plan.Write || plan.Kind != planner.PlanWrite {
			return false
		}
	case sqlparse.KindSelect:
		if !lockingRead(f) || plan.Write || !rowsSayWhatLocked(plan) {
			return false
		}
	default:
		return false
	}
	return plan.Move == nil && !plan.LimitWalk && len(plan.Unique) == 0 && !plan.Returning && !plan.Copies && !f.ImplicitCommit
}

// countGuess counts how a statement run on its row's last shard ended:
// a hit where it found the row there (answered, refused for being beyond
// the transaction's shard, or widened across the shards), a miss where
// it did not (and its location is forgotten).
func (s *Session) countGuess(err error) {
	switch {
	case errors.Is(err, errGuessMissed):
		s.env.Metrics.RowGuess("miss")
		s.env.Sharding.Locations().Forget(*s.locate)
	case err == nil || errors.Is(err, errWidenAcross):
		s.env.Metrics.RowGuess("hit")
	}
}

// noteLocation learns where the statement running now found its row:
// touched are the connections it touched rows on. Rows on one shard are
// the row of s.locate; rows on none say its location is stale.
func (s *Session) noteLocation(touched []*shardConn) {
	if s.locate == nil {
		return
	}
	var clusters []string
	for _, sc := range touched {
		if !slices.Contains(clusters, sc.route.Cluster) {
			clusters = append(clusters, sc.route.Cluster)
		}
	}
	switch len(clusters) {
	case 0:
		s.env.Sharding.Locations().Forget(*s.locate)
	case 1:
		s.env.Sharding.Locations().Learn(*s.locate, clusters[0])
	}
}

// matchedConns are the connections whose routes of a write matched rows.
func matchedConns(f *sqlparse.Facts, conns []*shardConn, w writeResult) ([]*shardConn, error) {
	var touched []*shardConn
	for _, sc := range distinctConns(conns) {
		n, err := w.matchedOn(sc.conn, f.Kind == sqlparse.KindUpdate)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			touched = append(touched, sc)
		}
	}
	return touched, nil
}

// undoGuess ends a write run on the shard its row was last seen on that
// found no row there: narrowing a transaction, as if it had not run; in
// Strata's own transaction (ownTx), rolled back. It changed nothing.
func (s *Session) undoGuess(conns []*shardConn, narrowing, ownTx bool) {
	switch {
	case narrowing:
		s.unwindNarrowing(conns)
		return
	case ownTx:
		endEach(conns, func(*shardConn) string { return "ROLLBACK" })
	}
	s.releaseWrite(conns, false)
}

// learnPlaces remembers the shards a write put the rows of unique: values
// on (planner.ShardPlan.Places): an ORM saves a model right after it
// creates it. Learned once the statement stands; if its transaction
// rolls back, the location is stale, which the next guess finds.
func (s *Session) learnPlaces(plan *planner.ShardPlan) {
	for _, p := range plan.Places {
		s.env.Sharding.Locations().Learn(p.Key, p.Shard)
	}
}

// explainLocation says, for EXPLAIN STRATA, where a statement of a
// unique: value runs first: on the shard its row was last seen on, if
// Strata knows it; "" for a statement that does not name such a row.
func (s *Session) explainLocation(f *sqlparse.Facts, plan *planner.ShardPlan) string {
	if plan.Locate == nil || !guessable(f, plan) {
		return ""
	}
	k := *plan.Locate
	shard, ok := s.env.Sharding.Locations().Lookup(k)
	if !ok {
		return fmt.Sprintf("%s = %s names one row (unique:); where this finds it on one shard, the next statement of the value runs there first", k.Column, k.Value)
	}
	return fmt.Sprintf("%s = %s names one row (unique:), last seen on %s: an UPDATE, DELETE or a transaction's locking read runs there alone, and on every shard only where the row is not there any more", k.Column, k.Value, shard)
}
