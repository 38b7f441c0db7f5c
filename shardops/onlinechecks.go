package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

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
