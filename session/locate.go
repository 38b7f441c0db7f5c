package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// An ORM finds, saves, deletes and locks a model by its primary key.
// Where the table is sharded by another column, that statement needs
// every shard: a read runs on each, a write in autocommit runs on each in
// a transaction of Strata's own, and a transaction's write or locking
// read runs on each to find its row (narrow.go), for the one row it
// touches. Where the column is kept
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
//     without the guess (errGuessMissed). A read's rows are held until
//     it is known which.
// A guess is never the only look: a row is answered from one shard only
// where it was found there, so a stale location costs a round trip, not
// a wrong answer. Locations are learned where a statement of a value
// found its row on one shard, and where an INSERT wrote it.

// errGuessMissed: a statement run on the shard its row was last seen on
// found no row there, and was undone; it runs again without the guess.
var errGuessMissed = errors.New("the row was not on the shard it was last seen on: run the statement on every shard")

// guessedPlan is plan on the shard the row it can touch was last seen
// on, or nil where Strata knows no such shard or the statement is not
// one it may try there first: an UPDATE, DELETE or plain read in
// autocommit, or a write or locking read narrowing a transaction
// (narrowing, the statement's narrowKind, says which).
func (s *Session) guessedPlan(f *sqlparse.Facts, plan *planner.ShardPlan, narrowing narrowKind) *planner.ShardPlan {
	if plan.Locate == nil && plan.LocateEach == nil || !guessable(f, plan) {
		return nil
	}
	// A plain read (its rows held back until it is known whether the
	// shard found any; execGuessedRead), in a transaction or not: it reads
	// each shard as the read over every shard would, the transaction's
	// own on its connection, the others outside it. Outside a
	// transaction, a write, not where the session's state pins it to a
	// connection, to which a statement on one shard might move. In one, a
	// statement that narrows it (a write or a locking read).
	if plan.Locate == nil {
		return s.guessedEach(f, plan, narrowing)
	}
	if narrowing == notNarrowed && !plainRead(f) && !s.autocommitWrite(f) {
		return nil
	}
	cluster, ok := s.env.Sharding.Locations().Lookup(*plan.Locate)
	if !ok {
		return nil
	}
	return plan.OnClusters(cluster)
}

// plainRead reports whether f is a read without locks or session state,
// which may run on any shard's replica and be run again.
func plainRead(f *sqlparse.Facts) bool {
	return f.Kind == sqlparse.KindSelect && !lockingRead(f) && !usesSessionState(f)
}

// autocommitWrite reports whether f is a write outside a transaction,
// not where the session's state pins it to a connection, to which a
// statement on fewer shards might move.
func (s *Session) autocommitWrite(f *sqlparse.Facts) bool {
	return f.Kind != sqlparse.KindSelect && s.autocommit && !s.inTx && s.pinned == nil
}

// guessedEach is plan, a plain read, a write in autocommit or a write or
// locking read narrowing a transaction (Django runs its bulk_update and a
// QuerySet's delete() in one) of the rows of the values of an IN list
// (planner.ShardPlan.LocateEach), on the shards those rows were last
// seen on, where Strata knows each of them and they are not every shard
// plan runs on. Found one row per value there, no other shard can hold
// one; found fewer, it is undone (a write in autocommit runs in a
// transaction of Strata's own there, even on one shard, as it may have
// changed some of the rows; a narrowing one's savepoint or fresh begin is
// restored) and runs on every shard.
func (s *Session) guessedEach(f *sqlparse.Facts, plan *planner.ShardPlan, narrowing narrowKind) *planner.ShardPlan {
	if narrowing == notNarrowed && !plainRead(f) && !s.autocommitWrite(f) || cutsRows(plan) {
		return nil
	}
	clusters, ok := s.env.Sharding.Locations().LookupEach(plan.LocateEach)
	if !ok {
		return nil
	}
	if guess := plan.OnClusters(clusters...); guess != nil && len(guess.Routes) < len(plan.Routes) {
		return guess
	}
	return nil
}

// cutsRows reports whether plan, a read of the rows of an IN list's
// values, asks each shard for fewer rows than values (LIMIT n, or LIMIT
// m, n: offset + n): it would never find a row per value, and would run
// twice.
func cutsRows(plan *planner.ShardPlan) bool {
	sel := plan.Select
	return sel != nil && sel.Limit >= 0 && sel.LimitParam == 0 && sel.OffsetParam == 0 && sel.Offset+sel.Limit < int64(len(plan.LocateEach))
}

