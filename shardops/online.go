package shardops

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
)

// MoveStatus is an online move's progress, as GET /api/rebalance and
// `strata shards rebalance -online` show it.
type MoveStatus struct {
	Table string `json:"table"`
	// With are the tables that move with Table (sharded as it is).
	With []string `json:"with,omitempty"`
	// From and To describe the placements: method over shards.
	From  string `json:"from"`
	To    string `json:"to"`
	State string `json:"state"` // running, done, failed
	// Marks: per shard the rows move from, the highest key moved ("all"
	// once every row there has moved; "" before the first batch).
	Marks map[string]string `json:"marks"`
	// Moved rows were copied to their new shard and deleted on the old;
	// Resolved ones were already there (a retried batch) and were deleted
	// on the old.
	Moved    int64 `json:"moved_rows"`
	Resolved int64 `json:"resolved_rows"`
	Batches  int64 `json:"batches"`
	// PauseMaxMs and PauseTotalMs: how long statements on the table were
	// held at its fence, the longest batch and all of them (batches that
	// gave way included).
	PauseMaxMs   float64   `json:"pause_max_ms"`
	PauseTotalMs float64   `json:"pause_total_ms"`
	Retries      int64     `json:"retries"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished,omitzero"`
	Error        string    `json:"error,omitempty"`
}

// MoveTable is a table that moves with the lead table of a move.
type MoveTable struct {
	Table  string
	Moving *shard.Moving
	// FromSpec and ToSpec are its two placements (config entries as
	// JSON), recorded with the move.
	FromSpec, ToSpec string
}

// movingTable is a table of a move with what a batch copies of it.
type movingTable struct {
	name   string
	moving *shard.Moving
	tc     *tableColumns
}

// Move states.
const (
	MoveRunning = "running"
	MoveDone    = "done"
	MoveFailed  = "failed"
)

// OnlineMove moves the rows of a sharded table from the placement of
// Moving.From to that of Moving.To while Strata keeps serving the table:
// each source shard is walked in key order, a batch at a time. A batch
// closes the table's fence (statements on it wait, those running
// finish), reads and locks the next rows on the source, copies the ones
// that move to their new shards, deletes them on the source, commits, and
// raises the source's mark, so the planner places the keys up to it by
// To; then it opens the fence. Each row is on one shard, found by its
// key, at every moment a statement can look.
type OnlineMove struct {
	Open   Opener
	Schema string
	Table  string
	Moving *shard.Moving
	// With are the tables sharded as Table is (joined with it on the
	// key), each moving with it (shard.Moving.With): a batch moves their
	// rows of its keys too, so joins on the key stay on one shard.
	With []MoveTable
	// Batch is how many rows of a source one batch reads (500 if 0).
	Batch int
	// FenceWait bounds how long a batch waits for the statements on the
	// table to finish (2 s if 0); LockWait how long it waits for a row
	// lock (innodb_lock_wait_timeout, 1 s if 0). A batch that waits
	// longer gives up, lets the statements run, and is tried again.
	FenceWait time.Duration
	LockWait  time.Duration
	// Retries is how many times a batch is tried before the move fails
	// (100 if 0); a failed move leaves every row where its mark places
	// it, and can be resumed.
	Retries int
	// Moved, when set, is told of each batch's moved rows, and Paused of
	// how long each batch held the table's statements (metrics).
	Moved  func(n int64)
	Paused func(d time.Duration)
	// Lead is the lock that makes this Strata the move's leader
	// (TakeLead); Run takes it when nil, and keeps it: a failed move stays
	// this Strata's to resume, and a done one is given up (ReleaseLead)
	// once its marks are gone.
	Lead *Lead
	// Announce is how long Run waits after recording the move, before
	// the first batch, so every other Strata sees it and refuses the
	// table's statements (they look every few seconds) rather than place
	// keys by a layout the batches change.
	Announce time.Duration
	// KeyOrder names the order the walk follows: "integer", or the text
	// key column's collation (shard.KeyOrder; recorded with the marks).
	KeyOrder string
	// FromSpec and ToSpec describe the two placements (the config
	// entries, as JSON). They are kept with each source's mark in
	// strata.rebalance_marks on the source, so a Strata that restarts
	// during the move places the table as the move left it
	// (PendingMoves) and carries on.
	FromSpec, ToSpec string

	mu     sync.Mutex
	status MoveStatus
}

