package shard

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Placement says where a table's rows live.
type Placement uint8

const (
	// PlaceDefault: the table is not listed; it lives on the default cluster.
	PlaceDefault Placement = iota
	// PlaceCluster: the table (and its table group) lives whole on one
	// cluster, Table.Cluster.
	PlaceCluster
	// PlaceSharded: rows are spread over shard clusters by Table.Method.
	PlaceSharded
	// PlaceReference: a full copy lives on every shard cluster
	// (Layout.ShardClusters), so joins with sharded tables stay local.
	PlaceReference
)

// String returns the placement's name: default, cluster, sharded or reference.
func (p Placement) String() string {
	switch p {
	case PlaceDefault:
		return "default"
	case PlaceCluster:
		return "cluster"
	case PlaceSharded:
		return "sharded"
	case PlaceReference:
		return "reference"
	}
	return fmt.Sprintf("Placement(%d)", uint8(p))
}

// TableSequence says that a sharded table's Column takes its values from
// the named sequence when an INSERT does not give one.
type TableSequence struct {
	Column string
	Name   string
}

// Table is where one table lives.
type Table struct {
	// Name is the table name, lower-case.
	Name      string
	Placement Placement
	// Cluster holds the whole table (PlaceCluster only).
	Cluster string
	// Method maps shard-key values to shards (PlaceSharded only); its
	// shard names are cluster names.
	Method Method
	// ScatterDeny refuses statements that would have to run on every
	// shard (no usable shard-key condition) instead of scattering them.
	ScatterDeny bool
	// Sequence, when set, fills Column from a sequence on INSERT.
	Sequence *TableSequence
	// CapacityWarn is the range method's warning threshold (see
	// Range.Capacity); 0 means the default, 0.8.
	CapacityWarn float64
	// KeyType is the key column's type, learned from a shard's server
	// after start (KeyTypeUnknown until then), and KeyCollation a text
	// key's collation.
	KeyType      KeyType
	KeyCollation string
	// KeyLimit, learned with the key type, is what the key column holds:
	// a key outside it is placed by the value the column stores.
	KeyLimit KeyLimit
	// LocalAutoIncrement, learned with the key type, is the column each
	// shard numbers by AUTO_INCREMENT on its own where a unique key without
	// the shard key holds it: two shards would give the same id, which one
	// server's key forbids ("" when there is none).
	LocalAutoIncrement string
	// AutoIncrement, learned with the key type, is the table's
	// AUTO_INCREMENT column ("" when it has none): a row that gives it 0,
	// NULL or DEFAULT is numbered by the shard it reaches.
	AutoIncrement string
	// Unique are the keys Strata keeps unique across the shards (config
	// unique:), each its columns, lower-case.
	Unique [][]string
	// UniqueDefaults, learned with the key type, are the defaults of the
	// columns of Unique that have one, as MariaDB's
	// information_schema.COLUMNS.COLUMN_DEFAULT writes them ('text', 0,
	// NULL, uuid()): the value a row that leaves the column out takes.
	UniqueDefaults map[string]string
	// UniqueColumns, learned with the key type, say what the server
	// stores in each column of Unique where a write gives it no value it
	// can hold (UniqueColumn).
	UniqueColumns map[string]UniqueColumn
	// KeyIsPrimary, learned with the key type where the table has
	// unique: keys: its primary key is the shard key alone, so an
	// INSERT ... ON DUPLICATE KEY UPDATE row whose key its shard holds
	// updates that row, as on one server, which meets the primary key
	// first.
	KeyIsPrimary bool
	// ClockColumns, learned with the key type: a column the server fills
	// with the statement's time (DEFAULT or ON UPDATE CURRENT_TIMESTAMP).
	ClockColumns bool
	// KeyClockDefault, learned with the key type: the key column's
	// default is the statement's time (KeyColumn.ClockDefault).
	KeyClockDefault string
	// KeyOnUpdateClock, learned with the key type: the key column is
	// ON UPDATE CURRENT_TIMESTAMP (KeyColumn.OnUpdateClock).
	KeyOnUpdateClock bool
	// KeyGenerated, learned with the key type: the key column is
	// generated from other columns (KeyColumn.Generated).
	KeyGenerated bool
	// KeyStoredAlone, learned with the key type: the key a row that gives
	// none, or a NULL, is stored with (KeyColumn.StoredAlone).
	KeyStoredAlone StoredAlone
	// PlacedBy is the collation text keys are placed by (config
	// key_collation; "": by their bytes).
	PlacedBy string
	// LookupTable and LookupCluster are the lookup method's table and the
	// cluster whose primary holds it.
	LookupTable   string
	LookupCluster string
}

