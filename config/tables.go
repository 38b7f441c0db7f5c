package config

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/shard"
	"gopkg.in/yaml.v3"
)

// Table says where one table lives (key of `tables:`, case-insensitive).
// It is exactly one of: on its own cluster (Cluster), copied to every
// shard cluster (Reference), or sharded (ShardKey, Method and shards).
type Table struct {
	// Cluster holds the whole table: a table group on its own cluster.
	Cluster string `yaml:"cluster"`
	// Reference copies the table to every cluster a sharded table uses.
	Reference bool `yaml:"reference"`

	// ShardKey is the column whose value picks the shard.
	ShardKey string `yaml:"shard_key"`
	// Method is modulo, hash, range, date, key_range or lookup.
	Method string `yaml:"method"`
	// Shards and Ranges are the YAML key `shards:`: a list of clusters for
	// modulo and lookup (Shards), a map cluster -> range for the other
	// methods (Ranges).
	Shards []string          `yaml:"-"`
	Ranges map[string]string `yaml:"-"`
	// Period (day, month or year), Since (oldest period) and Ahead
	// (periods pre-created past the current one, default 3): date method.
	Period string `yaml:"period"`
	Since  string `yaml:"since"`
	Ahead  int    `yaml:"ahead"`
	// Keep (date method): periods whose tables Strata keeps, the current
	// one and those before it; older period tables are dropped hourly.
	// 0 (default): every period from Since on is kept.
	Keep int `yaml:"keep"`
	// LookupTable maps keys to shards on LookupCluster's primary (default:
	// the default cluster): lookup method.
	LookupTable   string `yaml:"lookup_table"`
	LookupCluster string `yaml:"lookup_cluster"`
	// Scatter is "allow" (default) or "deny": whether statements without a
	// usable shard-key condition may run on every shard.
	Scatter string `yaml:"scatter"`
	// Sequence fills a column from a named sequence on INSERT.
	Sequence *TableSequence `yaml:"sequence"`
	// CapacityWarn: range method; warn when the open-ended last range has
	// used this fraction of the previous range's size (default 0.8).
	CapacityWarn float64 `yaml:"capacity_warn"`
	// KeyCollation: hash method with a text key; the key column's
	// collation, by whose weights keys are placed, so keys the server
	// finds equal ('Zoe' and 'zoe' under a _ci one) share a shard.
	KeyCollation string `yaml:"key_collation"`
	// Unique lists the keys Strata keeps unique across the shards, as one
	// server's UNIQUE key does: each shard's own unique key sees its rows
	// alone.
	Unique []UniqueKey `yaml:"unique,omitempty"`

	aheadSet bool // ahead was written in the file (0 is then meant)
}

// UniqueKey is one entry of unique:: a column (email), or the columns
// whose values are unique together ([site_id, slug]).
type UniqueKey []string

// UnmarshalYAML reads a column name or a list of them.
func (k *UniqueKey) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*k = UniqueKey{n.Value}
		return nil
	}
	var cols []string
	if err := n.Decode(&cols); err != nil {
		return fmt.Errorf("line %d: unique: an entry is a column or a list of columns", n.Line)
	}
	*k = cols
	return nil
}

// MarshalYAML writes a key of one column as its name.
func (k UniqueKey) MarshalYAML() (any, error) {
	if len(k) == 1 {
		return k[0], nil
	}
	return []string(k), nil
}

// TableSequence fills Column from sequence Name when an INSERT leaves it out.
type TableSequence struct {
	Column string `yaml:"column"`
	Name   string `yaml:"name"`
}

// Sequence is a named id sequence (key of `sequences:`): a row of Table on
// Cluster's primary from which proxies take blocks of Block ids.
type Sequence struct {
	Cluster string `yaml:"cluster"`
	Table   string `yaml:"table"`
	Block   int    `yaml:"block"`
	// Start is the lowest id the sequence hands out: a new sequence starts
	// there, and an existing one below it is raised to it (never lowered),
	// so ids of rows that exist before Strata takes over are skipped.
	Start int64 `yaml:"start"`
}

// Defaults of the tables and sequences sections.
const (
	DefaultDateAhead      = 3
	DefaultCapacityWarn   = 0.8
	DefaultSequenceTable  = "strata_sequences"
	DefaultSequenceBlock  = 1000
	ScatterAllow          = "allow"
	ScatterDeny           = "deny"
	tableShapeDescription = "cluster: NAME, reference: true, or shard_key + method + shards"
)

// tableFields is the plain decoding of a Table, without its methods.
type tableFields Table