// Status is the move's progress now.
func (mv *OnlineMove) Status() MoveStatus {
	mv.mu.Lock()
	defer mv.mu.Unlock()
	st := mv.status
	st.Table, st.From, st.To = mv.Table, describeSpec(mv.FromSpec, mv.Moving.From), describeSpec(mv.ToSpec, mv.Moving.To)
	st.With = nil
	for _, w := range mv.With {
		st.With = append(st.With, w.Table)
	}
	if st.State == "" {
		st.State = MoveRunning // Run is about to start
	}
	st.Marks = mv.Moving.Marks()
	return st
}

func (mv *OnlineMove) update(f func(*MoveStatus)) {
	mv.mu.Lock()
	f(&mv.status)
	mv.mu.Unlock()
}

// Describe names a placement for MoveStatus: "range over s0, s1".
func Describe(m shard.Method) string {
	return m.Name() + " over " + strings.Join(m.Shards(), ", ")
}

// describeSpec names a placement by its config entry (a spec, as JSON):
// "hash s0 -55, s1 55-aa, s2 aa-", so two layouts over the same shards
// read apart; Describe(m) when the spec does not read.
func describeSpec(spec string, m shard.Method) string {
	var t config.Table
	if json.Unmarshal([]byte(spec), &t) != nil || t.Method == "" {
		return Describe(m)
	}
	if len(t.Ranges) == 0 {
		return t.Method + " over " + strings.Join(t.Shards, ", ")
	}
	parts := make([]string, 0, len(t.Ranges))
	for _, s := range slices.SortedFunc(maps.Keys(t.Ranges), func(a, b string) int { return strings.Compare(t.Ranges[a], t.Ranges[b]) }) {
		parts = append(parts, s+" "+t.Ranges[s])
	}
	return t.Method + " " + strings.Join(parts, ", ")
}

// Run moves every row that changes shard and returns when all have, or
// when a batch failed more than Retries times (or ctx ended). Run again
// on the same OnlineMove to resume: the marks say where each source
// stands.
func (mv *OnlineMove) Run(ctx context.Context) error {
	mv.update(func(st *MoveStatus) {
		st.State, st.Error, st.Started, st.Finished = MoveRunning, "", time.Now(), time.Time{}
	})
	err := mv.run(ctx)
	mv.update(func(st *MoveStatus) {
		st.Finished, st.State = time.Now(), MoveDone
		if err != nil {
			st.State, st.Error = MoveFailed, err.Error()
		}
	})
	return err
}

func (mv *OnlineMove) run(ctx context.Context) error {
	sources := mv.Moving.From.Shards()
	first, err := mv.Open(sources[0])
	if err != nil {
		return err
	}
	tables := []movingTable{{name: mv.Table, moving: mv.Moving}}
	for _, w := range mv.With {
		tables = append(tables, movingTable{name: w.Table, moving: w.Moving})
	}
	for i := range tables {
		if tables[i].tc, err = keyedColumns(ctx, first, mv.Schema, tables[i].name, tables[i].moving.Key()); err != nil {
			return err
		}
	}
	if mv.Lead == nil {
		lead, holder, err := TakeLead(ctx, first, mv.Schema, mv.Table)
		if err != nil {
			return err
		}
		if lead == nil {
			return fmt.Errorf("another Strata leads the move of %s (its connection %d on %s holds the lock %s); it goes on there", mv.Table, holder, sources[0], LeadLockName(mv.Schema, mv.Table))
		}
		mv.Lead = lead
	}
	fresh, err := mv.record(ctx, sources)
	if err != nil {
		return err
	}
	if fresh && mv.Announce > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(mv.Announce):
		}
	}
	for _, src := range sources {
		if err := mv.walk(ctx, tables, src); err != nil {
			return fmt.Errorf("moving the rows of %s off shard %s: %w", mv.Table, src, err)
		}
	}
	return nil
}

// keyedColumns is readColumns with the shard key's column found.
func keyedColumns(ctx context.Context, db *sql.DB, schema, table, key string) (*tableColumns, error) {
	tc, err := readColumns(ctx, db, schema, table)
	if err != nil {
		return nil, err
	}
	tc.shardKey = slices.IndexFunc(tc.names, func(n string) bool { return strings.EqualFold(n, key) })
	if tc.shardKey < 0 {
		return nil, fmt.Errorf("%s.%s has no column %s, its shard key, that rebalance can copy", schema, table, key)
	}
	return tc, nil
}

