package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/strata-proxy/strata/bench/benchenv"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/server"
)

// txTarget is one way of running the measured transaction: BEGIN, two
// UPDATEs of items by id, COMMIT.
type txTarget struct {
	name string
	db   *sql.DB
	ids  func(client int) (a, b int64) // the two rows a client updates
	st   stats
}

// measureTransactions compares a two-row transaction on single, through
// a Strata with transactions.mode: twopc on one shard (no branch), and on
// two shards (one XA branch, two-phase commit).
func measureTransactions(ctx context.Context, cfg *config.Config, direct map[string]*sql.DB, single *sql.DB, clients int, dur time.Duration) ([]txTarget, error) {
	tc := *cfg
	tc.Transactions = config.Transactions{Mode: config.TxTwoPC}
	st, err := server.Start(ctx, &tc, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, fmt.Errorf("start strata with twopc: %w", err)
	}
	defer st.Close()
	tdb, err := sql.Open("mysql", fmt.Sprintf("app:app@tcp(%s)/blog", st.MySQLAddr()))
	if err != nil {
		return nil, err
	}
	defer tdb.Close()
	tdb.SetMaxOpenConns(clients)
	tdb.SetMaxIdleConns(clients)
	// Rows of s0 and s1, two per client, so clients never wait on each
	// other's locks.
	s0, err := shardIDs(ctx, direct["s0"], "items", 2*clients)
	if err != nil {
		return nil, err
	}
	s1, err := shardIDs(ctx, direct["s1"], "items", 2*clients)
	if err != nil {
		return nil, err
	}
	targets := []txTarget{
		{name: "single", db: single, ids: func(c int) (int64, int64) { return s0[2*c], s1[2*c] }},
		{name: "Strata, both rows on one shard", db: tdb, ids: func(c int) (int64, int64) { return s0[2*c], s0[2*c+1] }},
		{name: "Strata, rows on two shards (twopc)", db: tdb, ids: func(c int) (int64, int64) { return s0[2*c], s1[2*c] }},
	}
	sts, err := measureRounds(ctx, "transactions", len(targets), clients, dur, func(i int) (string, *sql.DB, func(context.Context, *sql.Conn, int) error) {
		t := targets[i]
		return t.name, t.db, func(ctx context.Context, c *sql.Conn, client int) error {
			a, b := t.ids(client)
			return transaction(ctx, c, a, b)
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

// measureRounds measures n targets (target(i): its name, database and
// what each client does) for a warm-up and then rounds × dur each, the
// order alternating between rounds, logs each under label and returns
// each target's stats.
func measureRounds(ctx context.Context, label string, n, clients int, dur time.Duration, target func(i int) (string, *sql.DB, func(context.Context, *sql.Conn, int) error)) ([]stats, error) {
	samples := make([]sample, n)
	warm := min(dur/5, time.Second)
	for round := -1; round < rounds; round++ {
		for k := range n {
			i := k
			if round%2 == 1 {
				i = n - 1 - k // alternate the order
			}
			d := dur
			if round < 0 {
				d = warm
			}
			name, db, do := target(i)
			sm, err := measureEach(ctx, db, clients, d, do)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if round >= 0 {
				samples[i].add(sm)
			}
		}
	}
	out := make([]stats, n)
	for i := range samples {
		name, _, _ := target(i)
		out[i] = samples[i].stats()
		logf("%s, %s: %.0f tx/s, p95 %s", label, name, out[i].qps, ms(out[i].p95))
	}
	return out, nil
}

// transaction updates rows a and b of items in one transaction.
func transaction(ctx context.Context, c *sql.Conn, a, b int64) error {
	for _, q := range []string{"BEGIN",
		fmt.Sprintf("UPDATE items SET score = score + 1 WHERE id = %d", a),
		fmt.Sprintf("UPDATE items SET score = score + 1 WHERE id = %d", b),
		"COMMIT"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			c.ExecContext(ctx, "ROLLBACK")
			return err
		}
	}
	return nil
}

// shardIDs reads n ids of table a shard holds.
func shardIDs(ctx context.Context, db *sql.DB, table string, n int) ([]int64, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT id FROM blog.%s ORDER BY id LIMIT %d", table, n))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) < n {
		return nil, fmt.Errorf("a shard holds %d rows of %s, want %d", len(ids), table, n)
	}
	return ids, rows.Err()
}

// appendTxSection reports the transactions.
func appendTxSection(path string, targets []txTarget, dur time.Duration, clients int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### Transactions across shards (`transactions.mode: twopc`)\n\n")
	fmt.Fprintf(&b, "%d go-sql-driver clients each run `BEGIN`, two `UPDATE items SET score = score + 1 WHERE id = ?`\n", clients)
	fmt.Fprintf(&b, "(rows of their own, so no client waits on another's locks), `COMMIT`, for %d rounds × %s per\n", rounds, dur)
	fmt.Fprintf(&b, "target (order alternating): on single; through a Strata with `transactions: {mode: twopc}`\n")
	fmt.Fprintf(&b, "with both rows on one shard (a plain transaction there); and with the rows on two shards (the\n")
	fmt.Fprintf(&b, "second joins as an XA branch: `XA START`, the decision row, `XA END`, `XA PREPARE`, `XA COMMIT`).\n\n")
	fmt.Fprintf(&b, "| target | transactions/s | p50 / p95 | / single |\n|---|---:|---:|---:|\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "| %s | %.0f | %s / %s | %.2f× |\n", t.name, t.st.qps, ms(t.st.p50), ms(t.st.p95), t.st.qps/targets[0].st.qps)
	}
	fmt.Fprintf(&b, "\nTwo-phase commit across two shards moved %.2f× the transactions of the same transaction on one shard.\n",
		targets[2].st.qps/targets[1].st.qps)
	return benchenv.AppendSection(path, b.String())
}
