package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
)

// sharding is the control-plane side of `tables:`: the connections for
// lookups, sequences, period tables and capacity reports.
type sharding struct {
	cfg    *config.Config
	dbs    *shardops.DBs
	lookup *shardops.LookupReader
	zones  *shardops.ZoneReader
	seqs   map[string]*shard.Sequence
	layout *shard.Layout
	// learned is when a write last had a table learned at once
	// (learnDue); a pointer, as copies of sharding share it.
	learned *learnTimes
}

// learnTimes are the times of learnDue, by table name.
type learnTimes struct {
	mu sync.Mutex
	at map[string]time.Time
}

// learnFunc learns tables of layout whose key types are not known
// (Strata.learnTables).
type learnFunc func(ctx context.Context, sh *sharding, layout *shard.Layout, tables []*shard.Table) error

// learnDue keeps of tables those not tried at once in the last second: a
// table that is missing on its first shard would otherwise cost every
// write to it a failed read.
func (sh *sharding) learnDue(tables []*shard.Table) []*shard.Table {
	sh.learned.mu.Lock()
	defer sh.learned.mu.Unlock()
	var due []*shard.Table
	for _, t := range tables {
		if time.Since(sh.learned.at[t.Name]) >= time.Second {
			sh.learned.at[t.Name] = time.Now()
			due = append(due, t)
		}
	}
	return due
}

// newSharding builds the layout of cfg and what it needs; nil when no
// table is placed.
func newSharding(cfg *config.Config, primaryOf func(cluster string) string) (*sharding, error) {
	if len(cfg.Tables) == 0 {
		return nil, nil
	}
	sh := &sharding{cfg: cfg, dbs: shardops.NewDBs(cfg), learned: &learnTimes{at: map[string]time.Time{}}}
	sh.dbs.PrimaryOf = primaryOf
	sh.lookup = shardops.NewLookupReader(sh.dbs.Open, cfg.Schema, shardops.LookupSpecs(cfg))
	sh.zones = shardops.NewZoneReader(sh.dbs.Open)
	var err error
	if sh.layout, err = cfg.Layout(sh.lookup); err != nil {
		sh.dbs.Close()
		return nil, err
	}
	if sh.seqs, err = shardops.NewSequences(cfg, sh.dbs.Open); err != nil {
		sh.dbs.Close()
		return nil, err
	}
	return sh, nil
}

// primaryOf names a cluster's primary in the running topology, so the
// control plane follows switchovers and failovers.
func (s *Strata) primaryOf(cluster string) string {
	if cl := s.Topology.Load().Cluster(cluster); cl != nil && cl.Primary != nil {
		return cl.Primary.Addr
	}
	return ""
}