// learnsEach reports whether f, a plain read of the rows of an IN list's
// values whose shards Strata does not all know (or did not find there),
// is run over every shard with its rows held (execLearningRead).
func (s *Session) learnsEach(f *sqlparse.Facts, narrowing narrowKind) bool {
	return len(s.locateEach) > 0 && narrowing == notNarrowed && plainRead(f) && s.env.Sharding.Locations().Remembers()
}

// learnHoldBytes bounds the rows a read holds only to learn where they
// are (execLearningRead): they draw on limits.max_merge_memory_total,
// which the merges of other statements need.
const learnHoldBytes = 1 << 20

// execLearningRead runs a plain read of the rows of an IN list's values
// over every shard, its rows held until every shard answered, as a
// guessed read's are (execGuessedRead): so the shard of each value's row
// is learned from the rows, by their value of the list's column, and
// the next read of those values runs on their shards alone. An ORM loads
// models by a list of ids (Rails' find([1, 2]), Django's in_bulk, a
// belongs_to association preloaded). errGuessMissed where the rows take
// more than learnHoldBytes (or limits.max_merge_memory): it runs again,
// streamed, and teaches nothing.
func (s *Session) execLearningRead(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	s.learning = true
	defer func() { s.learning = false }()
	return s.execNarrowing(ctx, f, plan, notNarrowed, binary, true)
}

// execGuessed runs guess, a statement on the shard its row was last seen
// on, narrowing the transaction as narrowing says. Under twopc, where the
// row is there but beyond the transaction's shard, only that shard joins
// the transaction as a branch; where the row has gone from there
// meanwhile, errWidenAcross: every shard does (as for an IN list's rows
// beyond the transaction's shard). errGuessMissed where the
// row was not there.
func (s *Session) execGuessed(ctx context.Context, f *sqlparse.Facts, guess *planner.ShardPlan, narrowing narrowKind, binary bool) error {
	err := s.execNarrowing(ctx, f, guess, narrowing, binary, true)
	s.countGuess(f, err)
	if !errors.Is(err, errWidenAcross) || s.locateEach != nil {
		// An IN list's rows widen the transaction over every shard: a
		// statement of the client's transaction cannot be undone on a
		// part of them where it misses some (each one's rows are).
		return err
	}
	if err = s.execNarrowing(ctx, f, guess, notNarrowed, binary, true); errors.Is(err, errGuessMissed) {
		s.countGuess(f, err)
		return errWidenAcross
	}
	return err
}

// guessable reports whether plan is a statement that ends where it
// touched no row: a plain UPDATE or DELETE, or a read whose rows say
// what it found; not one that moves rows, checks unique: values on every
// shard, walks a LIMIT, returns rows as it writes, writes a reference
// table, or calls a stored function.
func guessable(f *sqlparse.Facts, plan *planner.ShardPlan) bool {
	switch f.Kind {
	case sqlparse.KindUpdate, sqlparse.KindDelete:
		if !plan.Write || plan.Kind != planner.PlanWrite {
			return false
		}
	case sqlparse.KindSelect:
		// Its rows must say whether it found the row: not an aggregate
		// without GROUP BY, which answers a row whatever it found.
		if plan.Write || !rowsSayWhatLocked(plan) || plan.Walk || !f.ReadOnly && !lockingRead(f) {
			return false
		}
	default:
		return false
	}
	// A stored function might change something where the statement ran
	// first and found nothing, and run again with it on every shard.
	return plan.Move == nil && !plan.LimitWalk && len(plan.Unique) == 0 && !plan.Returning && !plan.Copies && !f.ImplicitCommit && !f.StoredFunctions
}

// countGuess counts how f, run on its row's last shard, ended: a hit
// where it found the row there (answered, refused for being beyond the
// transaction's shard, or widened across the shards), a miss where it
// did not. A write or locking read that missed makes Strata forget the
// location; a plain read does not, as its replica may be behind the
// primary that wrote the row (the read over every shard that follows
// learns the row's new shard where it finds it).
func (s *Session) countGuess(f *sqlparse.Facts, err error) {
	switch {
	case errors.Is(err, errGuessMissed):
		s.env.Metrics.RowGuess("miss")
		if f.Kind != sqlparse.KindSelect || lockingRead(f) {
			s.forgetLocations()
		}
	case err == nil || errors.Is(err, errWidenAcross):
		s.env.Metrics.RowGuess("hit")
	}
}

// forgetLocations forgets the locations of the rows the statement
// running now names: a write did not find them all where they were last
// seen (of an IN list's, which one moved is not known).
func (s *Session) forgetLocations() {
	if s.locate != nil {
		s.env.Sharding.Locations().Forget(*s.locate)
	}
	for _, k := range s.locateEach {
		s.env.Sharding.Locations().Forget(k)
	}
}

