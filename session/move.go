package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// moveBatchBytes bounds one INSERT, UPDATE or DELETE of moved rows, well
// under any server's max_allowed_packet.
const moveBatchBytes = 1 << 20

// movedTable is what a row move needs to know of the table: the columns
// it copies (generated ones are computed again where the row lands) and
// the primary key that names each row.
type movedTable struct {
	copied []string // lower-case, in table order
	items  []string // the SELECT's item for each copied column
	key    []int    // indexes into copied
}

// selectItem reads a column so that its text inserts the same value:
// MariaDB prints a FLOAT with 6 significant digits (1234567 as 1234570),
// its DOUBLE value has them all.
func selectItem(col, dataType string) string {
	if dataType == "float" {
		return "(" + sqlparse.QuoteIdentifier(col) + " + 0e0)"
	}
	return sqlparse.QuoteIdentifier(col)
}

// moveWork is the shardWork of an UPDATE that sets the shard key
// (planner.MovePlan). The rows that leave their shards are read and
// locked first; without two-phase commit, finding any is a refusal
// (committed one shard after another, a failure between the commits would
// leave a row on both shards or on neither), so an UPDATE whose matched
// rows all live on the new key's shard (an ORM writing every column by
// primary key) still runs. Then the destination's own rows are updated in
// place, and the others move there.
func (s *Session) moveWork(plan *planner.ShardPlan, keep bool) shardWork {
	m := plan.Move
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		var w writeResult
		dest := connOf(conns, m.Dest)
		if dest == nil {
			return w, nil, fmt.Errorf("no connection to %s, where the rows move", m.Dest)
		}
		from, failed, err := leavingShards(ctx, m, plan, conns)
		if err != nil {
			return w, failed, err
		}
		if len(from) > 0 && !s.stmtTwoPhase {
			if s.widens {
				// A transaction's statement narrowing under twopc: undone,
				// it runs again with the shards as XA branches.
				return w, nil, errWidenAcross
			}
			return w, nil, wire.NewError(wire.ErNotSupportedYet, "Strata: this UPDATE changes %s, the shard key of %s, and would move rows from %s to %s; Strata moves rows between shards only with two-phase commit (transactions.mode: twopc in its config), so that a row is never left on both shards or on neither: set it, or DELETE the rows and INSERT them again",
				m.Key, m.Table.Name, clusterNames(from), m.Dest)
		}
		table, leaving, failed, err := s.readAllLeaving(ctx, m, dest, from)
		if err != nil {
			return w, failed, err
		}
		if dest.route.SQL != "" {
			res, err := dest.conn.Exec(ctx, dest.route.SQL)
			if err != nil {
				return w, dest, err
			}
			w.add(res)
			if keep {
				w.results = append(w.results, connResult{dest.conn, res})
			}
		}
		for _, l := range leaving {
			res, failed, err := s.moveRows(ctx, m, table, l, dest)
			if err != nil {
				return w, failed, err
			}
			w.add(res)
		}
		return w, nil, nil
	}
}

// leavingShards lists the source shards that hold rows the UPDATE moves,
// locking them: most often none (the key set to its own value by primary
// key), and then the table's columns need not be read.
func leavingShards(ctx context.Context, m *planner.MovePlan, plan *planner.ShardPlan, conns []*shardConn) ([]*shardConn, *shardConn, error) {
	var from []*shardConn
	for _, cluster := range m.Sources(plan) {
		src := connOf(conns, cluster)
		n, err := countLeaving(ctx, m, src)
		if err != nil {
			return nil, src, err
		}
		if n > 0 {
			from = append(from, src)
		}
	}
	return from, nil, nil
}

// readAllLeaving reads the table's columns from dest and the rows that
// leave each shard of from, at most limits.max_pulled_rows in all.
func (s *Session) readAllLeaving(ctx context.Context, m *planner.MovePlan, dest *shardConn, from []*shardConn) (*movedTable, []*leavingRows, *shardConn, error) {
	if len(from) == 0 {
		return nil, nil, nil, nil
	}
	table, err := readMovedTable(ctx, dest.conn, m.Table)
	if err != nil {
		return nil, nil, dest, err
	}
	var leaving []*leavingRows
	budget := s.maxPulled()
	for _, src := range from {
		l, err := s.readLeaving(ctx, m, table, src, &budget)
		if err != nil {
			return nil, nil, l.src, err
		}
		leaving = append(leaving, l)
	}
	return table, leaving, nil, nil
}

