package shard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors a Method may wrap. The planner tests them with errors.Is: a key
// of the wrong type or a NULL key cannot be routed to one shard, so the
// planner scatters instead of failing.
var (
	// ErrNullKey: the shard key is NULL, which no shard owns.
	ErrNullKey = errors.New("shard key is NULL")
	// ErrKeyType: the value cannot be converted to the method's key type.
	ErrKeyType = errors.New("shard key has the wrong type")
	// ErrNotFound: a lookup table has no entry for the key.
	ErrNotFound = errors.New("shard key not in lookup table")
)

// Method names as they appear in the config.
const (
	MethodModulo   = "modulo"
	MethodHash     = "hash"
	MethodRange    = "range"
	MethodDate     = "date"
	MethodKeyRange = "key_range"
	MethodLookup   = "lookup"
)

// Method maps shard-key values of one table to shard names.
type Method interface {
	// Name is the config name of the method ("range", "hash", ...).
	Name() string
	// Key is the shard-key column.
	Key() string
	// Shards lists every shard of the table, in key order when Ordered.
	Shards() []string
	// ShardFor returns the one shard that holds rows with key v.
	ShardFor(v Value) (string, error)
	// ShardForContext is ShardFor for methods that may do I/O (lookup).
	// Pure methods ignore ctx.
	ShardForContext(ctx context.Context, v Value) (string, error)
	// ShardsForRange returns the shards that may hold keys between lo and
	// hi, in ascending key order for ordered methods. Methods whose shard
	// order does not follow key order return every shard. A NULL bound
	// or an empty range gives no shards.
	ShardsForRange(lo, hi Bound) ([]string, error)
	// Ordered reports whether shard order follows key order, so a sorted
	// scan can read shards one after another and stop early.
	Ordered() bool
}

// Periodic is implemented by the date method, whose tables are split per
// period as well as per shard.
type Periodic interface {
	Method
	PeriodTable(v Value) string
	// KeptPeriod reports whether key v's period has a table: one from
	// since through ahead periods past the current one.
	KeptPeriod(v Value) bool
	TablesFor(lo, hi Bound) []string
	NextPeriods(now time.Time, n int) []string
}

// Config is one table's sharding config, already parsed from YAML.
//
// In YAML "shards" is a list for modulo and a map shard -> range for the
// other methods; the loader puts the list in Shards and the map in Ranges.
type Config struct {
	ShardKey string
	Method   string
	// Shards: modulo's shards in key-mod-N order; for lookup, every shard
	// the table lives on (used when a query must scatter).
	Shards []string
	// Ranges: shard -> range ("-80", "..1000", "2024-01-01..", "n..").
	Ranges map[string]string
	// Period: date method's table period: day, month or year.
	Period string
	// Since: date method's oldest period ("2020-01-01"); required, because
	// a scan without a lower bound must know where the tables stop.
	Since string
	// Ahead: date method's number of periods pre-created after the current
	// one; scans without an upper bound include them.
	Ahead int
	// Keep: date method's number of periods whose tables Strata keeps,
	// the current one and those before it; older period tables are not
	// read and may be dropped (shardops.DropExpired). 0: every period
	// from Since on.
	Keep int
	// Now: date method's clock; nil means time.Now.
	Now func() time.Time
	// LookupTable and Lookup: lookup method's table and its reader.
	LookupTable string
	Lookup      Lookup
	// Fold and Collate, when set (key_collation), place text keys by the
	// key column's collation instead of their bytes, so keys the server
	// finds equal ('Zoe', 'zoe ') are on one shard: hash hashes Fold's
	// weights, key_range orders keys and bounds by Collate.
	Fold    func([]byte) []byte
	Collate func(a, b []byte) int
}

// New builds and validates the method for table from its config.
func New(table string, c Config) (Method, error) {
	if c.ShardKey == "" {
		return nil, fmt.Errorf("table %s: shard_key is empty", table)
	}
	if err := checkShape(table, c); err != nil {
		return nil, err
	}
	if (c.Fold != nil || c.Collate != nil) && c.Method != MethodHash && c.Method != MethodKeyRange {
		return nil, fmt.Errorf("table %s: key_collation applies to the hash and key_range methods only", table)
	}
	switch c.Method {
	case MethodModulo:
		return NewModulo(table, c.ShardKey, c.Shards)
	case MethodHash:
		h, err := NewHash(table, c.ShardKey, c.Ranges)
		if h != nil {
			h.fold = c.Fold
		}
		return h, err
	case MethodRange:
		return NewRange(table, c.ShardKey, c.Ranges)
	case MethodDate:
		return NewDate(table, c)
	case MethodKeyRange:
		if c.Collate != nil {
			return newCollatedKeyRange(table, c.ShardKey, c.Ranges, c.Collate)
		}
		return NewKeyRange(table, c.ShardKey, c.Ranges)
	case MethodLookup:
		return NewLookupMethod(table, c)
	}
	return nil, fmt.Errorf("table %s: unknown sharding method %q", table, c.Method)
}

// checkShape catches a shard list given where a range map belongs and the
// reverse, the likeliest slip when editing the YAML by hand.
func checkShape(table string, c Config) error {
	switch c.Method {
	case MethodModulo, MethodLookup:
		if len(c.Ranges) > 0 {
			return fmt.Errorf("table %s: %s takes a list of shards, not a map of ranges", table, c.Method)
		}
	case MethodHash, MethodRange, MethodDate, MethodKeyRange:
		if len(c.Shards) > 0 {
			return fmt.Errorf("table %s: %s takes a map of shard: range, not a list", table, c.Method)
		}
	}
	return nil
}

// base holds what every method shares.
type base struct {
	table, key string
	shards     []string
}

func (b *base) Key() string      { return b.key }
func (b *base) Shards() []string { return append([]string(nil), b.shards...) }

// errf prefixes an error with the table name.
func (b *base) errf(format string, args ...any) error {
	return fmt.Errorf("table %s: "+format, append([]any{b.table}, args...)...)
}
