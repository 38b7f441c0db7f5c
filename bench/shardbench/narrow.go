package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/strata-proxy/strata/bench/benchenv"
)

// saveTarget is one way of running the measured save: BEGIN, an UPDATE
// of one item, COMMIT.
type saveTarget struct {
	name  string
	db    *sql.DB
	where func(id int64) string
	st    stats
}

// measureSaves compares an ORM's save of one row in a transaction of its
// own, found by a column other than the shard key (items' name), on
// single, through Strata with the shard key added, and through Strata by
// name alone: that UPDATE needs every shard, so it runs on each in a
// transaction there and the transaction narrows to the shard whose row it
// changed (transactions.mode single, session/narrow.go).
func measureSaves(ctx context.Context, direct map[string]*sql.DB, single, strata *sql.DB, clients int, dur time.Duration) ([]saveTarget, error) {
	// A row of its own per client, so no client waits on another's lock.
	ids, err := itemIDs(ctx, direct["s2"], clients)
	if err != nil {
		return nil, err
	}
	byName := func(id int64) string { return fmt.Sprintf("name = 'item-%d'", id) }
	targets := []saveTarget{
		{name: "single, by name", db: single, where: byName},
		{name: "Strata, by shard key and name", db: strata, where: func(id int64) string { return fmt.Sprintf("id = %d AND %s", id, byName(id)) }},
		{name: "Strata, by name alone (narrowed)", db: strata, where: byName},
	}
	sts, err := measureRounds(ctx, "saves", len(targets), clients, dur, func(i int) (string, *sql.DB, func(context.Context, *sql.Conn, int) error) {
		t := targets[i]
		return t.name, t.db, func(ctx context.Context, c *sql.Conn, client int) error { return save(ctx, c, t.where(ids[client])) }
	})
	if err != nil {
		return nil, err
	}
	for i, st := range sts {
		targets[i].st = st
	}
	return targets, nil
}

// save updates the item where says, in a transaction of its own, and
// checks that it changed one row.
func save(ctx context.Context, c *sql.Conn, where string) error {
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	res, err := c.ExecContext(ctx, "UPDATE items SET score = score + 1 WHERE "+where)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n != 1 {
			err = fmt.Errorf("the UPDATE WHERE %s changed %d rows, want 1", where, n)
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
	fmt.Fprintf(&b, "on single; through Strata with the shard key added (`id = ? AND name = ?`, one shard); and by\n")
	fmt.Fprintf(&b, "`name` alone, which needs every shard: Strata runs it on each in a transaction there and the\n")
	fmt.Fprintf(&b, "transaction goes on on the shard whose row it changed (`transactions.mode: single`).\n\n")
	fmt.Fprintf(&b, "| target | transactions/s | p50 / p95 | / single |\n|---|---:|---:|---:|\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "| %s | %.0f | %s / %s | %.2f× |\n", t.name, t.st.qps, ms(t.st.p50), ms(t.st.p95), t.st.qps/targets[0].st.qps)
	}
	fmt.Fprintf(&b, "\nBy name alone Strata moved %.2f× the transactions it moved with the shard key.\n", targets[2].st.qps/targets[1].st.qps)
	return benchenv.AppendSection(path, b.String())
}
