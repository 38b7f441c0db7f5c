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
	where, args := mv.after(after)
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

// after is the condition "key above the mark" and its argument.
func (mv *OnlineMove) after(mark *shard.Value) (string, []any) {
	k := quoteIdent(mv.Moving.Key())
	if mark == nil {
		return k + " IS NOT NULL", nil
	}
	return k + " > ?", []any{keyArg(*mark)}
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
	key := quoteIdent(t.moving.Key())
	where, args := key+" IS NOT NULL", []any(nil)
	if after != nil {
		where, args = key+" > ?", []any{keyArg(*after)}
	}
	if next != nil {
		where += " AND " + key + " <= ?"
		args = append(args, keyArg(*next))
	}
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

// batchTx is one batch's transactions: the source's, which read and
// locked the rows and deletes them, and one per destination.
type batchTx struct {
	open   Opener
	schema string
	from   string
	src    *sql.Tx
	conns  []*sql.Conn
	dests  map[string]*sql.Tx
	parts  []*batchPart
}

// batchPart is what a batch moved of one table.
type batchPart struct {
	table string
	tc    *tableColumns
	// inserted: per destination, the rows this batch inserted there (not
	// those already there), to delete again if the source keeps them.
	inserted map[string][][]any
	gone     [][]any // the rows deleted on the source
}

// begin opens the source's transaction, on a connection whose row-lock
// wait is short: a transaction of the application that holds a row of
// the batch makes the batch give up and come back, rather than stall the
// table behind the closed fence.
func (mv *OnlineMove) begin(ctx context.Context, src string) (*batchTx, error) {
	b := &batchTx{open: mv.Open, schema: mv.Schema, from: src, dests: map[string]*sql.Tx{}}
	tx, err := b.tx(ctx, src, cmpOr(mv.LockWait, time.Second))
	if err != nil {
		return nil, err
	}
	b.src = tx
	return b, nil
}

func (b *batchTx) tx(ctx context.Context, cluster string, lockWait time.Duration) (*sql.Tx, error) {
	db, err := b.open(cluster)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	b.conns = append(b.conns, conn)
	secs := max(1, int(lockWait/time.Second))
	if _, err := conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = "+strconv.Itoa(secs)); err != nil {
		return nil, err
	}
	return conn.BeginTx(ctx, nil)
}