// UnmarshalYAML decodes a table, taking `shards:` as a list or a map and
// refusing unknown keys like the rest of the file.
func (t *Table) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a table is a mapping (%s)", n.Line, tableShapeDescription)
	}
	if err := checkKnown(n, tableFields{}, "Table", "shards"); err != nil {
		return err
	}
	var shards *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "shards":
			shards = n.Content[i+1]
		case "ahead":
			t.aheadSet = true
		}
	}
	set := t.aheadSet
	if err := n.Decode((*tableFields)(t)); err != nil {
		return err
	}
	t.aheadSet = set
	if shards == nil {
		return nil
	}
	switch shards.Kind {
	case yaml.SequenceNode:
		return shards.Decode(&t.Shards)
	case yaml.MappingNode:
		return shards.Decode(&t.Ranges)
	}
	return fmt.Errorf("line %d: shards is a list of clusters (modulo, lookup) or a map cluster: range (other methods)", shards.Line)
}

// UnmarshalYAML refuses unknown keys (a custom unmarshaler above it
// decodes without the file's strictness).
func (s *TableSequence) UnmarshalYAML(n *yaml.Node) error {
	if err := checkKnown(n, tableSequenceFields{}, "TableSequence"); err != nil {
		return err
	}
	return n.Decode((*tableSequenceFields)(s))
}

type tableSequenceFields TableSequence

// checkKnown fails on a mapping key that is not a yaml tag of v's fields
// nor one of extra, with the message the strict decoder gives.
func checkKnown(n *yaml.Node, v any, typeName string, extra ...string) error {
	if n.Kind != yaml.MappingNode {
		return nil // Decode reports the type mismatch
	}
	known := map[string]bool{}
	for _, e := range extra {
		known[e] = true
	}
	rt := reflect.TypeOf(v)
	for i := 0; i < rt.NumField(); i++ {
		if tag := strings.Split(rt.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			known[tag] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !known[k.Value] {
			return fmt.Errorf("line %d: field %s not found in %s", k.Line, k.Value, typeName)
		}
	}
	return nil
}

// MarshalYAML writes `shards:` back as a list or a map.
func (t Table) MarshalYAML() (any, error) {
	type out struct {
		tableFields `yaml:",inline"`
		Shards      any `yaml:"shards,omitempty"`
	}
	o := out{tableFields: tableFields(t)}
	if len(t.Ranges) > 0 {
		o.Shards = t.Ranges
	} else if len(t.Shards) > 0 {
		o.Shards = t.Shards
	}
	return o, nil
}

// Sharded reports whether the table is spread over shards.
func (t *Table) Sharded() bool {
	return t.ShardKey != "" || t.Method != "" || len(t.Shards) > 0 || len(t.Ranges) > 0
}

func (c *Config) applyTableDefaults() {
	if len(c.Tables) > 0 {
		lower := make(map[string]*Table, len(c.Tables))
		for name, t := range c.Tables {
			if t == nil {
				t = &Table{}
			}
			lower[strings.ToLower(name)] = t
		}
		c.Tables = lower
	}
	for _, t := range c.Tables {
		if !t.Sharded() {
			continue
		}
		if t.Scatter == "" {
			t.Scatter = ScatterAllow
		}
		switch t.Method {
		case shard.MethodDate:
			if !t.aheadSet && t.Ahead == 0 {
				t.Ahead = DefaultDateAhead
			}
		case shard.MethodLookup:
			if t.LookupCluster == "" {
				t.LookupCluster = c.DefaultCluster
			}
		case shard.MethodRange:
			if t.CapacityWarn == 0 {
				t.CapacityWarn = DefaultCapacityWarn
			}
		}
	}
	for name, s := range c.Sequences {
		if s == nil {
			s = &Sequence{}
			c.Sequences[name] = s
		}
		if s.Cluster == "" {
			s.Cluster = c.DefaultCluster
		}
		if s.Table == "" {
			s.Table = DefaultSequenceTable
		}
		if s.Block == 0 {
			s.Block = DefaultSequenceBlock
		}
	}
}

// TableNames returns the listed table names (lower case), sorted.
func (c *Config) TableNames() []string {
	names := make([]string, 0, len(c.Tables))
	for n := range c.Tables {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// placeholderLookup stands in for the lookup reader when the config is
// validated: building a lookup method needs one, validation never reads.
type placeholderLookup struct{}

func (placeholderLookup) Shard(context.Context, string, shard.Value) (string, bool, error) {
	return "", false, errors.New("lookup tables are not read while the config is validated")
}

// shardConfig is t as the shard package takes it.
func (t *Table) shardConfig(lookup shard.Lookup) shard.Config {
	c := shard.Config{
		ShardKey: t.ShardKey, Method: t.Method, Shards: t.Shards, Ranges: t.Ranges,
		Period: t.Period, Since: t.Since, Ahead: t.Ahead, Keep: t.Keep,
		LookupTable: t.LookupTable, Lookup: lookup,
	}
	if t.KeyCollation != "" {
		// validateSharded refused the collations Strata cannot reproduce.
		if coll, err := engine.ExactCollation(t.KeyCollation); err == nil {
			c.Fold, c.Collate = coll.Key, coll.Compare
		}
	}
	return c
}

// Layout resolves the tables section into the placement the router reads.
// lookup reads the lookup tables of lookup-method tables; it may be nil
// when no table uses that method.
func (c *Config) Layout(lookup shard.Lookup) (*shard.Layout, error) {
	var tables []*shard.Table
	for _, name := range c.TableNames() {
		t := c.Tables[name]
		st := &shard.Table{Name: name}
		switch {
		case t.Reference:
			st.Placement = shard.PlaceReference
		case t.Cluster != "":
			st.Placement, st.Cluster = shard.PlaceCluster, t.Cluster
		default:
			st.Placement = shard.PlaceSharded
			m, err := shard.New(name, t.shardConfig(lookup))
			if err != nil {
				return nil, err
			}
			st.Method = m
			st.PlacedBy = t.KeyCollation
			st.ScatterDeny = t.Scatter == ScatterDeny
			st.CapacityWarn = t.CapacityWarn
			if t.Method == shard.MethodLookup {
				st.LookupTable, st.LookupCluster = strings.ToLower(t.LookupTable), t.LookupCluster
			}
			if t.Sequence != nil {
				st.Sequence = &shard.TableSequence{Column: t.Sequence.Column, Name: t.Sequence.Name}
			}
			for _, key := range t.Unique {
				cols := make([]string, len(key))
				for i, col := range key {
					cols[i] = strings.ToLower(col)
				}
				st.Unique = append(st.Unique, cols)
			}
		}
		tables = append(tables, st)
	}
	return shard.NewLayout(c.DefaultCluster, tables)
}

// tablePath is the dotted path of a table's key as written in the file
// (table names are case-insensitive, the path lookup is not).
func tablePath(root *yaml.Node, name string) string {
	path, _ := tableKey(root, name)
	return path
}

// tableKey is tablePath and the line of the table's key (0 if not found).
func tableKey(root *yaml.Node, name string) (string, int) {
	if n, _ := child(docRoot(root), "tables"); n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.ToLower(n.Content[i].Value) == name {
				return "tables." + n.Content[i].Value, n.Content[i].Line
			}
		}
	}
	return "tables." + name, 0
}

func docRoot(root *yaml.Node) *yaml.Node {
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		return root.Content[0]
	}
	return root
}