// foundGuessedRows reports whether a write run on the shards its rows
// were last seen on found them there: touched are the connections it
// matched rows on, matched how many in all. A row, for locate's; a row
// per value, for locateEach's.
func (s *Session) foundGuessedRows(touched []*shardConn, matched uint64) bool {
	if s.locateEach == nil {
		return len(touched) > 0
	}
	return matched == uint64(len(s.locateEach))
}

// noteWriteLocations learns where a write found the rows it names:
// locate's as noteLocation does; locateEach's where it matched a row per
// value, all on one shard (on several, which value's row is where is not
// known), and none where it matched none.
func (s *Session) noteWriteLocations(touched []*shardConn, matched uint64) {
	if s.locateEach == nil {
		s.noteLocation(touched)
		return
	}
	switch cluster, one := oneCluster(touched); {
	case matched == 0:
		s.forgetLocations()
	case one && matched == uint64(len(s.locateEach)):
		for _, k := range s.locateEach {
			s.env.Sharding.Locations().Learn(k, cluster)
		}
	}
}

// noteLocation learns where the statement running now found its row:
// touched are the connections it touched rows on. Rows on one shard are
// the row of s.locate; rows on none say its location is stale.
func (s *Session) noteLocation(touched []*shardConn) {
	if s.locate == nil {
		return
	}
	if len(touched) == 0 {
		s.env.Sharding.Locations().Forget(*s.locate)
	} else if cluster, ok := oneCluster(touched); ok {
		s.env.Sharding.Locations().Learn(*s.locate, cluster)
	}
}

// oneCluster is the cluster of touched's routes where they are all on
// one; ok is false where they are on several, or there are none.
func oneCluster(touched []*shardConn) (cluster string, ok bool) {
	for i, sc := range touched {
		if i > 0 && sc.route.Cluster != cluster {
			return "", false
		}
		cluster = sc.route.Cluster
	}
	return cluster, len(touched) > 0
}

// matchedConns are the connections whose routes of a write matched rows,
// and how many rows they matched in all.
func matchedConns(f *sqlparse.Facts, conns []*shardConn, w writeResult) (touched []*shardConn, matched uint64, err error) {
	for _, sc := range distinctConns(conns) {
		n, err := w.matchedOn(sc.conn, f.Kind == sqlparse.KindUpdate)
		if err != nil {
			return nil, 0, err
		}
		if n > 0 {
			touched = append(touched, sc)
		}
		matched += n
	}
	return touched, matched, nil
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
	if plan.Locate == nil && plan.LocateEach == nil || !guessable(f, plan) {
		return ""
	}
	if plan.Locate == nil {
		return s.explainEach(f, plan)
	}
	k := *plan.Locate
	shard, ok := s.env.Sharding.Locations().Lookup(k)
	if !ok {
		return fmt.Sprintf("%s = %s names one row (unique:); where this finds it on one shard, the next statement of the value runs there first", k.Column, k.Value)
	}
	return fmt.Sprintf("%s = %s names one row (unique:), last seen on %s: in autocommit, or narrowing a transaction, this runs there alone first, and on every shard only where the row is not there any more", k.Column, k.Value, shard)
}

// explainEach says where a statement of the rows of an IN list's values
// runs first (guessedEach, learnsEach).
func (s *Session) explainEach(f *sqlparse.Facts, plan *planner.ShardPlan) string {
	if !s.env.Sharding.Locations().Remembers() {
		return ""
	}
	col, n := plan.LocateEach[0].Column, len(plan.LocateEach)
	if guess := s.guessedEach(f, plan, s.narrows(f, plan)); guess != nil {
		var clusters []string
		for _, r := range guess.Routes {
			if !slices.Contains(clusters, r.Cluster) {
				clusters = append(clusters, r.Cluster)
			}
		}
		return fmt.Sprintf("%s IN (%d values) names a row per value (unique:), last seen on %s: this runs there alone first, and on every shard only where it finds fewer rows than values", col, n, strings.Join(clusters, ", "))
	}
	if !plainRead(f) {
		return fmt.Sprintf("%s IN (%d values) names a row per value (unique:), not all last seen on fewer shards than this statement's: it runs on every shard, and where it finds a row per value on one, Strata learns that shard", col, n)
	}
	return fmt.Sprintf("%s IN (%d values) names a row per value (unique:), not all last seen on fewer shards than this read's: it runs on every shard with its rows held, and learns where each row is from them", col, n)
}