// Layout is the resolved placement of every listed table; the router reads
// it for each statement. It is immutable once built and safe for
// concurrent use. A nil *Layout is an empty one.
type Layout struct {
	defaultCluster string
	byName         map[string]*Table
	sorted         []*Table
	shardClusters  []string
	moving         bool // a table's Method is a *Moving
}

// NewLayout checks and indexes tables. Names are folded to lower case;
// each table must be listed once, have what its placement needs, and
// reference tables need at least one sharded table (they live on its
// shard clusters). The tables are copied, so the caller may reuse them.
func NewLayout(defaultCluster string, tables []*Table) (*Layout, error) {
	l := &Layout{defaultCluster: defaultCluster, byName: map[string]*Table{}}
	var errs []error
	clusters := map[string]bool{}
	refs := 0
	for _, in := range tables {
		if in == nil {
			continue
		}
		t := *in
		t.Name = strings.ToLower(strings.TrimSpace(t.Name))
		if t.Name == "" {
			errs = append(errs, errors.New("layout: a table has no name"))
			continue
		}
		if l.byName[t.Name] != nil {
			errs = append(errs, fmt.Errorf("table %s: listed twice", t.Name))
			continue
		}
		switch t.Placement {
		case PlaceCluster:
			if t.Cluster == "" {
				errs = append(errs, fmt.Errorf("table %s: placed on a cluster without a cluster name", t.Name))
				continue
			}
		case PlaceSharded:
			if t.Method == nil {
				errs = append(errs, fmt.Errorf("table %s: sharded without a method", t.Name))
				continue
			}
			for _, s := range t.Method.Shards() {
				clusters[s] = true
			}
			_, moving := t.Method.(*Moving)
			l.moving = l.moving || moving
			if t.Sequence != nil && (t.Sequence.Column == "" || t.Sequence.Name == "") {
				errs = append(errs, fmt.Errorf("table %s: sequence needs a column and a name", t.Name))
				continue
			}
		case PlaceReference:
			refs++
		default:
			errs = append(errs, fmt.Errorf("table %s: placement %s is for tables that are not listed", t.Name, t.Placement))
			continue
		}
		l.byName[t.Name] = &t
	}
	if refs > 0 && len(clusters) == 0 {
		errs = append(errs, errors.New("layout: reference tables are copied to the shard clusters, but no table is sharded"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l.shardClusters = slices.Sorted(maps.Keys(clusters))
	for _, name := range slices.Sorted(maps.Keys(l.byName)) {
		l.sorted = append(l.sorted, l.byName[name])
	}
	return l, nil
}

// TableOfPeriod is the date-sharded table whose period table name is
// (posts for posts_2024_06), or "" when name is no period table.
func (l *Layout) TableOfPeriod(name string) string {
	if l == nil {
		return ""
	}
	for _, t := range l.sorted {
		if d, ok := t.Method.(*Date); ok && d.IsPeriodTable(name) {
			return t.Name
		}
	}
	return ""
}

// WithMethod returns a copy of l whose sharded table name is placed by
// m (an online move starts or ends); the shard clusters follow.
func (l *Layout) WithMethod(name string, m Method) (*Layout, error) {
	t := l.Table(name)
	if t == nil || t.Placement != PlaceSharded {
		return nil, fmt.Errorf("table %s is not sharded", name)
	}
	tables := make([]*Table, 0, len(l.sorted))
	for _, x := range l.sorted {
		if x == t {
			c := *t
			c.Method = m
			x = &c
		}
		tables = append(tables, x)
	}
	return NewLayout(l.defaultCluster, tables)
}

// HasMoving reports whether a table of l is moving (its Method is a
// *Moving), so statements on it pass its fence.
func (l *Layout) HasMoving() bool { return l != nil && l.moving }

// DefaultCluster is the cluster of every table that is not listed.
func (l *Layout) DefaultCluster() string {
	if l == nil {
		return ""
	}
	return l.defaultCluster
}

// Table returns the listed table name (matched case-insensitively), or
// nil when it is not listed and so lives on the default cluster.
func (l *Layout) Table(name string) *Table {
	if l == nil {
		return nil
	}
	if t := l.byName[name]; t != nil {
		return t
	}
	return l.byName[strings.ToLower(name)]
}

// ShardClusters lists, sorted, every cluster that any sharded table uses:
// the clusters that hold a copy of each reference table.
func (l *Layout) ShardClusters() []string {
	if l == nil {
		return nil
	}
	return slices.Clone(l.shardClusters)
}

// Tables returns the listed tables sorted by name.
func (l *Layout) Tables() []*Table {
	if l == nil {
		return nil
	}
	return slices.Clone(l.sorted)
}

// Empty reports whether no table is listed: every table lives on the
// default cluster and nothing is sharded.
func (l *Layout) Empty() bool { return l == nil || len(l.sorted) == 0 }