// hooks connects the planner to lookups, sequences, what Strata learns
// of the tables' columns (learn) and the servers' reading of a session's
// TIMESTAMP literals (zoneRead counts each one asked).
func (sh *sharding) hooks(p *planner.Sharding, learn learnFunc, zoneRead func()) {
	sh.zones.Asked = zoneRead
	p.Assign = func(ctx context.Context, t *shard.Table, key shard.Value) (string, error) {
		return sh.lookup.Assign(ctx, t.LookupTable, key, shardops.PickShard(t.Method.Shards(), key))
	}
	p.FromZone = func(ctx context.Context, t *shard.Table, literal, zone string) (string, error) {
		return sh.zones.FromZone(ctx, t.Method.Shards()[0], literal, zone)
	}
	p.TablesOn = func(ctx context.Context, cluster string, names []string) ([]string, error) {
		if sh.cfg.Schema == "" {
			return nil, errors.New("the config names no schema: (the application's database), where the period tables are")
		}
		return shardops.TablesOn(ctx, sh.dbs.Open, sh.cfg.Schema, cluster, names)
	}
	p.ReadColumns = func(ctx context.Context) error {
		if sh.cfg.Schema == "" {
			return nil
		}
		if _, err := sh.readCollations(ctx, p, p.Layout()); err != nil {
			return err
		}
		if err := sh.readKeyColumns(ctx, p); err != nil {
			return err
		}
		// A table the change created is learned now, not at the
		// periodic read, which may be a minute away.
		if l := p.Layout(); len(l.UnknownKeyTypes()) > 0 {
			return learn(ctx, sh, l, l.UnknownKeyTypes())
		}
		return nil
	}
	p.LearnTables = func(ctx context.Context, l *shard.Layout, tables []*shard.Table) error {
		if sh.cfg.Schema == "" {
			return nil
		}
		if tables = sh.learnDue(tables); len(tables) == 0 {
			return nil
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return learn(c, sh, l, tables)
	}
	p.NextID = func(ctx context.Context, name string) (int64, error) {
		seq := sh.seqs[name]
		if seq == nil {
			return 0, fmt.Errorf("sequence %s is not configured", name)
		}
		return seq.Next(ctx)
	}
}

// readKeyColumns reads again what was learned of each sharded table's
// columns with its key type (shardops.KeyColumnOf), and gives the planner
// a layout with what changed.
func (sh *sharding) readKeyColumns(ctx context.Context, p *planner.Sharding) error {
	layout := p.Layout()
	changed := map[string]shard.KeyColumn{}
	var errs []error
	for _, t := range layout.Tables() {
		if t.Placement != shard.PlaceSharded || t.KeyType == shard.KeyTypeUnknown {
			continue // not learned yet: learnKeyTypes reads it
		}
		kc, err := shardops.KeyColumnOf(ctx, sh.dbs.Open, sh.cfg.Schema, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("the columns of %s: %w", t.Name, err))
			continue
		}
		if !kc.Equal(t.KeyColumn()) {
			changed[t.Name] = kc
		}
	}
	if len(changed) > 0 {
		p.RefineLayout(layout, layout.WithKeyTypes(changed))
	}
	return errors.Join(errs...)
}

func (sh *sharding) close() {
	if sh != nil {
		sh.dbs.Close()
	}
}

// capacity reports how full the open-ended last ranges are.
func (s *Strata) capacity(ctx context.Context) (any, error) {
	sh := s.shards.Load()
	if sh == nil || !shardops.RangeTables(sh.layout) {
		return []shardops.CapacityReport{}, nil
	}
	return shardops.Capacity(ctx, sh.layout, sh.dbs.Open, sh.cfg.Schema), nil
}

// schemaCheck compares the definitions of every copy of the sharded and
// reference tables (strata shards check-schema).
func (s *Strata) schemaCheck(ctx context.Context) (any, error) {
	sh := s.shards.Load()
	if sh == nil {
		return []shardops.SchemaReport{}, nil
	}
	return shardops.CompareSchemas(ctx, sh.layout, sh.dbs.Open, sh.cfg.Schema, ""), nil
}

// checkSchemas compares the definitions of every copy of the sharded and
// reference tables, reports the copies that differ per table in
// strata_shard_schema_differing_copies and logs each: a schema change
// that failed part-way, or a shard changed by hand, shows without anyone
// running strata shards check-schema.
func (s *Strata) checkSchemas(ctx context.Context, sh *sharding) {
	reports := shardops.CompareSchemas(ctx, sh.layout, sh.dbs.Open, sh.cfg.Schema, "")
	if stopping(ctx) {
		return // the reads were cut short by Strata stopping: they say nothing of the copies
	}
	differing := map[string]int{}
	for _, r := range reports {
		differing[r.Table] += 0
		switch {
		case r.Error != "":
			s.Log.Warn("reading the definition of a copy of a table failed", "table", r.Table, "shard", r.Shard, "physical", r.Physical, "err", r.Error)
		case r.Differs():
			differing[r.Table]++
			s.Log.Warn("a copy of a table is missing or defined otherwise than most of its copies, or has a trigger that rewrites its shard key: strata shards check-schema lists how",
				"table", r.Table, "shard", r.Shard, "physical", r.Physical, "missing", r.Missing, "lacks", r.Lacks, "has", r.Extra, "reordered", r.Reordered, "key_triggers", r.KeyTriggers)
		}
	}
	s.Metrics.SetSchemaDiffering(differing)
}