// walk moves the rows of one source shard, batch by batch, from its mark.
func (mv *OnlineMove) walk(ctx context.Context, tables []movingTable, src string) error {
	db, err := mv.Open(src)
	if err != nil {
		return err
	}
	for {
		key, set, all := mv.Moving.MarkOf(src)
		if all {
			return nil
		}
		var after *shard.Value
		if set {
			after = &key
		}
		next, err := mv.nextKey(ctx, db, after)
		if err != nil {
			return err
		}
		batch := func(attempt int) error {
			return mv.moveBatch(ctx, tables, src, after, next, attempt > nowaitAttempts)
		}
		if err := mv.retry(ctx, batch); err != nil {
			return err
		}
	}
}

// nextKey is the key of the Batch-th row after the mark on a source (nil
// when fewer rows follow: the next batch is its last, without an upper
// bound).
func (mv *OnlineMove) nextKey(ctx context.Context, db *sql.DB, after *shard.Value) (*shard.Value, error) {
	where, args := keyRange(mv.Moving.Key(), after, nil)
	var next []byte
	q := "SELECT " + quoteIdent(mv.Moving.Key()) + " FROM " + qualified(mv.Schema, mv.Table) + " WHERE " + where +
		" ORDER BY " + quoteIdent(mv.Moving.Key()) + " LIMIT 1 OFFSET " + strconv.Itoa(mv.batch()-1)
	err := db.QueryRowContext(ctx, q, args...).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("finding the next batch: %w", err)
	}
	v := KeyValue(mv.KeyOrder, next)
	return &v, nil
}

// keyRange is the condition "key above after, up to next" (no lower
// bound when after is nil, no upper when next is) and its arguments.
func keyRange(key string, after, next *shard.Value) (string, []any) {
	k := quoteIdent(key)
	where, args := k+" IS NOT NULL", []any(nil)
	if after != nil {
		where, args = k+" > ?", []any{keyArg(*after)}
	}
	if next != nil {
		where += " AND " + k + " <= ?"
		args = append(args, keyArg(*next))
	}
	return where, args
}

// IntegerKeys is the KeyOrder of integer keys.
const IntegerKeys = "integer"

// KeyValue reads a key the server returned (or a recorded mark) as a
// value of the walk's order: an integer, or text.
func KeyValue(order string, raw []byte) shard.Value {
	if order == IntegerKeys {
		s := string(raw)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return shard.Int(n)
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return shard.Uint(u)
		}
	}
	return shard.String(string(raw))
}

// keyArg passes a key to the server as what it is: an integer as an
// integer, not as a string it would compare as a double (and round above
// 2^53); text as text, which the server compares in the column's
// collation, the order the walk follows.
func keyArg(v shard.Value) any {
	if n, ok := v.Int64(); ok {
		return n
	}
	if u, ok := v.Uint64(); ok {
		return u
	}
	if s, ok := v.Str(); ok {
		return s
	}
	return string(v.Canonical())
}

func (mv *OnlineMove) batch() int { return cmpOr(mv.Batch, 500) }

// paused records how long a batch held the table's statements.
func (mv *OnlineMove) paused(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	mv.update(func(st *MoveStatus) {
		st.PauseMaxMs = max(st.PauseMaxMs, ms)
		st.PauseTotalMs += ms
	})
	if mv.Paused != nil {
		mv.Paused(d)
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// retry runs a batch until it succeeds, trying again after a wait when
// statements or row locks kept it out, up to Retries times.
func (mv *OnlineMove) retry(ctx context.Context, batch func(attempt int) error) error {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := batch(attempt)
		if err == nil || !retryable(err) || attempt >= cmpOr(mv.Retries, 100) {
			return err
		}
		mv.update(func(st *MoveStatus) { st.Retries++ })
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// retryable: the batch met statements or transactions on the table
// that did not let go in time, or lost a connection; trying again later
// is safe because a failed batch leaves every row where its mark says.
func retryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1205 || me.Number == 1213 // lock wait timeout, deadlock
	}
	return errors.Is(err, shard.ErrFenceBusy) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, sql.ErrConnDone)
}