// leavingRows are the rows an UPDATE of the shard key matched on one
// shard, read and locked there, that move to the new key's shard.
type leavingRows struct {
	src  *shardConn
	cols []engine.Column
	rows []engine.Row
}

func clusterNames(conns []*shardConn) string {
	names := make([]string, len(conns))
	for i, sc := range conns {
		names[i] = sc.route.Cluster
	}
	return strings.Join(names, ", ")
}

// countLeaving locks and counts the rows the UPDATE matches on src.
func countLeaving(ctx context.Context, m *planner.MovePlan, src *shardConn) (int, error) {
	sql, err := m.Select(src.route.Cluster, []string{"1"})
	if err != nil {
		return 0, err
	}
	r, err := src.conn.QueryRows(ctx, sql)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	for {
		if _, err := r.Next(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				return r.RowCount(), nil
			}
			return 0, err
		}
	}
}

func connOf(conns []*shardConn, cluster string) *shardConn {
	for _, sc := range conns {
		if sc.route.Cluster == cluster {
			return sc
		}
	}
	return nil
}

// readLeaving reads and locks the rows the UPDATE matches on src, taking
// them from budget (limits.max_pulled_rows over all shards: Strata holds
// them while it copies them).
func (s *Session) readLeaving(ctx context.Context, m *planner.MovePlan, t *movedTable, src *shardConn, budget *int) (*leavingRows, error) {
	l := &leavingRows{src: src}
	sql, err := m.Select(src.route.Cluster, t.items)
	if err != nil {
		return l, err
	}
	r, err := src.conn.QueryRows(ctx, sql)
	if err != nil {
		return l, err
	}
	defer r.Close()
	for {
		row, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			l.cols = r.Columns()
			return l, nil
		}
		if err != nil {
			return l, err
		}
		if *budget == 0 {
			return &leavingRows{}, wire.NewError(wire.ErNotSupportedYet, "Strata: this UPDATE moves more than %d rows of %s between shards (limits.max_pulled_rows); nothing was changed: move fewer rows per statement", s.maxPulled(), m.Table)
		}
		*budget--
		l.rows = append(l.rows, row)
	}
}

// moveRows moves rows read and locked on their shard to dest: it inserts
// them on dest as they are, applies the statement's SET there by primary
// key (so MariaDB evaluates it on the old values, as in place) and
// deletes them where they were.
func (s *Session) moveRows(ctx context.Context, m *planner.MovePlan, t *movedTable, l *leavingRows, dest *shardConn) (backend.QueryResult, *shardConn, error) {
	var none backend.QueryResult
	values, keys, err := movedLiterals(l.cols, l.rows, t)
	if err != nil {
		return none, nil, wire.NewError(wire.ErNotSupportedYet, "Strata: cannot move a row of %s between shards: %v", m.Table, err)
	}
	list := make([]string, len(t.copied))
	for i, c := range t.copied {
		list[i] = sqlparse.QuoteIdentifier(c)
	}
	insert := "INSERT INTO " + m.Name + " (" + strings.Join(list, ", ") + ") VALUES "
	if _, err := execBatches(ctx, dest.conn, insert, values, ""); err != nil {
		return none, dest, err
	}
	where := " WHERE " + keyTuple(t) + " IN ("
	updated, err := execBatches(ctx, dest.conn, m.Update+where, keys, ")")
	if err != nil {
		return none, dest, err
	}
	deleted, err := execBatches(ctx, l.src.conn, "DELETE FROM "+m.Name+where, keys, ")")
	if err != nil {
		return none, l.src, err
	}
	if deleted.AffectedRows != uint64(len(l.rows)) {
		return none, nil, wire.NewError(wire.ErUnknownError, "Strata: moving rows of %s from %s deleted %d of the %d rows it read and locked there; nothing was changed", m.Table, l.src.route.Cluster, deleted.AffectedRows, len(l.rows))
	}
	s.env.Metrics.MovedRows(l.src.route.Cluster, dest.route.Cluster, len(l.rows))
	return updated, nil, nil
}

// movedLiterals renders each row as a VALUES tuple and its primary key
// as an IN-list item.
func movedLiterals(cols []engine.Column, rows []engine.Row, t *movedTable) (values, keys []string, err error) {
	if len(cols) != len(t.copied) {
		return nil, nil, fmt.Errorf("the shard answered %d columns for %d", len(cols), len(t.copied))
	}
	lits := make([]string, len(cols))
	for _, row := range rows {
		for i, c := range cols {
			if lits[i], err = pulledLiteral(c, row[i]); err != nil {
				return nil, nil, fmt.Errorf("column %s: %w", t.copied[i], err)
			}
		}
		values = append(values, "("+strings.Join(lits, ", ")+")")
		key := make([]string, len(t.key))
		for i, k := range t.key {
			key[i] = lits[k]
		}
		keys = append(keys, tuple(key))
	}
	return values, keys, nil
}