// expirePeriods drops the period tables of date tables with keep: that
// are older than the periods kept, which Strata no longer reads.
func (s *Strata) expirePeriods(ctx context.Context, sh *sharding) {
	tables, err := shardops.Expire(ctx, sh.layout, sh.dbs.Open, sh.cfg.Schema, true)
	if err != nil && !stopping(ctx) {
		s.Log.Warn("dropping period tables older than keep: failed", "err", err)
	}
	for _, t := range tables {
		if t.Dropped {
			s.Log.Info("dropped a period table older than the periods its table keeps (keep:)", "table", t.Table, "shard", t.Shard, "of", t.Base)
			s.Metrics.PeriodTable(t.Base, "dropped")
		}
	}
}

// maintainShards pre-creates the coming period tables of date-sharded
// tables, drops those older than keep:, compares the definitions of the
// tables' copies and checks range capacity: at start, after a reload that
// changed tables:, and every interval, until ctx ends.
func (s *Strata) maintainShards(ctx context.Context, interval time.Duration) {
	run := func() {
		sh := s.shards.Load()
		if sh == nil || sh.cfg.Schema == "" {
			return
		}
		c, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		tables, err := shardops.PrecreateAll(c, sh.layout, sh.dbs.Open, sh.cfg.Schema, time.Now(), 0)
		if stopping(c) {
			return
		}
		if err != nil {
			s.Log.Warn("pre-creating period tables failed", "err", err)
		}
		for _, t := range tables {
			switch {
			case t.Error != "":
				s.Log.Warn("pre-creating a period table failed", "table", t.Table, "shard", t.Shard, "err", t.Error)
			case t.Created:
				s.Log.Info("pre-created period table", "table", t.Table, "shard", t.Shard)
				s.Metrics.PeriodTable(t.Base, "created")
			}
		}
		s.expirePeriods(c, sh)
		s.checkSchemas(c, sh)
		if !shardops.RangeTables(sh.layout) {
			return
		}
		fills := shardops.Capacity(c, sh.layout, sh.dbs.Open, sh.cfg.Schema)
		if stopping(c) {
			return
		}
		for _, r := range fills {
			s.Metrics.SetRangeFill(r.Table, r.Shard, r.Fraction)
			if r.Warn {
				s.Log.Warn("the last range of a range-sharded table is filling: add a range before it is needed",
					"table", r.Table, "shard", r.Shard, "fraction", r.Fraction, "warn_at", r.WarnAt)
			}
		}
	}
	run()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			run()
		case <-s.maintainNow:
			run()
		}
	}
}

// reloadShards applies a changed `tables:` or `sequences:` section: the
// planner gets the new layout at once; statements already planned finish
// with the old one.
func (s *Strata) reloadShards(old, cfg *config.Config) (changed bool, err error) {
	if reflect.DeepEqual(old.Tables, cfg.Tables) && reflect.DeepEqual(old.Sequences, cfg.Sequences) && old.Schema == cfg.Schema {
		return false, nil
	}
	sh, err := newSharding(cfg, s.primaryOf)
	if err != nil {
		return false, fmt.Errorf("tables: %w", err)
	}
	if sh != nil {
		if err := s.keepMoving(sh, cfg); err != nil {
			sh.close()
			return false, fmt.Errorf("tables: %w", err)
		}
	}
	prev := s.shards.Swap(sh)
	if sh != nil {
		sh.hooks(s.Env.Sharding, s.learnTables, s.Metrics.ZoneRead)
		s.Env.Sharding.SetLayout(sh.layout)
	} else {
		s.Env.Sharding.SetLayout(nil)
	}
	prev.close()
	select {
	case s.maintainNow <- struct{}{}:
	default: // a run is already asked for
	}
	return true, nil
}

// forgetLookups drops the cached keys of the lookup tables, so that keys an
// operator moved to another shard are read again (a reload does it; a
// reload that changes tables: builds a new reader anyway).
func (s *Strata) forgetLookups() int {
	if sh := s.shards.Load(); sh != nil {
		return sh.lookup.Forget()
	}
	return 0
}

