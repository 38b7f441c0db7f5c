package shardops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/strata-proxy/strata/shard"
)

// ExpiredTable is a period table older than the periods its date table
// keeps (keep:), as Expire found it on its shard.
type ExpiredTable struct {
	Table   string `json:"table"`
	Base    string `json:"base"`
	Shard   string `json:"shard"`
	Dropped bool   `json:"dropped"`
	Error   string `json:"error,omitempty"`
}

// Expire lists, for every date table of layout with keep:, the period
// tables in schema older than the oldest period it keeps, on the shard
// the table's ranges place each on (where Strata would read it); with
// drop it drops them. Strata reads none of them any more (shard.Date
// keeps the newest keep periods): dropping them is how their rows go.
// Tables of other names, and copies on other shards, are left alone. It
// goes on past a failing shard and returns the failures joined.
func Expire(ctx context.Context, layout *shard.Layout, open Opener, schema string, drop bool) ([]ExpiredTable, error) {
	var out []ExpiredTable
	var errs []error
	for _, t := range layout.Tables() {
		d, ok := t.Method.(*shard.Date)
		if !ok || t.Placement != shard.PlaceSharded || d.Keep() <= 0 {
			continue
		}
		for _, sh := range d.Shards() {
			found, err := expiredOn(ctx, open, schema, d, t.Name, sh)
			if err != nil {
				errs = append(errs, fmt.Errorf("listing the period tables of %s on %s: %w", t.Name, sh, err))
			}
			for _, name := range found {
				et := ExpiredTable{Table: name, Base: t.Name, Shard: sh}
				if drop {
					if err := dropTable(ctx, open, schema, sh, name); err != nil {
						et.Error = err.Error()
						errs = append(errs, fmt.Errorf("dropping %s on %s: %w", name, sh, err))
					} else {
						et.Dropped = true
					}
				}
				out = append(out, et)
			}
		}
	}
	return out, errors.Join(errs...)
}

// expiredOn lists the period tables of d (base) on cluster that d no
// longer keeps and whose period the ranges place on cluster, oldest
// first. A table goes only when the server's clock (NOW()) agrees with
// Strata's that it is past keep:, so a Strata whose clock runs ahead
// does not drop tables their server still counts as kept.
func expiredOn(ctx context.Context, open Opener, schema string, d *shard.Date, base, cluster string) ([]string, error) {
	db, err := open(cluster)
	if err != nil {
		return nil, err
	}
	var serverNow time.Time
	var text string
	if err := db.QueryRowContext(ctx, "SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s')").Scan(&text); err != nil {
		return nil, fmt.Errorf("reading the server's clock: %w", err)
	}
	if serverNow, err = time.Parse(time.DateTime, text); err != nil {
		return nil, fmt.Errorf("reading the server's clock %q: %w", text, err)
	}
	pattern := strings.NewReplacer(`\`, `\\`, "_", `\_`, "%", `\%`).Replace(base) + `\_%`
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ? ORDER BY TABLE_NAME", schema, pattern)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		start, ok := d.PeriodStart(name)
		if !ok || !d.Expired(name) || !d.ExpiredAt(name, serverNow) {
			continue
		}
		if owner, err := d.ShardFor(shard.Time(start)); err != nil || owner != cluster {
			continue
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

func dropTable(ctx context.Context, open Opener, schema, cluster, table string) error {
	db, err := open(cluster)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+qualified(schema, table))
	return err
}
