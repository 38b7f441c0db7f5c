package shardops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/shard"
)

// MarksSchema.MarksTable keeps, on each source shard, how far an online
// move of a table got there: its mark is written in the transaction that
// deletes the batch's rows, so it is never behind or ahead of them.
const (
	MarksSchema = "strata"
	MarksTable  = "rebalance_marks"
	marksTable  = "`" + MarksSchema + "`.`" + MarksTable + "`"
)

var marksDDL = []string{
	"CREATE DATABASE IF NOT EXISTS `" + MarksSchema + "`",
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