// explain answers GET /api/explain: the plan of sql for a session of user
// in schema, without running it.
func (s *Strata) explain(ctx context.Context, sql, user, schema string) (any, error) {
	return session.Explain(ctx, s.Env, sql, user, schema)
}

// warnFoldedKey tells the operator when a text shard key's collation
// matches spellings Strata places apart: a row stored as 'Zoe' is not
// found by WHERE username = 'zoe' through Strata, though MariaDB would
// match it.
func warnFoldedKey(log *slog.Logger, t *shard.Table, kc shard.KeyColumn) {
	if t == nil || kc.Type != shard.KeyTypeText || t.Method.Name() == "lookup" {
		return // a lookup table compares keys in MariaDB, with the collation
	}
	if t.PlacedBy != "" {
		if !strings.EqualFold(t.PlacedBy, kc.Collation) {
			log.Warn("the table's key_collation is not its key column's collation: keys the server finds equal may be placed on different shards. Set key_collation to the column's collation, then run strata shards verify",
				"table", t.Name, "key", t.Method.Key(), "key_collation", t.PlacedBy, "collation", kc.Collation)
		}
		return
	}
	if !shard.FoldsCase(kc.Collation) {
		return
	}
	log.Warn("the shard key's collation matches keys that differ in case or accents as one value, but Strata places a key by its bytes: a row stored as 'Zoe' is not found by = 'zoe'. Set key_collation to this collation on the table (hash, key_range) and run strata shards rebalance, or store the keys in one spelling (lower-case, say) and query them so, or give the key column a _bin collation",
		"table", t.Name, "key", t.Method.Key(), "collation", kc.Collation)
}