var methods = []string{shard.MethodModulo, shard.MethodHash, shard.MethodRange, shard.MethodDate, shard.MethodKeyRange, shard.MethodLookup}

func (c *Config) validateTables(p *problems) {
	// Names differing only in case are one table to Strata.
	if n, _ := child(docRoot(p.root), "tables"); n != nil && n.Kind == yaml.MappingNode {
		seen := map[string]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prev, dup := seen[strings.ToLower(key)]; dup {
				p.add("tables."+key, "is the table %s again (table names are case-insensitive)", prev)
			}
			seen[strings.ToLower(key)] = key
		}
	}
	sharded := 0
	for _, name := range c.TableNames() {
		t := c.Tables[name]
		base, line := tableKey(p.root, name)
		if name == "" || strings.ContainsAny(name, ".` ") {
			p.addAt(line, base, "%q is not a plain table name", name)
			continue
		}
		kinds := 0
		for _, b := range []bool{t.Cluster != "", t.Reference, t.Sharded()} {
			if b {
				kinds++
			}
		}
		switch {
		case kinds == 0:
			p.add(base, "say where the table lives: %s", tableShapeDescription)
			continue
		case kinds > 1:
			p.add(base, "is exactly one of %s; this one mixes them", tableShapeDescription)
			continue
		case t.Cluster != "":
			if c.Clusters[t.Cluster] == nil {
				p.add(base+".cluster", "names no cluster (%q)", t.Cluster)
			}
			c.onlySharded(p, base, t)
		case t.Reference:
			c.onlySharded(p, base, t)
		default:
			sharded++
			c.validateSharded(p, base, name, t)
		}
	}
	if sharded == 0 {
		for _, name := range c.TableNames() {
			if t := c.Tables[name]; t.Reference && t.Cluster == "" && !t.Sharded() {
				p.add(tablePath(p.root, name)+".reference", "reference tables are copied to the clusters of the sharded tables, but no table is sharded")
			}
		}
	}
	for _, name := range sortedKeys(c.Sequences) {
		s := c.Sequences[name]
		base := "sequences." + name
		if c.Clusters[s.Cluster] == nil {
			p.add(base+".cluster", "names no cluster (%q)", s.Cluster)
		}
		if s.Block < 1 {
			p.add(base+".block", "must be at least 1")
		}
		if s.Start < 0 {
			p.add(base+".start", "must not be negative")
		}
		if strings.ContainsAny(s.Table, "` ") || strings.Count(s.Table, ".") > 1 {
			p.add(base+".table", "%q is not a table name", s.Table)
		}
		if len(name) > 64 {
			p.add(base, "sequence names have at most 64 characters")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// onlySharded refuses sharding options on a table that is not sharded.
func (c *Config) onlySharded(p *problems, base string, t *Table) {
	opts := []struct {
		key string
		set bool
	}{
		{"period", t.Period != ""}, {"since", t.Since != ""}, {"ahead", t.aheadSet || t.Ahead != 0}, {"keep", t.Keep != 0},
		{"lookup_table", t.LookupTable != ""}, {"lookup_cluster", t.LookupCluster != ""},
		{"scatter", t.Scatter != ""}, {"sequence", t.Sequence != nil}, {"capacity_warn", t.CapacityWarn != 0},
		{"key_collation", t.KeyCollation != ""}, {"unique", len(t.Unique) > 0},
	}
	for _, o := range opts {
		if o.set {
			p.add(base+"."+o.key, "only applies to sharded tables")
		}
	}
}

func (c *Config) validateSharded(p *problems, base, name string, t *Table) {
	ok := c.validateShardPlacement(p, base, t)
	ok = validateMethodOptions(p, base, t) && ok
	ok = c.validateMethodSettings(p, base, t) && ok
	c.validateScatterAndSequence(p, base, t)
	if !ok {
		return
	}
	if _, err := shard.New(name, t.shardConfig(placeholderLookup{})); err != nil {
		msg := strings.TrimPrefix(err.Error(), "table "+name+": ")
		key := ".shards"
		if strings.HasPrefix(msg, "since ") {
			key = ".since"
		}
		p.add(base+key, "%s", msg)
	}
}

// validateShardPlacement checks the shard key, the method and the
// clusters that hold the rows; false when the table cannot be built.
func (c *Config) validateShardPlacement(p *problems, base string, t *Table) bool {
	ok := true
	if t.ShardKey == "" {
		p.add(base+".shard_key", "is required: the column whose value picks the shard")
		ok = false
	}
	switch {
	case t.Method == "":
		p.add(base+".method", "is required: one of %s", strings.Join(methods, ", "))
		ok = false
	case !slices.Contains(methods, t.Method):
		p.add(base+".method", "%q is not one of %s", t.Method, strings.Join(methods, ", "))
		ok = false
	}
	if len(t.Shards) == 0 && len(t.Ranges) == 0 {
		p.add(base+".shards", "is required: the clusters holding the rows")
		ok = false
	}
	for i, s := range t.Shards {
		if c.Clusters[s] == nil {
			p.add(fmt.Sprintf("%s.shards.%d", base, i), "names no cluster (%q); shards are clusters", s)
			ok = false
		}
	}
	for _, s := range sortedKeys(t.Ranges) {
		if c.Clusters[s] == nil {
			p.add(base+".shards."+s, "names no cluster (%q); shards are clusters", s)
			ok = false
		}
	}
	return ok
}

// validateMethodOptions refuses options of another method than the
// table's, which are mistakes, and checks key_collation; false when the
// table cannot be built.
func validateMethodOptions(p *problems, base string, t *Table) bool {
	only := func(key string, set bool, method string) {
		if set && t.Method != method && t.Method != "" {
			p.add(base+"."+key, "only applies to the %s method", method)
		}
	}
	only("period", t.Period != "", shard.MethodDate)
	only("since", t.Since != "", shard.MethodDate)
	only("ahead", t.aheadSet, shard.MethodDate)
	only("keep", t.Keep != 0, shard.MethodDate)
	only("lookup_table", t.LookupTable != "", shard.MethodLookup)
	only("lookup_cluster", t.LookupCluster != "" && t.Method != shard.MethodLookup, shard.MethodLookup)
	only("capacity_warn", t.CapacityWarn != 0 && t.Method != shard.MethodRange, shard.MethodRange)
	if t.KeyCollation == "" {
		return true
	}
	if t.Method != shard.MethodHash && t.Method != shard.MethodKeyRange {
		if t.Method != "" {
			p.add(base+".key_collation", "only applies to the hash and key_range methods")
		}
		return true
	}
	if _, err := engine.ExactCollation(t.KeyCollation); err != nil {
		p.add(base+".key_collation", "%v", err)
		return false
	}
	return true
}

// validateMethodSettings checks the settings the table's method needs
// (the date method's period and since, the lookup method's table and
// cluster, the range method's capacity_warn); false when the table cannot
// be built.
func (c *Config) validateMethodSettings(p *problems, base string, t *Table) bool {
	ok := true
	switch t.Method {
	case shard.MethodDate:
		switch t.Period {
		case shard.PeriodDay, shard.PeriodMonth, shard.PeriodYear:
		case "":
			p.add(base+".period", "is required for the date method: day, month or year")
			ok = false
		default:
			p.add(base+".period", "%q is not day, month or year", t.Period)
			ok = false
		}
		if t.Since == "" {
			p.add(base+".since", "is required for the date method: the oldest period, e.g. \"2020-01-01\"")
			ok = false
		}
		if t.Ahead < 0 {
			p.add(base+".ahead", "must not be negative")
			ok = false
		}
		if t.Keep < 0 {
			p.add(base+".keep", "must not be negative: the number of periods to keep, the current one included (0 keeps every one from since:)")
			ok = false
		}
	case shard.MethodLookup:
		if t.LookupTable == "" {
			p.add(base+".lookup_table", "is required for the lookup method: the table mapping %s to shards", t.ShardKey)
			ok = false
		} else if strings.ContainsAny(t.LookupTable, ".` ") {
			p.add(base+".lookup_table", "%q is not a plain table name", t.LookupTable)
		}
		if c.Clusters[t.LookupCluster] == nil {
			p.add(base+".lookup_cluster", "names no cluster (%q)", t.LookupCluster)
		}
	case shard.MethodRange:
		if t.CapacityWarn < 0 {
			p.add(base+".capacity_warn", "must be a positive fraction, e.g. 0.8")
		}
	}
	return ok
}

// validateUnique checks unique:, distinct keys of distinct columns
// without the shard key (a key that holds it has all its rows of one
// value on one shard, whose own unique key holds it). A date table's rows
// live in a table per period, which the checks do not read.
func (c *Config) validateUnique(p *problems, base string, t *Table) {
	if len(t.Unique) > 0 && t.Method == shard.MethodDate {
		p.add(base+".unique", "does not apply to the date method: its rows live in one table per period")
	}
	seenKeys := map[string]bool{}
	for i, k := range t.Unique {
		path := fmt.Sprintf("%s.unique[%d]", base, i)
		if len(k) == 0 {
			p.add(path, "is empty: name a column, or a list of columns unique together")
		}
		seen := map[string]bool{}
		for _, col := range k {
			low := strings.ToLower(col)
			switch {
			case strings.TrimSpace(col) == "":
				p.add(path, "has an empty column name")
			case low == strings.ToLower(t.ShardKey):
				p.add(path, "holds the shard key (%s): all rows of one value are on one shard, whose own unique key holds it", col)
			case seen[low]:
				p.add(path, "names %s twice", col)
			}
			seen[low] = true
		}
		sorted := slices.Sorted(maps.Keys(seen))
		if id := strings.Join(sorted, ","); len(k) > 0 && seenKeys[id] {
			p.add(path, "repeats a key listed before (%s)", strings.Join(k, ", "))
		} else {
			seenKeys[id] = true
		}
	}
}

// validateScatterAndSequence checks scatter: and sequence:, which do not
// change where rows live.
func (c *Config) validateScatterAndSequence(p *problems, base string, t *Table) {
	switch t.Scatter {
	case ScatterAllow, ScatterDeny:
	default:
		p.add(base+".scatter", "%q is not allow or deny", t.Scatter)
	}
	c.validateUnique(p, base, t)
	sq := t.Sequence
	if sq == nil {
		return
	}
	if sq.Column == "" {
		p.add(base+".sequence.column", "is required: the column the sequence fills")
	}
	if sq.Name == "" {
		p.add(base+".sequence.name", "is required: a sequence of sequences:")
	} else if c.Sequences[sq.Name] == nil {
		p.add(base+".sequence.name", "names no sequence of sequences: (%q)", sq.Name)
	}
}
