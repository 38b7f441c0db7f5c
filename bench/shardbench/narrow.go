package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/strata-proxy/strata/bench/benchenv"
)

// namedItems is how many rows named_items gets, through Strata.
const namedItems = 1000

// saveTarget is one way of running the measured save: BEGIN, an UPDATE
// of one row of table, COMMIT.
type saveTarget struct {
	name  string
	db    *sql.DB
	table string
	where func(id int64) string
	ids   []int64 // a row of its own per client
	st    stats
}

// measureSaves compares an ORM's save of one row in a transaction of its
// own, found by a column other than the shard key (items' name), on
// single, through Strata with the shard key added, through Strata by
// name alone (that UPDATE needs every shard, so it runs on each in a
// transaction there and the transaction narrows to the shard whose row it
// changed: transactions.mode single, session/narrow.go), and through
// Strata by name alone where unique: keeps the name unique across the
// shards (named_items), so Strata remembers each name's shard and runs
// the save there alone (session/locate.go).
func measureSaves(ctx context.Context, direct map[string]*sql.DB, single, strata *sql.DB, clients int, dur time.Duration) ([]saveTarget, error) {
	// A row of its own per client, so no client waits on another's lock.
	ids, err := shardIDs(ctx, direct["s2"], "items", clients)
	if err != nil {
		return nil, err
	}
	namedIDs, err := shardIDs(ctx, direct["s2"], "named_items", clients)
	if err != nil {
		return nil, err
	}
	byName := func(id int64) string { return fmt.Sprintf("name = 'item-%d'", id) }
	targets := []saveTarget{
		{name: "single, by name", db: single, table: "items", where: byName, ids: ids},
		{name: "Strata, by shard key and name", db: strata, table: "items", where: func(id int64) string { return fmt.Sprintf("id = %d AND %s", id, byName(id)) }, ids: ids},
		{name: "Strata, by name alone (narrowed)", db: strata, table: "items", where: byName, ids: ids},
		{name: "Strata, by name alone, `unique: [name]` (the name's shard remembered)", db: strata, table: "named_items", where: byName, ids: namedIDs},
	}
	sts, err := measureRounds(ctx, "saves", len(targets), clients, dur, func(i int) (string, *sql.DB, func(context.Context, *sql.Conn, int) error) {
		t := targets[i]
		return t.name, t.db, func(ctx context.Context, c *sql.Conn, client int) error {
			return save(ctx, c, t.table, t.where(t.ids[client]))
		}
	})
	if err != nil {
		return nil, err
	}
	for i, st := range sts {
		targets[i].st = st
	}
	return targets, nil
}

// loadNamedItems writes named_items' rows, the first items' ids and
// names with a score of their own, on single and through Strata (which
// checks each name on every shard, and remembers where each went).
func loadNamedItems(ctx context.Context, single, strata *sql.DB) error {
	var values []string
	for id := 1; id <= namedItems; id++ {
		values = append(values, fmt.Sprintf("(%d, %d, 'item-%d')", id, id%97, id))
	}
	for _, db := range []*sql.DB{single, strata} {
		if _, err := db.ExecContext(ctx, "INSERT INTO named_items (id, score, name) VALUES "+strings.Join(values, ", ")); err != nil {
			return fmt.Errorf("loading named_items: %w", err)
		}
	}
	return nil
}

// save updates the row of table where says, in a transaction of its own,
// and checks that it changed one row.
func save(ctx context.Context, c *sql.Conn, table, where string) error {
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	res, err := c.ExecContext(ctx, "UPDATE "+table+" SET score = score + 1 WHERE "+where)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n != 1 {
			err = fmt.Errorf("the UPDATE %s WHERE %s changed %d rows, want 1", table, where, n)
		}
	}
	if err != nil {
		c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	_, err = c.ExecContext(ctx, "COMMIT")
	return err
}

// appendSaveSection reports the saves.
func appendSaveSection(path string, targets []saveTarget, dur time.Duration, clients int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### A save by another column than the shard key, in a transaction of its own\n\n")
	fmt.Fprintf(&b, "%d go-sql-driver clients each run `BEGIN`, `UPDATE items SET score = score + 1 WHERE name = ?`\n", clients)
	fmt.Fprintf(&b, "(a row of their own; `name` has a key, `items` is sharded by `id`), `COMMIT`, as an ORM saves a model\n")
	fmt.Fprintf(&b, "found by a column other than the shard key, for %d rounds × %s per target (order alternating):\n", rounds, dur)
	fmt.Fprintf(&b, "on single; through Strata with the shard key added (`id = ? AND name = ?`, one shard); by\n")
	fmt.Fprintf(&b, "`name` alone, which needs every shard: Strata runs it on each in a transaction there and the\n")
	fmt.Fprintf(&b, "transaction goes on on the shard whose row it changed (`transactions.mode: single`); and by `name`\n")
	fmt.Fprintf(&b, "alone on `named_items` (%d rows, sharded as `items`), whose `name` is listed in `unique:`, so Strata\n", namedItems)
	fmt.Fprintf(&b, "remembers the shard each name's row was written to or found on and runs the save there alone.\n\n")
	fmt.Fprintf(&b, "| target | transactions/s | p50 / p95 | / single |\n|---|---:|---:|---:|\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "| %s | %.0f | %s / %s | %.2f× |\n", t.name, t.st.qps, ms(t.st.p50), ms(t.st.p95), t.st.qps/targets[0].st.qps)
	}
	fmt.Fprintf(&b, "\nBy name alone Strata moved %.2f× the transactions it moved with the shard key; with the name's\n", targets[2].st.qps/targets[1].st.qps)
	fmt.Fprintf(&b, "shard remembered, %.2f×.\n", targets[3].st.qps/targets[1].st.qps)
	return benchenv.AppendSection(path, b.String())
}