// learnUniqueKeys reads t's unique keys from its first shard and warns of
// those each shard enforces only on its own rows (shardops.ShardLocalKeys),
// which GET /api/tables then lists.
func (s *Strata) learnUniqueKeys(ctx context.Context, sh *sharding, t *shard.Table) {
	if t == nil || t.Placement != shard.PlaceSharded {
		return
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	keys, err := shardops.UniqueKeys(c, sh.dbs.Open, t.Method.Shards()[0], sh.cfg.Schema, t.Name)
	if err != nil {
		s.Log.Debug("the unique keys of a sharded table not read", "table", t.Name, "err", err)
		return
	}
	local := shardops.ShardLocalKeys(t, keys)
	names := make([]string, len(local))
	for i, k := range local {
		names[i] = k.String()
	}
	s.uniqueMu.Lock()
	defer s.uniqueMu.Unlock()
	if s.localUnique == nil {
		s.localUnique = map[string][]string{}
	}
	if known, ok := s.localUnique[t.Name]; ok && slices.Equal(known, names) {
		return // told already (key types are learned again at each reload)
	}
	s.localUnique[t.Name] = names
	for _, name := range names {
		s.Log.Warn("a unique key of a sharded table does not hold the shard key, so each shard enforces it on its own rows only: a row whose value another shard holds is inserted beside it, not refused (1062) nor updated by ON DUPLICATE KEY UPDATE. Fill the column from a Strata sequence (sequences:), put the shard key in the key, or shard by the key's column",
			"table", t.Name, "key", name, "shard_key", t.Method.Key())
	}
}

// shardLocalKeys is what learnUniqueKeys found for table.
func (s *Strata) shardLocalKeys(table string) []string {
	s.uniqueMu.Lock()
	defer s.uniqueMu.Unlock()
	return s.localUnique[table]
}

// TableInfo is one placed table as GET /api/tables shows it.
type TableInfo struct {
	Name      string `json:"name"`
	Placement string `json:"placement"`
	Cluster   string `json:"cluster,omitempty"`
	Method    string `json:"method,omitempty"`
	ShardKey  string `json:"shard_key,omitempty"`
	// KeyType: the key column's type as Strata learned it from a shard
	// (integer, text, other), "unknown" until then.
	KeyType string `json:"key_type,omitempty"`
	// KeyCollation: a text key's collation; KeyFoldsCase is set when it
	// matches spellings Strata places apart ('Zoe' and 'zoe').
	KeyCollation string `json:"key_collation,omitempty"`
	KeyFoldsCase bool   `json:"key_folds_case,omitempty"`
	// KeyPlacedBy: the collation text keys are placed by (key_collation).
	KeyPlacedBy string `json:"key_placed_by,omitempty"`
	// KeyHolds: what the key column holds, from its COLUMN_TYPE ("8-bit
	// signed integer", "40 characters"): a key past it is placed by the
	// value the column stores.
	KeyHolds string   `json:"key_holds,omitempty"`
	Shards   []string `json:"shards,omitempty"`
	Scatter  string   `json:"scatter,omitempty"`
	Sequence string   `json:"sequence,omitempty"`
	// Unique: the keys Strata checks are unique across the shards (config
	// unique:), each its columns joined by ", ".
	Unique []string `json:"unique,omitempty"`
	// UniqueDefaults: the defaults of the columns of Unique that have
	// one, as information_schema writes them ('anon', 0, NULL, uuid()),
	// learned with the key type: the value a row that leaves such a
	// column out is checked with (an expression's is refused).
	UniqueDefaults map[string]string `json:"unique_defaults,omitempty"`
	// UniqueZeros: for the NOT NULL columns of Unique, the value checked
	// where a write gives one NULL and the server stores the type's zero
	// ('', 0, X'00000000'); "clock" for a TIMESTAMP NOT NULL, which
	// stores the statement's clock for a NULL: such a write is refused.
	UniqueZeros map[string]string `json:"unique_zeros,omitempty"`
	// KeyIsPrimary: the primary key is the shard key alone (learned for
	// tables with unique: keys), so an upsert of an id its shard holds
	// updates that row whatever other shards hold of its values.
	KeyIsPrimary bool `json:"key_is_primary,omitempty"`
	// Moving: the table's rows are moving to a new layout (an online
	// rebalance); Shards then lists the shards of both layouts.
	Moving bool `json:"moving,omitempty"`
	// ShardLocalUniqueKeys: its unique keys without the shard key, which
	// each shard enforces on its own rows only ("PRIMARY (id)").
	ShardLocalUniqueKeys []string `json:"shard_local_unique_keys,omitempty"`
	// ShardLocalAutoIncrement: its AUTO_INCREMENT column that such a key
	// holds and no sequence fills, which each shard would number on its
	// own; an INSERT that leaves it to the shards is refused.
	ShardLocalAutoIncrement string `json:"shard_local_auto_increment,omitempty"`
	// Periods: a date table's period tables Strata keeps now.
	Periods *PeriodsInfo `json:"periods,omitempty"`
}

// PeriodsInfo is what GET /api/tables shows of a date table's periods:
// the period, the first and the last period table Strata reads and
// writes (from since:, or the oldest of keep: periods, through ahead:
// periods past the current one), and keep: (0: all from since:).
type PeriodsInfo struct {
	Period string `json:"period"`
	First  string `json:"first"`
	Last   string `json:"last"`
	Keep   int    `json:"keep,omitempty"`
}

// uniqueZeros lists what is checked where a write gives a NOT NULL
// column of t's unique: keys a NULL (TableInfo.UniqueZeros).
func uniqueZeros(t *shard.Table) map[string]string {
	out := map[string]string{}
	for col, c := range t.UniqueColumns {
		switch {
		case !c.NotNull, c.Zero == "" && !c.Clock:
		case c.Clock:
			out[col] = "clock"
		default:
			out[col] = c.Zero
		}
	}
	return out
}

// tables describes the current layout.
func (s *Strata) tables() any {
	out := []TableInfo{}
	sh := s.shards.Load()
	if sh == nil {
		return out
	}
	layout := s.Env.Sharding.Layout() // sh.layout with what was learned since
	for _, t := range layout.Tables() {
		ti := TableInfo{Name: t.Name, Placement: t.Placement.String(), Cluster: t.Cluster}
		switch t.Placement {
		case shard.PlaceSharded:
			ti.Method, ti.ShardKey, ti.Shards = t.Method.Name(), t.Method.Key(), t.Method.Shards()
			ti.KeyType, ti.KeyCollation = t.KeyType.String(), t.KeyCollation
			ti.KeyFoldsCase = t.KeyType == shard.KeyTypeText && shard.FoldsCase(t.KeyCollation) && t.Method.Name() != "lookup" && !strings.EqualFold(t.PlacedBy, t.KeyCollation)
			ti.KeyPlacedBy, ti.KeyHolds = t.PlacedBy, t.KeyLimit.String()
			_, ti.Moving = t.Method.(*shard.Moving)
			ti.Scatter = config.ScatterAllow
			if t.ScatterDeny {
				ti.Scatter = config.ScatterDeny
			}
			if t.Sequence != nil {
				ti.Sequence = t.Sequence.Name + " -> " + t.Sequence.Column
			}
			for _, key := range t.Unique {
				ti.Unique = append(ti.Unique, strings.Join(key, ", "))
			}
			ti.UniqueDefaults, ti.UniqueZeros, ti.KeyIsPrimary = t.UniqueDefaults, uniqueZeros(t), t.KeyIsPrimary
			ti.ShardLocalUniqueKeys = s.shardLocalKeys(t.Name)
			if t.Sequence == nil || !strings.EqualFold(t.Sequence.Column, t.LocalAutoIncrement) {
				ti.ShardLocalAutoIncrement = t.LocalAutoIncrement
			}
			if d, ok := t.Method.(*shard.Date); ok {
				first, last := d.KeptPeriods()
				ti.Periods = &PeriodsInfo{Period: d.Period(), First: first, Last: last, Keep: d.Keep()}
			}
		case shard.PlaceReference:
			ti.Shards = layout.ShardClusters()
		}
		out = append(out, ti)
	}
	return out
}

// learnCollations reads the collation of every text column of the
// sharded tables from the shard clusters soon after start, after a reload
// of the tables, and every minute after (a column altered, a table
// created), so merged ORDER BY, GROUP BY and DISTINCT compare text as the
// shards do. Until it is known, a column compares by the connection's
// collation, which the server reports for it.
func (s *Strata) learnCollations(ctx context.Context) {
	const tick, every, retry = 2 * time.Second, time.Minute, 10 * time.Second
	var readFor *shard.Layout // the layout the collations were last read for
	var next time.Time        // when to read them again anyway
	for wait := time.Duration(0); ; wait = tick {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		layout, sh := s.Env.Sharding.Layout(), s.shards.Load()
		if sh == nil || sh.cfg.Schema == "" || layout.Empty() || (layout == readFor && time.Now().Before(next)) {
			continue // a reload of the tables reads them at the next tick
		}
		n, err := sh.readCollations(ctx, s.Env.Sharding, layout)
		if n > 0 && layout != readFor {
			s.Log.Info("learned the text columns' collations", "columns", n)
		}
		readFor, next = layout, time.Now().Add(every)
		if err != nil {
			s.Log.Debug("text column collations not all read", "err", err)
			next = time.Now().Add(retry)
		}
	}
}

// readCollations reads the collations of the text columns of layout's
// sharded and reference tables from the shards into p, and says how many
// it read. A reference table's columns are merged too when it is joined
// with a sharded one (MIN(countries.name) over the shards' joins).
func (sh *sharding) readCollations(ctx context.Context, p *planner.Sharding, layout *shard.Layout) (int, error) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cols, err := shardops.ReadColumns(c, sh.dbs.Open, sh.cfg.Schema, layout.ShardClusters(), shardedTables(layout))
	if len(cols.Names) > 0 {
		p.SetColumns(sh.cfg.Schema, cols)
	}
	return len(cols.Collations), err
}