// copy inserts each destination's rows of table t in its transaction
// and deletes them in the source's. A row already on its destination
// counts as moved when equal (a retried batch), and fails the batch when
// it differs.
func (b *batchTx) copy(ctx context.Context, mv *OnlineMove, t movingTable, byDest map[string][][]any) (moved, resolved int64, err error) {
	part := &batchPart{table: t.name, tc: t.tc, inserted: map[string][][]any{}}
	b.parts = append(b.parts, part)
	for dest, rows := range byDest {
		tx := b.dests[dest]
		if tx == nil {
			if tx, err = b.tx(ctx, dest, cmpOr(mv.LockWait, time.Second)); err != nil {
				return 0, 0, fmt.Errorf("opening shard %s: %w", dest, err)
			}
			b.dests[dest] = tx
		}
		rep := &RebalanceReport{}
		ins, same, err := insertRows(ctx, tx, b.schema, t.name, t.tc, rows, rep)
		if err != nil {
			return 0, 0, fmt.Errorf("copying rows of %s to %s: %w", t.name, dest, err)
		}
		if len(rep.Conflicts) > 0 {
			return 0, 0, fmt.Errorf("shard %s already holds other rows of %s with the primary keys of rows that move there (%s): settle them by hand (strata shards verify)", dest, t.name, strings.Join(rep.Conflicts, "; "))
		}
		part.inserted[dest] = ins
		part.gone = append(part.gone, ins...)
		part.gone = append(part.gone, same...)
		moved += int64(len(ins))
		resolved += int64(len(same))
	}
	if len(part.gone) == 0 {
		return 0, 0, nil
	}
	res, err := b.src.ExecContext(ctx, "DELETE FROM "+qualified(b.schema, t.name)+" WHERE "+t.tc.keyIn(len(part.gone)), flatten(keysOf(t.tc, part.gone))...)
	if err != nil {
		return 0, 0, fmt.Errorf("deleting the moved rows of %s on %s: %w", t.name, b.from, err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(part.gone)) {
		return 0, 0, fmt.Errorf("deleting %d moved rows of %s on %s deleted %d", len(part.gone), t.name, b.from, n)
	}
	return moved, resolved, nil
}

// commit commits the destinations, then the source. A destination that
// fails to commit rolls the source back and takes the rows inserted on
// the others out again; a source whose commit fails is read again, and
// the rows it still holds are taken out of their destinations. Either
// way each row is left on one shard, where its mark places it.
func (b *batchTx) commit(ctx context.Context) error {
	var committed []string
	for dest, tx := range b.dests {
		if err := tx.Commit(); err != nil {
			for _, p := range b.parts {
				b.undo(ctx, p, committed, nil)
			}
			return fmt.Errorf("committing the copied rows on %s: %w", dest, err)
		}
		committed = append(committed, dest)
	}
	err := b.src.Commit()
	if err == nil {
		return nil
	}
	// The commit's outcome is unknown: read which rows the source has.
	db, oerr := b.open(b.from)
	if oerr != nil {
		return fmt.Errorf("committing the deletes on %s: %w; and the rows there cannot be read again (%v): run strata shards verify", b.from, err, oerr)
	}
	for _, p := range b.parts {
		if len(p.gone) == 0 {
			continue
		}
		kept, rerr := selectRows(ctx, db, b.schema, p.table, p.tc, keysOf(p.tc, p.gone), "")
		if rerr != nil {
			return fmt.Errorf("committing the deletes on %s: %w; and the rows of %s there cannot be read again (%v): run strata shards verify", b.from, err, p.table, rerr)
		}
		b.undo(ctx, p, committed, keysOf(p.tc, kept))
	}
	return fmt.Errorf("committing the deletes on %s: %w", b.from, err)
}

// undo deletes from the committed destinations the rows of p this batch
// inserted there, only those of keys (all when keys is nil).
func (b *batchTx) undo(ctx context.Context, p *batchPart, committed []string, keys [][]any) {
	want := map[string]bool{}
	for _, k := range keys {
		want[keyText(k)] = true
	}
	for _, dest := range committed {
		var take [][]any
		for _, k := range keysOf(p.tc, p.inserted[dest]) {
			if keys == nil || want[keyText(k)] {
				take = append(take, k)
			}
		}
		if len(take) == 0 {
			continue
		}
		if db, err := b.open(dest); err == nil {
			db.ExecContext(ctx, "DELETE FROM "+qualified(b.schema, p.table)+" WHERE "+p.tc.keyIn(len(take)), flatten(take)...)
		}
	}
}

// rollback ends whatever is still open and gives the connections back.
func (b *batchTx) rollback() {
	for _, tx := range b.dests {
		tx.Rollback()
	}
	if b.src != nil {
		b.src.Rollback()
	}
	for _, c := range b.conns {
		c.Close()
	}
}

// selectWhere reads the rows of table matching where, each column's
// value as its bytes.
func selectWhere(ctx context.Context, q querier, schema, table string, tc *tableColumns, where string, args []any) ([][]any, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+strings.Join(tc.items, ", ")+" FROM "+qualified(schema, table)+" WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		row, err := scanBytes(rows, len(tc.items))
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// ReleaseLead gives up the move's lead lock.
func (mv *OnlineMove) ReleaseLead() {
	mv.Lead.Release()
	mv.Lead = nil
}

// marksTable keeps, on each source shard, how far an online move of a
// table got there: its mark is written in the transaction that deletes
// the batch's rows, so it is never behind or ahead of them.
const marksTable = "`strata`.`rebalance_marks`"

var marksDDL = []string{
	"CREATE DATABASE IF NOT EXISTS `strata`",
	"CREATE TABLE IF NOT EXISTS " + marksTable + " (schema_name VARCHAR(64) NOT NULL, table_name VARCHAR(64) NOT NULL," +
		" from_layout TEXT NOT NULL, to_layout TEXT NOT NULL, key_order VARCHAR(64) NOT NULL, with_tables TEXT NOT NULL," +
		" mark VARBINARY(3072) NULL, finished BOOL NOT NULL DEFAULT FALSE," +
		" PRIMARY KEY (schema_name, table_name)) ENGINE=InnoDB",
}

// record creates the mark of the move on every source where it is
// missing. A mark left by a move between other placements (one that
// never ended) fails the move: its rows are split between those.
func (mv *OnlineMove) record(ctx context.Context, sources []string) (fresh bool, err error) {
	for _, src := range sources {
		db, err := mv.Open(src)
		if err != nil {
			return false, err
		}
		for _, q := range marksDDL {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return false, fmt.Errorf("creating %s on %s: %w", marksTable, src, err)
			}
		}
		res, err := db.ExecContext(ctx, "INSERT IGNORE INTO "+marksTable+" (schema_name, table_name, from_layout, to_layout, key_order, with_tables) VALUES (?, ?, ?, ?, ?, ?)",
			mv.Schema, mv.Table, mv.FromSpec, mv.ToSpec, mv.KeyOrder, mv.withSpec())
		if err != nil {
			return false, fmt.Errorf("recording the move on %s: %w", src, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			fresh = true
		}
		var from, to, with string
		if err := db.QueryRowContext(ctx, "SELECT from_layout, to_layout, with_tables FROM "+marksTable+" WHERE schema_name = ? AND table_name = ?", mv.Schema, mv.Table).Scan(&from, &to, &with); err != nil {
			return false, fmt.Errorf("reading the move's record on %s: %w", src, err)
		}
		if from != mv.FromSpec || to != mv.ToSpec || with != mv.withSpec() {
			return false, fmt.Errorf("shard %s holds the record of an unfinished move of %s between other layouts (from %s to %s): finish that one first", src, mv.Table, from, to)
		}
	}
	return fresh, nil
}

// withSpec records the tables that move with the lead, as JSON.
func (mv *OnlineMove) withSpec() string {
	with := make([]PendingTable, 0, len(mv.With))
	for _, w := range mv.With {
		with = append(with, PendingTable{Table: w.Table, From: w.FromSpec, To: w.ToSpec})
	}
	data, _ := json.Marshal(with)
	return string(data)
}

// PendingMove is an online move a Strata started and that did not end:
// its placements and each source's mark, as strata.rebalance_marks holds
// them.
type PendingMove struct {
	Table    string
	From, To string // the placements' specs (OnlineMove.FromSpec, ToSpec)
	KeyOrder string // OnlineMove.KeyOrder
	With     []PendingTable
	Marks    map[string]PendingMark
}

// PendingTable is a table that moves with a PendingMove's lead table.
type PendingTable struct {
	Table    string `json:"table"`
	From, To string // its placements' specs
}

// Tables are the move's tables, the lead's first.
func (p PendingMove) Tables() []string {
	out := []string{p.Table}
	for _, w := range p.With {
		out = append(out, w.Table)
	}
	return out
}

// PendingMark is one source shard's recorded progress.
type PendingMark struct {
	Key      []byte // the highest key moved; nil before the first batch
	Finished bool   // every key has moved
}

// PendingMoves reads the unfinished online moves of schema's tables from
// the marks on clusters (every cluster a move may have started from). A
// cluster without the marks table has none.
func PendingMoves(ctx context.Context, open Opener, clusters []string, schema string) ([]PendingMove, error) {
	byTable := map[string]*PendingMove{}
	var order []string
	var errs []error
	for _, c := range clusters {
		db, err := open(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows, err := db.QueryContext(ctx, "SELECT table_name, from_layout, to_layout, key_order, with_tables, mark, finished FROM "+marksTable+" WHERE schema_name = ?", schema)
		var me *mysql.MySQLError
		if errors.As(err, &me) && (me.Number == 1146 || me.Number == 1049) {
			continue // no table (or schema): no move ever started here
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s on %s: %w", marksTable, c, err))
			continue
		}
		for rows.Next() {
			var table, from, to, keyOrder, with string
			var mark []byte
			var finished bool
			if err := rows.Scan(&table, &from, &to, &keyOrder, &with, &mark, &finished); err != nil {
				errs = append(errs, err)
				break
			}
			p := byTable[table]
			if p == nil {
				p = &PendingMove{Table: table, From: from, To: to, KeyOrder: keyOrder, Marks: map[string]PendingMark{}}
				if err := json.Unmarshal([]byte(with), &p.With); err != nil {
					errs = append(errs, fmt.Errorf("the record of the move of %s on %s: %w", table, c, err))
				}
				byTable[table] = p
				order = append(order, table)
			}
			if p.From != from || p.To != to || p.KeyOrder != keyOrder {
				errs = append(errs, fmt.Errorf("the records of the move of %s differ between shards (on %s: from %s to %s by %s)", table, c, from, to, keyOrder))
			}
			p.Marks[c] = PendingMark{Key: mark, Finished: finished}
		}
		if err := rows.Err(); err != nil {
			errs = append(errs, err)
		}
		rows.Close()
	}
	out := make([]PendingMove, 0, len(order))
	for _, t := range order {
		out = append(out, *byTable[t])
	}
	return out, errors.Join(errs...)
}

// Restore sets the marks a PendingMove read on its moving method.
func (p PendingMove) Restore(m *shard.Moving) error {
	for src, mark := range p.Marks {
		switch {
		case mark.Finished:
			m.FinishShard(src)
		case mark.Key != nil:
			if err := m.SetMark(src, KeyValue(p.KeyOrder, mark.Key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ForgetMove deletes a finished move's marks from its sources.
func ForgetMove(ctx context.Context, open Opener, sources []string, schema, table string) error {
	var errs []error
	for _, src := range sources {
		db, err := open(src)
		if err == nil {
			_, err = db.ExecContext(ctx, "DELETE FROM "+marksTable+" WHERE schema_name = ? AND table_name = ?", schema, table)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("forgetting the move's marks on %s: %w", src, err))
		}
	}
	return errors.Join(errs...)
}

// CatchUp waits until each replica has applied what the primary had
// written when it was called (MASTER_GTID_WAIT on its binlog position),
// up to wait per replica, so a read sent to a replica afterwards sees the
// rows a move put on the primary. It names the replicas that did not.
func CatchUp(ctx context.Context, primary *sql.DB, replicas map[string]*sql.DB, wait time.Duration) error {
	var pos string
	if err := primary.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		return fmt.Errorf("reading the primary's binlog position: %w", err)
	}
	var errs []error
	for addr, r := range replicas {
		var res sql.NullInt64
		err := r.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", pos, wait.Seconds()).Scan(&res)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("replica %s: %w", addr, err))
		case !res.Valid || res.Int64 != 0:
			errs = append(errs, fmt.Errorf("replica %s did not apply %s within %s", addr, pos, wait))
		}
	}
	return errors.Join(errs...)
}

// CheckShards reports the shards among clusters that cannot take part in
// a move of table: unreachable, or without the table (create it there,
// LIKE the others, before the move).
func CheckShards(ctx context.Context, open Opener, schema, table string, clusters []string) error {
	var errs []error
	for _, c := range clusters {
		db, err := open(c)
		var n int
		if err == nil {
			err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", schema, table).Scan(&n)
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("shard %s cannot be read: %w", c, err))
		case n == 0:
			errs = append(errs, fmt.Errorf("shard %s has no table %s.%s: create it there (CREATE TABLE ... LIKE the other shards') first", c, schema, table))
		}
	}
	return errors.Join(errs...)
}