// execGuessedRead runs a plain read on the shard its row was last seen on
// (a replica of it, as any read), and answers it only where that shard
// found rows: until then they are held, within limits.max_merge_memory.
// Found nothing, or more rows than that memory holds: errGuessMissed,
// and the read runs on every shard, its rows streamed.
func (s *Session) execGuessedRead(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan, binary bool) error {
	start := time.Now()
	conns, err := s.takeConns(ctx, s.unlimitedRoutes(plan.Routes), false, false)
	if err != nil {
		return s.WriteError(err)
	}
	defer s.giveBack(conns)
	defer s.noteTxRead(f, conns)
	defer s.running(conns)()
	answer, restore, err := s.startMerge(ctx, f, plan, conns, binary, start)
	defer restore()
	if err != nil {
		return s.WriteError(err)
	}
	rows, failed, err := s.readAhead(ctx, conns, "holding a read's rows until it is known whether the shard its row was last seen on holds it")
	switch {
	case err != nil && failed == nil:
		// More than the memory its rows may be held in: the read streams
		// over every shard instead, as it would have without the guess.
		s.closeRows(rows, conns)
		return errGuessMissed
	case err != nil:
		s.closeRows(rows, conns)
		s.markBroken(failed, err)
		s.env.Metrics.ObserveError("backend")
		return s.WriteError(shardError(failed.route.Cluster, err))
	}
	s.learnHeldRows(conns, rows)
	if !s.learning && !s.guessFound(conns) {
		return errGuessMissed
	}
	if err := s.mergeOpened(ctx, f, plan, conns, rows, answer); err != nil {
		return err
	}
	if plan.SumsFoundRows() && s.foundRowsState == 2 {
		s.sumFoundRows(ctx, conns)
	}
	s.noteMergeWarnings(ctx, conns, rows)
	return nil
}

// guessFound reports whether a read run on the shards its rows were last
// seen on found them there: a row, for the one row of locate; a row per
// value, for locateEach's (each value names at most one row, so none can
// be elsewhere then; fewer rows may be a row elsewhere).
func (s *Session) guessFound(conns []*shardConn) bool {
	if s.locateEach == nil {
		return len(foundRowsOn(conns)) > 0
	}
	rows := 0
	for _, sc := range conns {
		rows += len(sc.ahead)
	}
	return rows == len(s.locateEach)
}

// learnHeldRows learns the shards of locateEach's rows from the rows a
// read held on each shard (execGuessedRead): those whose value of the
// list's column, as the shard answered it, is one of the list's values.
// A value answered in another spelling (a _ci collation's, a ZEROFILL
// column's) is not learned.
func (s *Session) learnHeldRows(conns []*shardConn, rows []*backend.Rows) {
	if len(s.locateEach) == 0 {
		return
	}
	table, column := s.locateEach[0].Table, s.locateEach[0].Column
	listed := make(map[string]bool, len(s.locateEach))
	for _, k := range s.locateEach {
		listed[k.Value] = true
	}
	for i, r := range rows {
		if r == nil {
			continue
		}
		col := slices.IndexFunc(r.ColumnPackets(), func(def []byte) bool {
			orgTable, orgName, err := engine.ColumnSource(def)
			return err == nil && strings.EqualFold(orgName, column) && strings.EqualFold(orgTable, table)
		})
		if col < 0 {
			continue
		}
		for _, row := range conns[i].ahead {
			if v := row[col]; v != nil && listed[string(v)] {
				s.env.Sharding.Locations().Learn(shard.LocationKey{Table: table, Column: column, Value: string(v)}, conns[i].route.Cluster)
			}
		}
	}
}

// noteReadLocation learns where a read over every shard found the row of
// s.locate: the shards whose rows answered any. Where none did, it
// forgets nothing: replicas may be behind.
func (s *Session) noteReadLocation(conns []*shardConn, rows []*backend.Rows) {
	if s.locate == nil {
		return
	}
	var touched []*shardConn
	for i, r := range rows {
		if r != nil && r.RowCount() > 0 {
			touched = append(touched, conns[i])
		}
	}
	if len(touched) > 0 {
		s.noteLocation(touched)
	}
}

// learnUpdated remembers the shard of the rows an UPDATE gave unique:
// values (planner.ShardPlan.Updated): the one shard whose rows it
// changed. Where it changed rows on several, one of them holds each
// value, and none is learned.
func (s *Session) learnUpdated(f *sqlparse.Facts, plan *planner.ShardPlan, conns []*shardConn, w writeResult) {
	if len(plan.Updated) == 0 {
		return
	}
	touched, _, err := matchedConns(f, conns, w)
	cluster, ok := oneCluster(touched)
	if err != nil || !ok {
		return
	}
	for _, k := range plan.Updated {
		s.env.Sharding.Locations().Learn(k, cluster)
	}
}