// shardedTables are the tables whose rows Strata merges from shards: the
// sharded ones and the reference ones on every shard.
func shardedTables(l *shard.Layout) []*shard.Table {
	var out []*shard.Table
	for _, t := range l.Tables() {
		if t.Placement == shard.PlaceSharded || t.Placement == shard.PlaceReference {
			out = append(out, t)
		}
	}
	return out
}

// learnKeyTypes asks a shard for the type of each sharded table's key
// column until every one is known, so the planner can route quoted
// numbers ('042' is 42 for an integer key, the text '042' for a text
// key). It tries again, less often, while a shard does not answer or a
// table is not created yet, and starts over after a reload. A write to
// a table not learned yet, and a schema change through Strata, learn it
// at once (planner.Sharding.LearnTables, and the ReadColumns hook).
func (s *Strata) learnKeyTypes(ctx context.Context) {
	const first, most = 2 * time.Second, time.Minute
	wait := time.Duration(0)
	var tried *shard.Layout
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		layout, sh := s.Env.Sharding.Layout(), s.shards.Load()
		if layout != tried {
			wait = first // a reload: its tables are new
		}
		tried = layout
		if sh == nil || sh.cfg.Schema == "" || len(layout.UnknownKeyTypes()) == 0 {
			wait = max(wait, first)
			continue
		}
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.learnTables(c, sh, layout, layout.UnknownKeyTypes())
		cancel()
		tried = s.Env.Sharding.Layout()
		if err != nil {
			s.Log.Debug("shard key types not learned yet", "err", err)
			wait = min(max(2*wait, first), most)
			continue
		}
		wait = first
	}
}

