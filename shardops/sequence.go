package shardops

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
)

// SequenceSchema is the schema that holds sequence tables named without one.
const SequenceSchema = "strata"

// SequenceSource implements shard.BlockSource on a table
// (name VARCHAR(64) PRIMARY KEY, next_id BIGINT NOT NULL) on one primary.
// It creates the schema, table and row when missing (a new sequence starts
// at 1) and takes a block with
//
//	UPDATE t SET next_id = LAST_INSERT_ID(next_id + size) WHERE name = ?
//	SELECT LAST_INSERT_ID()
//
// on one connection: the UPDATE is atomic on the row, so no two proxies
// ever get the same block. Safe for concurrent use.
type SequenceSource struct {
	// db returns the pool of the primary that holds the table, looked up
	// on every use: a switchover or failover moves it.
	db     func() (*sql.DB, error)
	schema string
	table  string

	mu    sync.Mutex
	ready bool            // schema and table exist
	rows  map[string]bool // sequences whose row exists

	// Starts holds each sequence's lowest id (config `start:`); a missing
	// entry means 1.
	Starts map[string]int64
}

// NewSequenceSource uses table ("strata_sequences", or "schema.table") on
// db. A table without a schema lives in SequenceSchema.
func NewSequenceSource(db *sql.DB, table string) *SequenceSource {
	return newSequenceSource(func() (*sql.DB, error) { return db, nil }, table)
}

// newSequenceSource is NewSequenceSource on whatever primary db returns.
func newSequenceSource(db func() (*sql.DB, error), table string) *SequenceSource {
	schema, table := SequenceTable(table)
	return &SequenceSource{db: db, schema: schema, table: table, rows: map[string]bool{}}
}

// SequenceTable is the schema and name of a sequence's table as config
// sequences.S.table gives it ("" for the default, "t" in SequenceSchema,
// or "schema.t").
func SequenceTable(table string) (schema, name string) {
	if table == "" {
		table = config.DefaultSequenceTable
	}
	if s, t, ok := strings.Cut(table, "."); ok {
		return s, t
	}
	return SequenceSchema, table
}

// NextBlock implements shard.BlockSource: the block is [first, first+size).
func (s *SequenceSource) NextBlock(ctx context.Context, name string, size int) (int64, error) {
	if size <= 0 {
		return 0, fmt.Errorf("sequence %s: block size %d is not positive", name, size)
	}
	db, err := s.db()
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	if err := s.ensure(ctx, db, name); err != nil {
		return 0, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	defer conn.Close()
	tbl := qualified(s.schema, s.table)
	res, err := conn.ExecContext(ctx, "UPDATE "+tbl+" SET next_id = LAST_INSERT_ID(next_id + ?) WHERE name = ?", size, name)
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		// The row vanished (someone deleted it): recreate it next time.
		s.mu.Lock()
		delete(s.rows, name)
		s.mu.Unlock()
		return 0, fmt.Errorf("sequence %s: no row in %s.%s", name, s.schema, s.table)
	}
	var last int64
	if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&last); err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	return last - int64(size), nil
}

// ensure creates the schema, the table and the sequence's row once.
func (s *SequenceSource) ensure(ctx context.Context, db *sql.DB, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tbl := qualified(s.schema, s.table)
	if !s.ready {
		for _, q := range []string{
			"CREATE DATABASE IF NOT EXISTS " + quoteIdent(s.schema),
			"CREATE TABLE IF NOT EXISTS " + tbl + " (name VARCHAR(64) NOT NULL PRIMARY KEY, next_id BIGINT NOT NULL) ENGINE=InnoDB",
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sequence %s: %w", name, err)
			}
		}
		s.ready = true
	}
	if !s.rows[name] {
		start := max(s.Starts[name], 1)
		for _, q := range []string{
			"INSERT IGNORE INTO " + tbl + " (name, next_id) VALUES (?, ?)",
			// Raise, never lower: ids already handed out stay behind us.
			"UPDATE " + tbl + " SET next_id = GREATEST(next_id, ?) WHERE name = ?",
		} {
			args := []any{name, start}
			if strings.HasPrefix(q, "UPDATE") {
				args = []any{start, name}
			}
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("sequence %s: %w", name, err)
			}
		}
		s.rows[name] = true
	}
	return nil
}

// NewSequences builds a shard.Sequence for every sequence of cfg, each on
// its cluster's primary (one SequenceSource per cluster and table).
func NewSequences(cfg *config.Config, open Opener) (map[string]*shard.Sequence, error) {
	out := map[string]*shard.Sequence{}
	sources := map[string]*SequenceSource{}
	for name, sc := range cfg.Sequences {
		key := sc.Cluster + "\x00" + sc.Table
		src := sources[key]
		if src == nil {
			if _, err := open(sc.Cluster); err != nil {
				return nil, fmt.Errorf("sequence %s: cluster %s: %w", name, sc.Cluster, err)
			}
			cluster := sc.Cluster
			src = newSequenceSource(func() (*sql.DB, error) { return open(cluster) }, sc.Table)
			src.Starts = map[string]int64{}
			sources[key] = src
		}
		src.Starts[name] = sc.Start
		seq, err := shard.NewSequence(src, name, sc.Block)
		if err != nil {
			return nil, err
		}
		out[name] = seq
	}
	return out, nil
}