// nowaitAttempts is how many times a batch tries to lock its rows
// without waiting (FOR UPDATE NOWAIT) before it waits up to LockWait:
// a row an application's transaction holds then costs the table's
// statements no pause, only the batch a retry; waiting after that makes
// sure a batch gets through rows that are seldom free.
const nowaitAttempts = 5

// moveBatch moves the rows of src with keys in (after, next] (no lower
// bound when after is nil, no upper when next is) inside the table's
// fence. Without wait, rows another transaction holds fail it at once.
func (mv *OnlineMove) moveBatch(ctx context.Context, tables []movingTable, src string, after, next *shard.Value, wait bool) error {
	if err := mv.Lead.Check(ctx); err != nil {
		return err
	}
	fence := mv.Moving.Fence() // the tables that move together share it
	closed := time.Now()       // statements wait from here
	if err := fence.Close(ctx, cmpOr(mv.FenceWait, 2*time.Second)); err != nil {
		mv.paused(time.Since(closed))
		return err
	}
	defer func() {
		fence.Open()
		mv.paused(time.Since(closed))
	}()
	// Once begun, a batch runs to its end even when ctx ends (Strata
	// shuts down): cut between its commits it would leave copies to
	// clean up.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	b, err := mv.begin(bctx, src)
	if err != nil {
		return err
	}
	defer b.rollback()
	var moved, resolved int64
	for _, t := range tables {
		m, r, err := mv.moveRows(bctx, b, t, src, after, next, wait)
		if err != nil {
			return err
		}
		moved, resolved = moved+m, resolved+r
	}
	var newMark []byte
	if next != nil {
		newMark = next.Canonical()
	}
	if _, err := b.src.ExecContext(bctx, "UPDATE "+marksTable+" SET mark = ?, finished = ? WHERE schema_name = ? AND table_name = ?",
		newMark, next == nil, mv.Schema, mv.Table); err != nil {
		return fmt.Errorf("recording the move's mark on %s: %w", src, err)
	}
	if err := b.commit(bctx); err != nil {
		return err
	}
	if next == nil {
		mv.Moving.FinishShard(src)
	} else if err := mv.Moving.SetMark(src, *next); err != nil {
		return err
	}
	mv.update(func(st *MoveStatus) { st.Batches++; st.Moved += moved; st.Resolved += resolved })
	if mv.Moved != nil && moved > 0 {
		mv.Moved(moved)
	}
	return nil
}

// moveRows reads and locks one table's rows of the batch's keys on src
// (without wait: failing at once on a row another transaction holds),
// copies those that move to their new shards and deletes them on src,
// all in b's transactions.
func (mv *OnlineMove) moveRows(ctx context.Context, b *batchTx, t movingTable, src string, after, next *shard.Value, wait bool) (moved, resolved int64, err error) {
	where, args := keyRange(t.moving.Key(), after, next)
	lock := " FOR UPDATE NOWAIT"
	if wait {
		lock = " FOR UPDATE"
	}
	rows, err := selectWhere(ctx, b.src, mv.Schema, t.name, t.tc, where+lock, args)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the batch of %s on %s: %w", t.name, src, err)
	}
	byDest, err := mv.destinations(t, src, rows)
	if err != nil {
		return 0, 0, err
	}
	return b.copy(ctx, mv, t, byDest)
}

// destinations groups the rows of a batch that leave src by the shard To
// places them on. Rows that stay, and rows From does not place on src
// (left there by hand: `strata shards verify` lists them), are left.
func (mv *OnlineMove) destinations(t movingTable, src string, rows [][]any) (map[string][][]any, error) {
	out := map[string][][]any{}
	for _, row := range rows {
		raw, _ := row[t.tc.shardKey].([]byte)
		v := KeyValue(mv.KeyOrder, raw)
		from, err := t.moving.From.ShardFor(v)
		if err != nil || from != src {
			continue
		}
		to, err := t.moving.To.ShardFor(v)
		if err != nil {
			return nil, fmt.Errorf("placing %s key %s by the new layout: %w", t.name, raw, err)
		}
		if to != src {
			out[to] = append(out[to], row)
		}
	}
	return out, nil
}

// ReleaseLead gives up the move's lead lock.
func (mv *OnlineMove) ReleaseLead() {
	mv.Lead.Release()
	mv.Lead = nil
}
