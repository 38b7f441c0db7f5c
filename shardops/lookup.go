package shardops

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
)

// LookupSpec says where one lookup table is: the cluster whose primary
// holds it and its key column. The table has the columns
// (KeyColumn PRIMARY KEY, shard VARCHAR(64) NOT NULL).
type LookupSpec struct {
	Cluster   string
	KeyColumn string
}

// LookupSpecs collects the lookup tables of cfg's lookup-method tables,
// keyed by lower-case lookup table name; the key column is the sharded
// table's shard key.
func LookupSpecs(cfg *config.Config) map[string]LookupSpec {
	out := map[string]LookupSpec{}
	for _, name := range cfg.TableNames() {
		t := cfg.Tables[name]
		if t.Method == shard.MethodLookup && t.LookupTable != "" {
			cluster := t.LookupCluster
			if cluster == "" {
				cluster = cfg.DefaultCluster
			}
			out[strings.ToLower(t.LookupTable)] = LookupSpec{Cluster: cluster, KeyColumn: t.ShardKey}
		}
	}
	return out
}

// DefaultLookupCacheSize is the number of keys a LookupReader remembers.
const DefaultLookupCacheSize = 10000

// LookupReader implements shard.Lookup by reading lookup tables on their
// cluster's primary, in the application's schema, with a bounded LRU cache
// of the keys found (a key not found is asked again next time, as another
// proxy may have assigned it meanwhile). Mappings change only when an
// operator moves a key, so cached entries do not expire: a reload forgets
// them (Forget). Safe for concurrent use.
type LookupReader struct {
	open   Opener
	schema string
	specs  map[string]LookupSpec

	mu    sync.Mutex
	max   int
	lru   *list.List // of *cacheEntry, most recent first
	cache map[string]*list.Element
}

type cacheEntry struct {
	key, shard string
}

// NewLookupReader reads the lookup tables of specs (keyed by lookup table
// name, see LookupSpecs) in schema, reaching each cluster's primary through
// open.
func NewLookupReader(open Opener, schema string, specs map[string]LookupSpec) *LookupReader {
	lower := make(map[string]LookupSpec, len(specs))
	for name, s := range specs {
		lower[strings.ToLower(name)] = s
	}
	return &LookupReader{open: open, schema: schema, specs: lower,
		max: DefaultLookupCacheSize, lru: list.New(), cache: map[string]*list.Element{}}
}

// SetCacheSize bounds the cache to n keys (n < 1 disables it).
func (r *LookupReader) SetCacheSize(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.max = n
	r.trimLocked()
}

// Forget drops every cached key, so that the next statement of each
// reads the lookup table again: after an operator moved keys to another
// shard (docs/sharding.md, "Moving lookup keys"), which a reload of the
// running Strata does. It returns how many keys were cached.
func (r *LookupReader) Forget() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.lru.Len()
	r.lru.Init()
	clear(r.cache)
	return n
}

// Shard implements shard.Lookup.
func (r *LookupReader) Shard(ctx context.Context, lookupTable string, key shard.Value) (string, bool, error) {
	if key.IsNull() {
		return "", false, shard.ErrNullKey
	}
	ck := cacheKey(lookupTable, key)
	if s, ok := r.cached(ck); ok {
		return s, true, nil
	}
	s, found, err := r.read(ctx, lookupTable, key)
	if err != nil || !found {
		return "", false, err
	}
	r.remember(ck, s)
	return s, true, nil
}

// Assign maps key to shardName in lookupTable unless it is mapped already,
// and returns the mapping that holds: INSERT IGNORE, then a read, so that
// two proxies assigning the same new key at once agree on the first one
// written. Use PickShard to choose shardName.
func (r *LookupReader) Assign(ctx context.Context, lookupTable string, key shard.Value, shardName string) (string, error) {
	if key.IsNull() {
		return "", shard.ErrNullKey
	}
	spec, db, err := r.table(lookupTable)
	if err != nil {
		return "", err
	}
	q := fmt.Sprintf("INSERT IGNORE INTO %s (%s, shard) VALUES (?, ?)", qualified(r.schema, lookupTable), quoteIdent(spec.KeyColumn))
	if _, err := db.ExecContext(ctx, q, arg(key), shardName); err != nil {
		return "", fmt.Errorf("lookup table %s: %w", lookupTable, err)
	}
	s, found, err := r.read(ctx, lookupTable, key)
	switch {
	case err != nil:
		return "", err
	case !found:
		return "", fmt.Errorf("lookup table %s: %s was inserted but cannot be read back", lookupTable, key)
	}
	r.remember(cacheKey(lookupTable, key), s)
	return s, nil
}

// PickShard chooses the shard for a key that no lookup table has yet: by
// shard.HashKey of the key, so every proxy proposes the same one. It
// returns "" for no shards or a NULL key.
func PickShard(shards []string, key shard.Value) string {
	h, err := shard.HashKey(key)
	if err != nil || len(shards) == 0 {
		return ""
	}
	return shards[h%uint64(len(shards))]
}

func (r *LookupReader) table(lookupTable string) (LookupSpec, *sql.DB, error) {
	spec, ok := r.specs[strings.ToLower(lookupTable)]
	if !ok {
		return spec, nil, fmt.Errorf("lookup table %s is not configured", lookupTable)
	}
	db, err := r.open(spec.Cluster)
	if err != nil {
		return spec, nil, fmt.Errorf("lookup table %s: cluster %s: %w", lookupTable, spec.Cluster, err)
	}
	return spec, db, nil
}

func (r *LookupReader) read(ctx context.Context, lookupTable string, key shard.Value) (string, bool, error) {
	spec, db, err := r.table(lookupTable)
	if err != nil {
		return "", false, err
	}
	q := fmt.Sprintf("SELECT shard FROM %s WHERE %s = ?", qualified(r.schema, lookupTable), quoteIdent(spec.KeyColumn))
	var s string
	switch err := db.QueryRowContext(ctx, q, arg(key)).Scan(&s); {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("lookup table %s: %w", lookupTable, err)
	}
	return s, true, nil
}

// cacheKey is the cache's key: lookup table, key kind and key bytes.
func cacheKey(table string, key shard.Value) string {
	return strings.ToLower(table) + "\x00" + key.Kind().String() + "\x00" + string(key.Canonical())
}

func (r *LookupReader) cached(k string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	el, ok := r.cache[k]
	if !ok {
		return "", false
	}
	r.lru.MoveToFront(el)
	return el.Value.(*cacheEntry).shard, true
}

func (r *LookupReader) remember(k, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.max < 1 {
		return
	}
	if el, ok := r.cache[k]; ok {
		el.Value.(*cacheEntry).shard = s
		r.lru.MoveToFront(el)
		return
	}
	r.cache[k] = r.lru.PushFront(&cacheEntry{key: k, shard: s})
	r.trimLocked()
}

func (r *LookupReader) trimLocked() {
	for r.lru.Len() > max(r.max, 0) {
		el := r.lru.Back()
		r.lru.Remove(el)
		delete(r.cache, el.Value.(*cacheEntry).key)
	}
}

// CacheLen is the number of cached keys.
func (r *LookupReader) CacheLen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}