// keyTuple is the primary key's columns as the left side of an IN.
func keyTuple(t *movedTable) string {
	names := make([]string, len(t.key))
	for i, k := range t.key {
		names[i] = sqlparse.QuoteIdentifier(t.copied[k])
	}
	return tuple(names)
}

// tuple is one item, or several in parentheses.
func tuple(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return "(" + strings.Join(items, ", ") + ")"
}

// execBatches runs head followed by items joined with commas (and tail),
// in statements of at most moveBatchBytes, and sums their OKs.
func execBatches(ctx context.Context, c *backend.Conn, head string, items []string, tail string) (backend.QueryResult, error) {
	var sum backend.QueryResult
	for len(items) > 0 {
		n, size := 0, len(head)+len(tail)
		for n < len(items) && (n == 0 || size+len(items[n])+2 <= moveBatchBytes) {
			size += len(items[n]) + 2
			n++
		}
		res, err := c.Exec(ctx, head+strings.Join(items[:n], ", ")+tail)
		if err != nil {
			return sum, err
		}
		sum.AffectedRows += res.AffectedRows
		sum.Warnings += res.Warnings
		items = items[n:]
	}
	return sum, nil
}

// readMovedTable reads the table's columns and primary key from a shard,
// and refuses a table other tables reference by foreign key: deleting a
// moved row would cascade to (or be blocked by) their rows, which stay.
func readMovedTable(ctx context.Context, c *backend.Conn, t sqlparse.TableRef) (*movedTable, error) {
	schema := "DATABASE()"
	if t.Schema != "" {
		schema = quoteLiteral([]byte(t.Schema))
	}
	name := quoteLiteral([]byte(t.Name))
	refs, err := c.QueryRows(ctx, "SELECT DISTINCT CONCAT(CONSTRAINT_SCHEMA, '.', TABLE_NAME) FROM information_schema.REFERENTIAL_CONSTRAINTS"+
		" WHERE UNIQUE_CONSTRAINT_SCHEMA = "+schema+" AND REFERENCED_TABLE_NAME = "+name)
	if err != nil {
		return nil, fmt.Errorf("reading the foreign keys on %s: %w", t, err)
	}
	var referencing []string
	for {
		r, err := refs.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			refs.Close()
			return nil, fmt.Errorf("reading the foreign keys on %s: %w", t, err)
		}
		referencing = append(referencing, string(r[0]))
	}
	refs.Close()
	if len(referencing) > 0 {
		return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: rows of %s cannot move between shards: %s reference it by foreign key, and their rows would not move with it", t, strings.Join(referencing, ", "))
	}
	q := "SELECT LOWER(c.COLUMN_NAME), LOWER(c.DATA_TYPE), c.IS_GENERATED <> 'NEVER', s.COLUMN_NAME IS NOT NULL" +
		" FROM information_schema.COLUMNS c LEFT JOIN information_schema.STATISTICS s" +
		" ON s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME AND s.COLUMN_NAME = c.COLUMN_NAME AND s.INDEX_NAME = 'PRIMARY'" +
		" WHERE c.TABLE_SCHEMA = " + schema + " AND c.TABLE_NAME = " + name +
		" ORDER BY c.ORDINAL_POSITION"
	rows, err := c.QueryRows(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", t, err)
	}
	defer rows.Close()
	mt := &movedTable{}
	for {
		r, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the columns of %s: %w", t, err)
		}
		generated, primary := string(r[2]) == "1", string(r[3]) == "1"
		if generated {
			if primary {
				return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: rows of %s cannot move between shards: its primary key holds a generated column", t)
			}
			continue
		}
		if primary {
			mt.key = append(mt.key, len(mt.copied))
		}
		mt.copied = append(mt.copied, string(r[0]))
		mt.items = append(mt.items, selectItem(string(r[0]), string(r[1])))
	}
	if len(mt.key) == 0 {
		return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: rows of %s cannot move between shards: the table has no primary key to name each row by (found no columns of it, or no PRIMARY KEY)", t)
	}
	return mt, nil
}
