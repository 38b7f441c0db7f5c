package shardops

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