// learnTables learns tables, sharded tables of layout whose key type is
// not known: their key columns and what else Strata reads of their
// columns with them (shardops.KeyColumnOf), and their unique keys; and
// gives the planner a layout with them. The tables a shard does not
// answer for stay unknown, with the failures joined.
func (s *Strata) learnTables(ctx context.Context, sh *sharding, layout *shard.Layout, tables []*shard.Table) error {
	types, err := shardops.KeyTypes(ctx, tables, sh.dbs.Open, sh.cfg.Schema)
	for name := range types {
		// Before the types show: GET /api/tables lists a table's
		// unique keys once its key type is known.
		s.learnUniqueKeys(ctx, sh, layout.Table(name))
	}
	for _, name := range s.refineWith(layout, types) {
		kc := types[name]
		s.Log.Info("learned the shard key type", "table", name, "type", kc.Type.String(), "collation", kc.Collation)
		warnFoldedKey(s.Log, layout.Table(name), kc)
		if kc.Generated {
			s.Log.Warn("the shard key is a generated column: an UPDATE could give its rows a new key without moving them, so Strata refuses UPDATEs and ON DUPLICATE KEY UPDATE of the table, and an INSERT cannot give the key it would route by",
				"table", name, "key", layout.Table(name).Method.Key())
		}
		if kc.OnUpdateClock {
			s.Log.Warn("the shard key is ON UPDATE CURRENT_TIMESTAMP: an UPDATE would give its rows a new key without moving them, so Strata refuses UPDATEs and ON DUPLICATE KEY UPDATE of the table. Drop the ON UPDATE from the key column and keep the time of a change in a column of its own",
				"table", name, "key", layout.Table(name).Method.Key())
		}
	}
	return err
}

// refineWith gives the planner the layout in force with types, the key
// columns learned of tables of layout. Another learning may have refined
// the layout since layout was read (a write's, the periodic read's), and
// must not make these be dropped; a type is kept for a table the layout
// in force still has unknown, by the same key column (a reload may have
// changed it). It returns the tables it added, sorted.
func (s *Strata) refineWith(layout *shard.Layout, types map[string]shard.KeyColumn) []string {
	for {
		cur := s.Env.Sharding.Layout()
		keep := map[string]shard.KeyColumn{}
		for name, kc := range types {
			was, now := layout.Table(name), cur.Table(name)
			if was != nil && now != nil && now.Placement == shard.PlaceSharded && now.KeyType == shard.KeyTypeUnknown &&
				strings.EqualFold(now.Method.Key(), was.Method.Key()) {
				keep[name] = kc
			}
		}
		if len(keep) == 0 {
			return nil
		}
		if s.Env.Sharding.RefineLayout(cur, cur.WithKeyTypes(keep)) {
			return slices.Sorted(maps.Keys(keep))
		}
	}
}

// stopping says whether ctx was cancelled, as Strata's own context is when
// it stops, rather than timed out: the work it cut short failed for no
// fault of the servers, and warning of each part of it would bury the
// log's last lines in noise.
func stopping(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}
