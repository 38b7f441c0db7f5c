package planner

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// Sharding plans statements over the tables the `tables:` config places:
// table groups on their own cluster, sharded tables, reference tables.
// Statements that touch none of them never get here.
type Sharding struct {
	layout atomic.Pointer[shard.Layout]
	// locations: the shards rows of unique: columns were last seen on.
	locations *shard.Locations
	stmts     sync.Map // statement text -> *analyzed
	// periods caches every period table of date tables, per table and hour.
	periods sync.Map
	n       atomic.Int64
	// Assign records the shard of a lookup key an INSERT brings for the
	// first time (nil: such an INSERT is refused).
	Assign func(ctx context.Context, t *shard.Table, key shard.Value) (string, error)
	// NextID hands out the next id of a sequence.
	NextID func(ctx context.Context, sequence string) (int64, error)
	// TablesOn lists which of the tables names exist in the application's
	// schema on a cluster's primary: the period tables a schema change of
	// a date table must reach (nil: such a change is refused).
	TablesOn func(ctx context.Context, cluster string, names []string) ([]string, error)
	// ReadColumns reads again, after a schema change, what Strata learns
	// of the tables' columns from the shards: the text columns'
	// collations (SetColumnCollations) and the key columns
	// (RefineLayout); nil when they are not read.
	ReadColumns func(ctx context.Context) error
	// LearnTables learns at once what Strata reads of tables' columns
	// with their key types (tables of layout l whose key type is not
	// known: created since the last periodic read). A write is planned
	// by it: the AUTO_INCREMENT column each shard would number alone is
	// refused, the defaults of unique: columns are checked. nil: tables
	// are learned by the periodic read alone.
	LearnTables func(ctx context.Context, l *shard.Layout, tables []*shard.Table) error
	// FromZone gives a TIMESTAMP literal read in time_zone zone as the
	// servers' own time_zone reads the same moment (t's shards answer);
	// nil: a date table keyed by a TIMESTAMP is placed by the literals of
	// a session with a time_zone of its own as written.
	FromZone func(ctx context.Context, t *shard.Table, literal, zone string) (string, error)
	// collations are the text columns' own collations (SetColumnCollations).
	collations atomic.Pointer[columnCollations]
	// now paces the reads of columns merges ask for (MergeColumns).
	now columnsNow
	// refused maps tables whose statements are refused to why (a table
	// another Strata is moving; SetRefused).
	refused atomic.Pointer[map[string]string]
}

// SetRefused makes statements on the given tables fail with the given
// reasons (nil or empty: none), until the next call.
func (s *Sharding) SetRefused(why map[string]string) {
	if len(why) == 0 {
		s.refused.Store(nil)
		return
	}
	s.refused.Store(&why)
}

// Refused is the reason statements on table are refused, "" when they
// are not.
func (s *Sharding) Refused(table string) string {
	if m := s.refused.Load(); m != nil {
		return (*m)[table]
	}
	return ""
}

// RefusedTables is a copy of the refusals in force.
func (s *Sharding) RefusedTables() map[string]string {
	out := map[string]string{}
	if m := s.refused.Load(); m != nil {
		maps.Copy(out, *m)
	}
	return out
}

// refusedTable is the refusal of the first table of f that is refused.
func (s *Sharding) refusedTable(f *sqlparse.Facts) error {
	m := s.refused.Load()
	if m == nil {
		return nil
	}
	for _, lists := range [][]sqlparse.TableRef{f.Tables, f.WriteTables} {
		for _, t := range lists {
			if why := (*m)[strings.ToLower(t.Name)]; why != "" {
				return refuse("%s", why)
			}
		}
	}
	for _, n := range f.Names {
		if why := (*m)[strings.ToLower(n)]; why != "" {
			return refuse("%s", why)
		}
	}
	return nil
}

type columnCollations struct {
	schema  string
	byName  map[string]string          // "table.column", lower case
	members map[string][]string        // ENUM and SET columns' members, keyed as byName
	names   map[string]map[string]bool // every column, by table; lower case
	primary map[string][]string        // primary key columns in order, by table
	order   map[string][]string        // visible columns in their definition's order, by table
}

// SetColumnCollations records the collation of each text column of the
// sharded schema ("table.column" in lower case), read from the shards.
func (s *Sharding) SetColumnCollations(schema string, byName map[string]string) {
	s.SetColumns(schema, shard.Columns{Collations: byName})
}

// SetColumns records what was read of the columns of the sharded schema's
// tables from the shards: the text columns' collations, the ENUM and SET
// columns' members, which a merge sorts those by, every column's name
// (TableColumns) and the primary keys (PrimaryKey).
func (s *Sharding) SetColumns(schema string, c shard.Columns) {
	s.collations.Store(&columnCollations{schema: strings.ToLower(schema), byName: c.Collations, members: c.Members, names: c.Names, primary: c.Primary, order: c.Order})
}

// TableColumns names the columns of a sharded or reference table as last
// read from the shards (lower case), or nil when not known.
func (s *Sharding) TableColumns(table string) map[string]bool {
	cc := s.collations.Load()
	if cc == nil {
		return nil
	}
	if physical, ok := s.readAs(cc, table, func(name string) bool { return cc.names[name] != nil }); ok {
		return cc.names[physical]
	}
	return nil
}

// PrimaryKey names the primary key columns of a sharded or reference
// table (its name as written, schema-qualified or not) in the key's
// order, as last read from the shards (lower case).
// It is nil when not known, when the table has none, and when a text
// column of it is in a collation Strata only approximates: a merge of
// the shards' rows by it would be refused.
func (s *Sharding) PrimaryKey(table string) []string {
	cc := s.collations.Load()
	if cc == nil {
		return nil
	}
	physical, ok := s.readAs(cc, table, func(name string) bool { return cc.primary[name] != nil })
	if !ok {
		return nil
	}
	key := cc.primary[physical]
	for _, c := range key {
		if coll := cc.byName[physical+"."+c]; coll != "" {
			if _, err := engine.ExactCollation(coll); err != nil {
				return nil
			}
		}
	}
	return key
}

// ColumnOrder lists a sharded or reference table's columns in their
// definition's order, without INVISIBLE ones (lower case), as last read
// from the shards; nil when not known.
func (s *Sharding) ColumnOrder(table string) []string {
	cc := s.collations.Load()
	if cc == nil {
		return nil
	}
	if physical, ok := s.readAs(cc, table, func(name string) bool { return cc.order[name] != nil }); ok {
		return cc.order[physical]
	}
	return nil
}

// readAs is the name under which the columns of table (as written,
// schema-qualified or not) were read, as known says: the table's own, or
// for a date table one of its period tables (posts_2024_06), all made
// from one definition. ok is false for another schema's table or one
// not read.
func (s *Sharding) readAs(cc *columnCollations, table string, known func(string) bool) (name string, ok bool) {
	table = strings.ToLower(table)
	if schema, name, qualified := strings.Cut(table, "."); qualified {
		if schema != cc.schema {
			return "", false // information_schema.tables is not blog.tables
		}
		table = name
	}
	if known(table) {
		return table, true
	}
	if t := s.Layout().Table(table); t != nil && t.Placement == shard.PlaceSharded && t.Method.Name() == shard.MethodDate {
		for name := range cc.names {
			if strings.HasPrefix(name, table+"_") && known(name) {
				return name, true
			}
		}
	}
	return "", false
}

// RelearnColumns reads what Strata learns of the tables' columns again
// right after a schema change through Strata (ReadColumns): a column's
// collation, an AUTO_INCREMENT, a time column or a unique: column's
// default it changed counts from the next statement on.
func (s *Sharding) RelearnColumns(ctx context.Context) error {
	if s.ReadColumns == nil {
		return nil
	}
	return s.ReadColumns(ctx)
}

// learnWritten has the sharded tables a write names learned at once
// where their key types are not known yet (LearnTables): a table created
// since the last periodic read, whose first writes would otherwise be
// planned without its AUTO_INCREMENT column, unique: defaults and time
// columns. A table that cannot be learned (not created on its first
// shard) is planned as before; its shards answer for it.
func (s *Sharding) learnWritten(ctx context.Context, f *sqlparse.Facts) {
	switch {
	case s.LearnTables == nil:
		return
	case f.Kind != sqlparse.KindInsert && f.Kind != sqlparse.KindReplace && f.Kind != sqlparse.KindUpdate &&
		f.Kind != sqlparse.KindDelete && f.Kind != sqlparse.KindLoadData:
		return
	}
	l := s.Layout()
	var unknown []*shard.Table
	for _, ref := range f.WriteTables {
		if t := l.Table(ref.Name); t != nil && t.Placement == shard.PlaceSharded && t.KeyType == shard.KeyTypeUnknown && !slices.Contains(unknown, t) {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		_ = s.LearnTables(ctx, l, unknown) // on failure, the periodic read tries again
	}
}

// binaryWins is the collation MariaDB gives a value made of columns of
// one character set and several collations: the one _bin collation among
// them (ok false when there is not exactly one, or the character sets
// differ: the server then refuses the mix, or converts).
func binaryWins(collations []string) (string, bool) {
	charset := func(c string) string { cs, _, _ := strings.Cut(strings.ToLower(c), "_"); return cs }
	var bin string
	for _, c := range collations {
		if charset(c) != charset(collations[0]) {
			return "", false
		}
		if strings.HasSuffix(strings.ToLower(c), "_bin") {
			if bin != "" {
				return "", false
			}
			bin = c
		}
	}
	return bin, bin != ""
}

// ColumnCollation is the collation of a text column of the sharded
// schema as last read from the shards ("" when not known).
func (s *Sharding) ColumnCollation(table, column string) string {
	if cc := s.collations.Load(); cc != nil {
		return cc.byName[strings.ToLower(table)+"."+strings.ToLower(column)]
	}
	return ""
}

// WithColumnCollations returns cols with each text column given the
// collation the shards sort, group and de-duplicate it by, where the
// server reported only the connection's: a table column of the sharded
// schema its own collation, an expression over such columns (sources,
// the plan's TextSources) the one it takes from them or from an explicit
// COLLATE. An expression whose collation Strata cannot tell gets a
// CollationUnknown instead, so a merge that compares it refuses rather
// than answer in another order. Columns it knows nothing of keep the
// reported collation; cols is not changed.
func (s *Sharding) WithColumnCollations(cols []engine.Column, sources []*sqlparse.TextSource) []engine.Column {
	cc := s.collations.Load()
	var out []engine.Column // a copy, made at the first change
	column := func(i int) *engine.Column {
		if out == nil {
			out = slices.Clone(cols)
		}
		return &out[i]
	}
	set := func(i int, name, unknown string) {
		if name != "" || unknown != "" {
			c := column(i)
			c.Collation, c.CollationUnknown = name, unknown
		}
	}
	for i, c := range cols {
		if c.Charset == engine.CharsetBinary {
			continue
		}
		if i < len(sources) && sources[i] != nil {
			name, unknown := cc.sourceCollation(c, sources[i])
			set(i, name, unknown)
			if m := cc.sourceMembers(c, sources[i]); m != nil {
				column(i).Members = m
			}
			continue
		}
		if cc == nil || c.OrgTable == "" || c.OrgName == "" || !strings.EqualFold(c.Schema, cc.schema) {
			continue
		}
		key := strings.ToLower(c.OrgTable) + "." + strings.ToLower(c.OrgName)
		if name, ok := cc.byName[key]; ok {
			set(i, name, "")
		}
		if m, ok := cc.members[key]; ok && c.Flags&(engine.FlagEnum|engine.FlagSet) != 0 {
			column(i).Members = m
		}
	}
	if out == nil {
		return cols
	}
	return out
}

// sourceMembers are the members of an ENUM or SET column c that is an
// expression over one such table column: MIN(e) and MAX(e) keep e's type,
// and a server sorts their values by e's members. Nil when c is no ENUM
// or SET, or is made of other columns.
func (cc *columnCollations) sourceMembers(c engine.Column, src *sqlparse.TextSource) []string {
	if cc == nil || c.Flags&(engine.FlagEnum|engine.FlagSet) == 0 || src.Opaque || len(src.Columns) != 1 {
		return nil
	}
	ref := src.Columns[0]
	var found []string
	for _, t := range ref.Tables {
		m, ok := cc.members[t+"."+ref.Column]
		if !ok {
			continue
		}
		if found != nil && !slices.Equal(found, m) {
			return nil // two tables' columns of that name: which one is not known
		}
		found = m
	}
	return found
}

// sourceCollation is the collation of an expression column c made of
// src, or why it is not known; both empty when the reported one stands.
func (cc *columnCollations) sourceCollation(c engine.Column, src *sqlparse.TextSource) (name, unknown string) {
	if src.Collate != "" {
		return src.Collate, ""
	}
	if cc == nil {
		return "", ""
	}
	var read []string // the collations of the columns it is made of
	for _, ref := range src.Columns {
		for _, t := range ref.Tables {
			if n, ok := cc.byName[t+"."+ref.Column]; ok && !slices.ContainsFunc(read, func(r string) bool { return strings.EqualFold(r, n) }) {
				read = append(read, n)
			}
		}
	}
	reported, err := engine.CollationByID(c.Charset)
	switch {
	case len(read) == 0:
		return "", "" // literals and functions: the connection's
	case len(read) == 1 && !src.Opaque:
		return read[0], ""
	case len(read) == 1 && err == nil && strings.EqualFold(read[0], reported.Name):
		return "", "" // whichever it takes, the reported one
	case !src.Opaque:
		if bin, ok := binaryWins(read); ok {
			return bin, ""
		}
	}
	return "", fmt.Sprintf("Strata cannot tell which collation the text values of %s compare by on the shards: it is made of columns of collation %s through functions whose result collation Strata does not derive; give it an explicit COLLATE (%s COLLATE %s), or merge on a column", c.Name, strings.Join(read, ", "), c.Name, read[0])
}

// analyzed is a statement's analysis, shared by all executions of its text.
type analyzed struct {
	stmt    *sqlparse.ShardStmt
	err     error
	renders sync.Map // target key -> rendered SQL (statements without bound values)
}

// NewSharding plans over layout (nil or empty: nothing is placed).
func NewSharding(layout *shard.Layout) *Sharding {
	s := &Sharding{locations: shard.NewLocations(0)}
	s.SetLayout(layout)
	return s
}

// SetLayout replaces the layout (config reload) and forgets analyses,
// which depend on which tables are sharded, and the rows' locations,
// which a table's new shards may not hold.
func (s *Sharding) SetLayout(l *shard.Layout) {
	s.locations.Clear()
	s.layout.Store(l)
	s.stmts.Clear()
	s.periods.Clear()
	s.n.Store(0)
}

// RefineLayout replaces layout old with next, a copy that knows more of
// the same tables (their key types), unless a reload replaced old
// meanwhile; it reports whether it did.
func (s *Sharding) RefineLayout(old, next *shard.Layout) bool {
	if !s.layout.CompareAndSwap(old, next) {
		return false
	}
	s.stmts.Clear()
	s.periods.Clear()
	s.n.Store(0)
	return true
}

// Layout is the current layout.
func (s *Sharding) Layout() *shard.Layout { return s.layout.Load() }

// Touches reports whether f references a table the layout places.
func (s *Sharding) Touches(f *sqlparse.Facts) bool {
	l := s.layout.Load()
	if l == nil || l.Empty() {
		return false
	}
	for _, t := range f.Tables {
		if l.Table(t.Name) != nil {
			return true
		}
	}
	return len(namedTables(l, f)) > 0
}

// namedTables lists the placed tables a statement the parser could not
// read (Fallback) names: Strata does not know which of its names are
// tables, so every name that is one counts.
func namedTables(l *shard.Layout, f *sqlparse.Facts) []*shard.Table {
	var out []*shard.Table
	for _, n := range f.Names {
		if t := l.Table(n); t != nil && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// planStandIn routes a statement the parser cannot read only for
// MariaDB's aggregate and window extensions (GROUP_CONCAT(... LIMIT n),
// JSON_ARRAYAGG(x ORDER BY y), MEDIAN(x) OVER (...)) or JSON_TABLE where
// the shards compute those whole: its stand-in (sqlparse.StandIn) is
// planned, and where that plan sends one statement to one shard, or
// merges the shards' rows as they are (standInMergeable), each shard gets
// its statement with the client's calls back in place, which its MariaDB
// reads. nil otherwise: the merge would need to combine or compare what
// Strata cannot read, and the statement is refused (planUnparsed).
func (s *Sharding) planStandIn(ctx context.Context, m sqlparse.Mode, sql string, args []string) *ShardPlan {
	standIn, back, facts := m.ParseStandIn(sql)
	if facts == nil {
		return nil
	}
	p, err := s.Plan(ctx, m, standIn, facts, args)
	if err != nil || p == nil || len(p.Routes) == 0 {
		return nil
	}
	single := p.Kind == PlanRelay && len(p.Routes) == 1
	if !single && (p.Kind != PlanMerge || !standInMergeable(m, p)) {
		return nil
	}
	for i := range p.Routes {
		r := &p.Routes[i]
		var ok bool
		if r.SQL, ok = back(r.SQL); !ok {
			return nil
		}
		if r.Template != "" {
			if r.Template, ok = back(r.Template); !ok {
				return nil
			}
		}
	}
	p.Reason += " (MariaDB's extensions as the client wrote them: Strata's parser read the statement with them set aside)"
	return p
}

// standInMergeable reports whether a merge of a stand-in's shard queries
// keeps what the client's calls compute as each shard computed it: the
// shards' rows merged as they are (each group whole on one shard, each
// window partitioned by the shard key), never folded together, filtered
// or de-duplicated in Strata, and sorted only by columns that hold no
// call's value, whose type and collation Strata does not know.
func standInMergeable(m sqlparse.Mode, p *ShardPlan) bool {
	sel := p.Select
	if sel == nil || sel.Aggregated || sel.Distinct || sel.Having != nil || len(sel.Computed) > 0 {
		return false
	}
	orders := slices.Concat(sel.MergeOrder, sel.OrderBy)
	if len(orders) == 0 {
		return true
	}
	calls, ok := m.StandInColumns(p.Routes[0].SQL)
	if !ok {
		return false
	}
	for _, o := range orders {
		if o.Col >= len(calls) || calls[o.Col] {
			return false
		}
	}
	return true
}

// planUnparsed routes a statement the parser could not read that names
// placed tables: whole to their one cluster when they all live whole on
// it (a table group), else refused — its shard keys cannot be read.
func planUnparsed(l *shard.Layout, m sqlparse.Mode, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	tables := namedTables(l, f)
	for _, t := range tables {
		if t.Placement == shard.PlaceSharded || t.Placement == shard.PlaceReference {
			switch sqlparse.UnparsedForm(sql) {
			case "checksum":
				return nil, refuse("CHECKSUM TABLE of %s, a %s table, is supported only as a statement of its own (Strata sums the checksums of every copy): send it alone, not in a multi-statement or as a prepared statement", t.Name, t.Placement)
			case "json-arrayagg":
				return nil, refuse("JSON_ARRAYAGG with DISTINCT, ORDER BY or LIMIT inside (MariaDB's extension) on %s, a %s table, is supported only where the shards compute it whole: where the statement reads one shard (a condition on its shard key), or groups by the shard key and does not sort by it. Strata's SQL parser does not read it, so Strata cannot merge it from several. Use JSON_ARRAYAGG(x) without them, which Strata merges across shards, or GROUP_CONCAT([DISTINCT] x ORDER BY x)", t.Name, t.Placement)
			case "group-concat-limit":
				return nil, refuse("GROUP_CONCAT with LIMIT inside (MariaDB's extension) on %s, a %s table, is supported only where the shards compute it whole: where the statement reads one shard (a condition on its shard key), or groups by the shard key and does not sort by it. Strata's SQL parser does not read it, so Strata cannot merge it from several. Drop the LIMIT and cut the list in the application", t.Name, t.Placement)
			case "into-dumpfile":
				return nil, refuse("SELECT ... INTO DUMPFILE from %s, a %s table, is not supported: Strata's SQL parser does not read it, and each shard's server would write a file of its own. Use SELECT ... INTO OUTFILE, which Strata writes on the default cluster's server from the shards' rows, read first (up to limits.max_pulled_rows), or read the row in the application", t.Name, t.Placement)
			case "percentile":
				return nil, refuse("MEDIAN, PERCENTILE_CONT and PERCENTILE_DISC (MariaDB's window functions) over %s, a %s table, are supported only where the shards compute them whole: where the statement reads one shard (a condition on its shard key), or each window is PARTITION BY the shard key and the statement does not sort by them. Strata's SQL parser does not read them, and each needs every row of its partition, which several shards hold. Read the values (ORDER BY them) and take the percentile in the application", t.Name, t.Placement)
			case "json-table":
				return nil, refuse("JSON_TABLE beside %s, a %s table, is supported only where the statement reads one shard (a condition on its shard key), or where Strata merges the shards' rows as they are: not grouped (unless by the shard key), de-duplicated or sorted by JSON_TABLE's columns (name the columns of other tables with their table). Strata's SQL parser does not read it, so Strata cannot compare its values. Read the JSON column and expand it in the application, or run JSON_TABLE over a table of one cluster", t.Name, t.Placement)
			case "handler":
				return nil, refuse("HANDLER on %s, a %s table, is not supported: a HANDLER walks one server's copy of the table by an index, and each shard holds part of it. Read it with SELECT ... ORDER BY ... LIMIT, which Strata merges across shards", t.Name, t.Placement)
			case "load-xml":
				return nil, refuse("LOAD XML into %s, a %s table, is not supported: Strata reads a file's rows to send each to the shards that hold it only in LOAD DATA's format. Write the rows as delimited text (SELECT ... INTO OUTFILE, mariadb-dump --tab) and load them with LOAD DATA LOCAL INFILE", t.Name, t.Placement)
			case "flush-export":
				return nil, refuse("FLUSH TABLES %s FOR EXPORT: the table lives on several shards and Strata cannot lock them together; to copy its files, run it on each shard", t.Name)
			case "create-trigger":
				return planCreateTrigger(l, m, sql, tables)
			case "create-program":
				return nil, refuse("a stored procedure, function or event whose body names %s, a %s table, is not supported: it would live on the default cluster and read only that server's tables, so it would not see %[1]s's rows. Run its statements from the application through Strata instead", t.Name, t.Placement)
			case "into-variable":
				return nil, refuse("SELECT ... INTO @variable on %s, a %s table, is supported only as a text statement of its own, a read Strata runs over the shards first: send it alone, not in a multi-statement or as a prepared statement, or assign in the select list (SELECT @x := id FROM ...)", t.Name, t.Placement)
			}
			return nil, refuse("Strata's SQL parser cannot read this statement, and it names %s, a %s table: Strata routes statements on it only from a full parse. Write it in syntax MySQL's grammar reads (LIMIT without ROWS EXAMINED, tables without FOR SYSTEM_TIME)", t.Name, t.Placement)
		}
		if t.Cluster != tables[0].Cluster {
			return nil, refuse("Strata's SQL parser cannot read this statement, and it names %s on cluster %s and %s on cluster %s; Strata cannot run one statement across clusters", tables[0].Name, tables[0].Cluster, t.Name, t.Cluster)
		}
	}
	return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: tables[0].Cluster, SQL: sql, Template: templateIf(args, sql)}}, Write: true,
		Reason: "unparsed statement naming " + tables[0].Name + ", which lives on cluster " + tables[0].Cluster}, nil
}

// planCreateTrigger creates a trigger of a sharded or reference table on
// each of its copies: each shard's table fires its own, on the rows it
// holds, as the one table's trigger would. named are the placed tables
// the statement names. A date table keeps a table per period, each
// needing a trigger of its own name, so it is refused; so is a trigger
// whose body names a sharded table other than its own, or one on a table
// of the default cluster whose body names a placed table: the trigger
// runs where its table is and writes the tables there, where those rows
// do not belong. Reference tables, which every shard holds whole, may be
// read. A trigger that assigns NEW.<shard key> is refused too: the row
// was placed by the key its statement gave.
func planCreateTrigger(l *shard.Layout, m sqlparse.Mode, sql string, named []*shard.Table) (*ShardPlan, error) {
	_, on, _ := m.TriggerTable(sql)
	t := l.Table(on)
	if t == nil || t.Placement != shard.PlaceSharded && t.Placement != shard.PlaceReference {
		return nil, refuse("CREATE TRIGGER on %s, a table of one cluster, whose body names %s, a %s table, is not supported: the trigger fires on that cluster and reads and writes only its server's tables, not %[2]s's rows. Write %[2]s from the application, through Strata", on, named[0].Name, named[0].Placement)
	}
	for _, other := range named {
		if other != t && other.Placement == shard.PlaceSharded {
			return nil, refuse("CREATE TRIGGER on %s whose body names %s, another sharded table, is not supported: each copy of %[1]s fires its trigger on its own server, and a row it writes to %[2]s there is not placed by %[2]s's own shard key. Write %[2]s from the application, through Strata", t.Name, other.Name)
		}
	}
	if t.Placement == shard.PlaceSharded && m.AssignsNewColumn(sql, strings.ToLower(t.Method.Key())) {
		return nil, refuse("CREATE TRIGGER on %s that assigns NEW.%s, its shard key, is not supported: Strata places each row by the key its statement gives, before the trigger runs, so the row would be stored on a shard that does not own its new key, where reads of that key never look. Give the key in the statement (Strata evaluates an INSERT's key expression such as UUID() or NOW() first), or fill it from a Strata sequence (tables: %[1]s: sequence:)", t.Name, strings.ToLower(t.Method.Key()))
	}
	if _, ok := t.Method.(*shard.Date); ok {
		return nil, refuse("CREATE TRIGGER on %s, a date table, is not supported: it keeps one table per period, and trigger names are unique per schema. Create a trigger of its own name on each period table, on the shard that holds it", t.Name)
	}
	clusters := l.ShardClusters()
	if t.Placement == shard.PlaceSharded {
		clusters = t.Method.Shards()
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, SchemaChange: true, Reason: "CREATE TRIGGER on " + t.Placement.String() + " table " + t.Name + ": on every copy"}
	for _, c := range clusters {
		p.Routes = append(p.Routes, ShardRoute{Cluster: c, SQL: sql, Tables: []string{t.Name}})
	}
	return p, nil
}

// PlanKind is the shape of a ShardPlan.
type PlanKind uint8

const (
	// PlanRelay: one statement on one cluster; its answer is relayed to
	// the client byte for byte, with the usual read/write split.
	PlanRelay PlanKind = iota
	// PlanMerge: a SELECT on several shards (or period tables) merged in
	// Strata.
	PlanMerge
	// PlanWrite: writes on several shards, each in its own transaction,
	// committed together; the client gets one OK.
	PlanWrite
	// PlanLoad: LOAD DATA LOCAL whose file Strata splits between the
	// routes' shards (Load), committed together like a PlanWrite.
	PlanLoad
)

var planKindNames = [...]string{PlanRelay: "relay", PlanMerge: "merge", PlanWrite: "write", PlanLoad: "load"}

func (k PlanKind) String() string { return planKindNames[k] }

// ShardRoute is one statement on one cluster.
type ShardRoute struct {
	Cluster string
	SQL     string
	// Template is the route's statement with the ? placeholders kept, for
	// a prepared statement that runs on one shard: prepared there and
	// executed with the client's own EXECUTE. "" when the route's text
	// depends on the bound values (an IN list split by value, sequence ids).
	Template string
	// Tables are the physical tables it reads or writes (period tables).
	Tables []string
	// InsertRows are the rows of the client's VALUES list (from 0) the
	// route inserts, in order; nil when it is no part of an INSERT.
	InsertRows []int
	// LimitEnd, in a plan that walks a LIMIT (ShardPlan.LimitWalk), is
	// where the count of the route's trailing "LIMIT n" ends in SQL.
	LimitEnd int
	// Candidates, in a plan with TopOrder, is the SELECT FOR UPDATE of
	// the route's first rows by the statement's ORDER BY, up to its LIMIT.
	Candidates string
	// CheckOnly: the route writes nothing; it is a shard the write's
	// Unique checks read (they run on every route's connection). Such
	// routes come last.
	CheckOnly bool
}

// WithLimit is the route's statement with its LIMIT count replaced by n,
// what is left of the client's LIMIT when the route's turn comes.
func (r ShardRoute) WithLimit(n, was int64) string {
	w := strconv.FormatInt(was, 10)
	return r.SQL[:r.LimitEnd-len(w)] + strconv.FormatInt(n, 10) + r.SQL[r.LimitEnd:]
}

// ShardPlan is how one statement runs over placed tables.
type ShardPlan struct {
	Kind   PlanKind
	Routes []ShardRoute
	// Unique are the values a write gives columns kept unique across
	// shards, checked on every shard after it (shard_unique.go);
	// UniqueRefusal, when set, says why a duplicate is refused (1235)
	// rather than answered as one server would (1062).
	Unique        []UniqueCheck
	UniqueRefusal string
	// UniqueFirst: the checks also run before the write (REPLACE, ON
	// DUPLICATE KEY UPDATE), where a row another shard holds of a value
	// a row is written with is refused: one server would delete or
	// update that row as the statement's rows meet it, which a check of
	// the rows left after the write cannot see (a later row of the
	// statement may have replaced the one that met it).
	UniqueFirst bool
	// UpsertsByKey: an INSERT ... ON DUPLICATE KEY UPDATE of a table
	// whose primary key is its shard key (Table.KeyIsPrimary). A row
	// whose key its shard holds updates that row, as on one server, which
	// meets the primary key first: what other shards hold of its values
	// does not matter (UniqueCheck.Keys).
	UpsertsByKey bool
	// Write: the statement writes (runs on primaries).
	Write bool
	// Select is the merge of a PlanMerge.
	Select *sqlparse.ScatterSelect
	// Walk: routes are in key order and are read one after another until
	// the LIMIT is met (ordered walk with early stop).
	Walk bool
	// InsertID is the first sequence id an INSERT filled in, returned to
	// the client as LAST_INSERT_ID(); 0 when none.
	InsertID int64
	// Reason says why the plan has this shape, for EXPLAIN STRATA.
	Reason string
	// Sequential: the executor runs the routes one after another on a
	// shared connection (a transaction's), so rows are not read from
	// several routes at once.
	Sequential bool
	// Args are the prepared statement's bound values the plan was made
	// for (LIMIT ? and HAVING ... ? are applied in Strata).
	Args []string
	// Charset is the character set the statement's strings are written
	// in (the client's; "" when unknown), which a HAVING applied in
	// Strata reads them in.
	Charset string
	// Binary: the merge answers in the binary protocol, where a double
	// goes whole (ScatterSelect.FullCopies), not as the text printed it.
	Binary bool
	// Load is how a PlanLoad splits its file.
	Load *LoadPlan
	// Move, on a PlanWrite of an UPDATE that sets the shard key, is how
	// the rows that change shards move.
	Move *MovePlan
	// Copies: every route writes its own copy of the same rows (a
	// reference table), so the statement's counts are one route's.
	Copies bool
	// SchemaChange: a DDL, which commits at once on each route; the
	// routes run one after the other, in no transaction.
	SchemaChange bool
	// LimitWalk: an UPDATE or DELETE with LIMIT Limit over several
	// routes, run one route after the other, each with what the routes
	// before left of the LIMIT (the rows they matched taken off), until
	// none is left: in key order under ORDER BY the shard key, in any
	// order without ORDER BY (which rows MariaDB picks is then its own).
	LimitWalk bool
	Limit     int64
	// TopOrder, with LimitWalk, is an ORDER BY ... LIMIT the shards'
	// key order does not give: each route first selects its candidates
	// (ShardRoute.Candidates, locking them), Strata merges them by the
	// ORDER BY (TopOrder says which items are DESC), and each route then
	// writes as many of the first Limit rows overall as are its own.
	TopOrder []bool
	// TopSources, beside TopOrder, say what the collation of each ORDER BY
	// expression's text comes from (nil for a plain column, whose
	// collation Strata knows from the schema).
	TopSources []*sqlparse.TextSource
	// Clock: a write or LOAD DATA over several routes into a table with a
	// column the server fills with the statement's time (DEFAULT or ON
	// UPDATE CURRENT_TIMESTAMP), which one server gives every row alike.
	Clock bool
	// Returning: the write ends with MariaDB's RETURNING clause on every
	// route, so each answers with rows, which the client gets as one
	// result set.
	Returning bool
	// InsertRowCount is the number of rows of an INSERT or REPLACE ...
	// VALUES (0 for other statements), and InsertForm how it meets a
	// duplicate: one server's OK for several rows says how many rows and
	// duplicates ("Records: 3  Duplicates: 1  Warnings: 0"), where a
	// route's OK for a part of one row says nothing (OneRowDuplicates).
	InsertRowCount int
	InsertForm     InsertForm
	// Locate, on a plan that runs on every shard for want of the shard
	// key, names the one row its WHERE's equality on a column kept unique
	// across the shards can match (rowLocation): where the session knows
	// that row's shard, it tries that shard alone first.
	Locate *shard.LocationKey
	// LocateEach, likewise, names the rows its WHERE's IN list on such a
	// column can match, one per value (rowLocations): where the session
	// knows each of those rows' shards, it tries those shards alone
	// first.
	LocateEach []shard.LocationKey
	// Places, on an INSERT or REPLACE into a table with unique: columns,
	// are the shards it writes the rows of their values to, which the
	// session remembers once the write is done.
	Places []RowPlace
	// Updated, on an UPDATE that gives columns kept unique across the
	// shards a value, names the rows of those values: the rows it
	// changes, where the session learns it changed them.
	Updated []shard.LocationKey
}

// InsertForm is how an INSERT treats a row whose unique key another row
// holds.
type InsertForm uint8

// The forms of INSERT.
const (
	InsertPlain   InsertForm = iota // refuses it (1062)
	InsertIgnore                    // INSERT IGNORE: skips it
	InsertReplace                   // REPLACE: deletes the other row
	InsertUpsert                    // ON DUPLICATE KEY UPDATE: updates the other row
)

// OneRowDuplicates is the Duplicates count one server's info line gives
// a row of an INSERT of this form that affected rows: an ignored row
// affects none, a REPLACE affects one more than the rows it deleted, an
// upsert that updated a row affects 2 (MariaDB counts the rows it
// changed, not those it left as they were).
func (f InsertForm) OneRowDuplicates(affected uint64) uint64 {
	switch {
	case f == InsertIgnore && affected == 0:
		return 1
	case f == InsertReplace && affected > 1:
		return affected - 1
	case f == InsertUpsert && affected == 2:
		return 1
	}
	return 0
}

// withInsertColumns gives an INSERT or REPLACE ... VALUES into a sharded
// table that names no columns the table's columns, as last read from the
// shards (without INVISIBLE ones, as the server reads such an INSERT):
// Strata plans a write by the columns its values are for. facts is nil
// where sql is no such statement or the columns are not known (the
// statement is then refused, naming why).
func (s *Sharding) withInsertColumns(ctx context.Context, m sqlparse.Mode, sql string, f *sqlparse.Facts) (string, *sqlparse.Facts) {
	if f.Kind != sqlparse.KindInsert && f.Kind != sqlparse.KindReplace || f.Fallback {
		return sql, nil
	}
	ref, at, ok := m.InsertWithoutColumns(sql)
	if !ok {
		return sql, nil
	}
	if t := s.Layout().Table(ref.Name); t == nil || t.Placement != shard.PlaceSharded {
		return sql, nil
	}
	name := ref.Name
	if ref.Schema != "" {
		name = ref.Schema + "." + name // another schema's table is not known
	}
	columns := s.ColumnOrder(name)
	if columns == nil && s.ReadColumns != nil {
		// Not read yet (Strata just started, or the table was created
		// on the servers since the last read): read now.
		s.readColumnsNow(ctx)
		columns = s.ColumnOrder(name)
	}
	if columns == nil {
		return sql, nil
	}
	alt := sqlparse.WithColumns(sql, at, columns)
	facts, err := m.Parse(alt)
	if err != nil || len(facts) != 1 {
		return sql, nil
	}
	return alt, facts[0]
}

// WithInsertColumns is sql, an INSERT or REPLACE, with the column list
// withInsertColumns gives it where it names none; sql itself otherwise.
func (s *Sharding) WithInsertColumns(ctx context.Context, m sqlparse.Mode, sql string, f *sqlparse.Facts) string {
	alt, _ := s.withInsertColumns(ctx, m, sql, f)
	return alt
}

// inMariaDBForm writes back, in the routes of a plan made from a
// statement's MySQLForm, what only MariaDB's grammar says (CAST(x AS
// UUID)) where a route kept the planned text as it was.
func (p *ShardPlan) inMariaDBForm(m sqlparse.Mode) {
	for i := range p.Routes {
		r := &p.Routes[i]
		written := m.MariaDBForm(r.SQL)
		if r.LimitEnd > 0 { // the LIMIT ends the statement, after any CAST
			r.LimitEnd += len(written) - len(r.SQL)
		}
		r.SQL, r.Template, r.Candidates = written, m.MariaDBForm(r.Template), m.MariaDBForm(r.Candidates)
	}
}

// SumsFoundRows reports whether the plan is a merge of SELECT
// SQL_CALC_FOUND_ROWS, whose FOUND_ROWS() is the sum of the routes' own.
func (p *ShardPlan) SumsFoundRows() bool {
	return p.Kind == PlanMerge && p.Select != nil && p.Select.FoundRows
}

// Clusters lists the distinct clusters of the plan's routes, in order.
func (p *ShardPlan) Clusters() []string {
	var out []string
	for _, r := range p.Routes {
		if !slices.Contains(out, r.Cluster) {
			out = append(out, r.Cluster)
		}
	}
	return out
}

// RoutingError is a statement Strata refuses because it cannot route it
// correctly; the session sends it as ER_NOT_SUPPORTED_YET.
type RoutingError struct{ Msg string }

func (e *RoutingError) Error() string { return e.Msg }

func refuse(format string, args ...any) error {
	return &RoutingError{Msg: fmt.Sprintf(format, args...)}
}

// Plan decides how the statement sql, with facts f, runs. m is how the
// session's sql_mode reads sql (the zero Mode: as the default does); the
// shard queries are rendered for that reading too. args are the bound
// values of a prepared statement as SQL literals (nil for text queries).
func (s *Sharding) Plan(ctx context.Context, m sqlparse.Mode, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	p, err := s.planStatement(ctx, m, sql, f, args)
	if p != nil && sqlparse.HasFormCalls(sql) {
		p.inMariaDBForm(m) // planned from a MySQLForm: its CASTs go back
	}
	return p, err
}

// planStatement is Plan.
func (s *Sharding) planStatement(ctx context.Context, m sqlparse.Mode, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	if err := s.refusedTable(f); err != nil {
		return nil, err
	}
	if f.Fallback {
		// MariaDB's CAST(x AS INT), OFFSET ... FETCH: planned from
		// MySQL's words for the same statement.
		if alt, facts := m.ParseMySQLForm(sql); facts != nil {
			return s.Plan(ctx, m, alt, facts, args)
		}
		if p := s.planStandIn(ctx, m, sql, args); p != nil {
			return p, nil
		}
	}
	s.learnWritten(ctx, f)
	if alt, facts := s.withInsertColumns(ctx, m, sql, f); facts != nil {
		return s.Plan(ctx, m, alt, facts, args)
	}
	if assignments, stmt, ok := m.SplitSetStatement(sql); ok && !f.Fallback {
		return s.planSetStatement(ctx, m, assignments, stmt, f, args)
	}
	p, err := s.plan(ctx, m, sql, f, args)
	if p == nil {
		return nil, err
	}
	if f.CalcFoundRows && len(p.Routes) > 1 && (!p.SumsFoundRows() || !p.Select.FoundRowsSummable()) {
		// FOUND_ROWS() after a merge is the sum of the shards' counts
		// (the session adds them up); where groups or DISTINCT fold rows
		// of several shards into one, no sum of theirs is the total, so
		// refuse rather than answer a wrong one.
		return nil, refuse("SQL_CALC_FOUND_ROWS over %d shard queries is not supported with GROUP BY, DISTINCT or aggregates across shards: FOUND_ROWS() cannot be the sum of the shards' counts. Count the total with SELECT COUNT(*) and the same WHERE, or give the shard key", len(p.Routes))
	}
	if f.SetsUserVars && len(p.Routes) > 1 {
		// Each shard would assign its own variables, from its own rows
		// (a running @rank := @rank + 1 restarts on each), on a
		// connection that goes back to its pool. The session reads the
		// rows first and runs the statement on one server instead
		// (session.materialize); this refusal stands where it cannot.
		return nil, refuse("this statement assigns user variables (@x := ...) and runs on %d shard queries: each shard would assign its own from its rows alone. Assign them in a statement on one shard (give the shard key), or read the values and assign them with SET", len(p.Routes))
	}
	if f.SetsInsertID && len(p.Routes) > 1 {
		// One server's LAST_INSERT_ID() after it is the value of the last
		// row's LAST_INSERT_ID(expr); each shard would keep its own last,
		// and Strata cannot tell which row came last among them.
		return nil, refuse("this statement sets LAST_INSERT_ID(expr) and runs on %d shard queries: each shard would keep its own value, so LAST_INSERT_ID() after it would be one shard's, not the last row's. Write one row (or the rows of one shard key) per statement", len(p.Routes))
	}
	p.Args = args
	p.Charset = m.Charset()
	if (p.Kind == PlanWrite || p.Kind == PlanLoad) && len(p.Routes) > 1 {
		p.Clock = fillsClock(s.Layout(), f)
	}
	return p, err
}

// fillsClock reports whether a write fills a column of a table it writes
// with the statement's time (Table.ClockColumns).
func fillsClock(l *shard.Layout, f *sqlparse.Facts) bool {
	for _, ref := range f.WriteTables {
		if t := l.Table(ref.Name); t != nil && t.ClockColumns {
			return true
		}
	}
	return false
}

// statementVarsReadByStrata are variables that change how Strata reads a
// statement or merges its answer, which it reads from the session: set
// for one statement alone (SET STATEMENT ... FOR) over shards, the
// shards would follow them and Strata would not.
var statementVarsReadByStrata = map[string]bool{
	"sql_mode": true, "sql_select_limit": true, "character_set_results": true,
	"collation_connection": true, "character_set_connection": true, "character_set_client": true,
	"names": true, "character set": true,
}

// CheckStatementVars refuses the assignments of a SET STATEMENT ... FOR
// over placed tables that Strata cannot read or that change how it reads
// the statement (statementVarsReadByStrata).
func CheckStatementVars(m sqlparse.Mode, assignments string) error {
	set, err := m.Classify("SET " + assignments)
	if err != nil || len(set.SessionVars) == 0 {
		return refuse("Strata cannot read the variables of this SET STATEMENT ... FOR over sharded tables: set them with SET SESSION before the statement")
	}
	for _, v := range set.SessionVars {
		if statementVarsReadByStrata[v.Name] {
			return refuse("SET STATEMENT %s = ... FOR a statement over sharded tables is not supported: Strata reads the statement and merges its answer by the session's %s, which the shards alone would not follow. Set it with SET SESSION before the statement (and back after)", v.Name, v.Name)
		}
	}
	return nil
}

// planSetStatement plans MariaDB's SET STATEMENT var=value[, ...] FOR
// stmt over shards (the parser reads only stmt): stmt's plan, with every
// shard's statement given the same variables for itself (a
// max_statement_time bounds each shard's part, as it bounds the whole on
// one server).
func (s *Sharding) planSetStatement(ctx context.Context, m sqlparse.Mode, assignments, stmt string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	if err := CheckStatementVars(m, assignments); err != nil {
		return nil, err
	}
	switch f.Kind {
	case sqlparse.KindSelect, sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindReplace:
	default:
		return nil, refuse("SET STATEMENT ... FOR this kind of statement over sharded tables is not supported: set the variables with SET SESSION before it")
	}
	if set, err := m.Classify("SET " + assignments); err == nil {
		for _, v := range set.SessionVars {
			if v.Name == "time_zone" && !v.Dynamic {
				// The statement's TIMESTAMP literals are read in it
				// (Sharding.FromZone), DEFAULT in the servers' own.
				m = m.WithZone(v.Zone())
			}
		}
	}
	inner := *f
	inner.Text = stmt
	p, err := s.Plan(ctx, m, stmt, &inner, args)
	if p == nil {
		return nil, err
	}
	for i := range p.Routes {
		r := &p.Routes[i]
		r.SQL = sqlparse.SetStatementFor(assignments, r.SQL)
		if r.Template != "" { // prepared on one shard: with them too
			r.Template = sqlparse.SetStatementFor(assignments, r.Template)
		}
	}
	return p, err
}

func (s *Sharding) plan(ctx context.Context, m sqlparse.Mode, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	l := s.layout.Load()
	if f.Fallback {
		return planUnparsed(l, m, sql, f, args)
	}
	if f.Returning != "" {
		return s.planReturning(ctx, m, sql, f, args)
	}
	pt := placeTables(l, f)
	sharded, reference, other, unplaced := pt.sharded, pt.reference, pt.other, pt.unplaced
	if f.Kind == sqlparse.KindLoadData && len(sharded)+len(reference) > 0 {
		return s.planLoad(ctx, l, m, sql, f, append(sharded, reference...)[0])
	}
	if len(sharded)+len(reference) > 0 {
		if err := refuseUnsplittable(f, append(sharded, reference...)[0]); err != nil {
			return nil, err
		}
	}
	if f.Kind == sqlparse.KindDDL {
		if err := refuseDDLApartIf(l, f, slices.Concat(sharded, reference, other), unplaced); err != nil {
			return nil, err
		}
		if err := refuseKeyColumnChange(m, sql, sharded); err != nil {
			return nil, err
		}
	}
	switch {
	case len(sharded) > 0:
		if len(other) > 0 || len(unplaced) > 0 {
			return nil, refuse("sharded table %s cannot be joined with %s, which lives on one cluster, in this statement"+apartHint(f.Kind)+". Or make %[2]s a reference table (a copy on every shard)", sharded[0].Name, firstName(other, unplaced))
		}
		return s.planSharded(ctx, l, m, sql, f, args)
	case len(reference) > 0:
		if len(other) > 0 || len(unplaced) > 0 {
			return nil, refuse("reference table %s lives on the shard clusters and %s does not; Strata cannot join them in this statement"+apartHint(f.Kind), reference[0].Name, firstName(other, unplaced))
		}
		return s.planReferenceOnly(l, m, sql, f, args, reference[0])
	}
	if len(other) == 0 && l.DefaultCluster() != "" {
		// No placed table: a statement Strata rewrote (its subqueries
		// over shards replaced by their rows) runs where unlisted tables
		// live.
		return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: l.DefaultCluster(), SQL: sql, Template: templateIf(args, sql)}}, Write: !f.ReadOnly,
			Reason: "no placed table: the default cluster " + l.DefaultCluster() + " runs it"}, nil
	}
	if len(pt.clusters) > 1 || (len(unplaced) > 0 && !pt.clusters[l.DefaultCluster()]) {
		return nil, refuse("the tables of this statement live on different clusters (%s); Strata cannot run this statement across clusters"+apartHint(f.Kind), describeClusters(l, f))
	}
	return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: other[0].Cluster, SQL: sql, Template: templateIf(args, sql)}}, Write: !f.ReadOnly,
		Reason: "table group: " + other[0].Name + " lives on cluster " + other[0].Cluster}, nil
}

// placedTables sorts a statement's tables by where they live.
type placedTables struct {
	sharded, reference, other []*shard.Table
	unplaced                  []string        // tables the layout does not list
	clusters                  map[string]bool // the clusters of the other tables
}

func placeTables(l *shard.Layout, f *sqlparse.Facts) placedTables {
	pt := placedTables{clusters: map[string]bool{}}
	for _, ref := range f.Tables {
		t := l.Table(ref.Name)
		switch {
		case t == nil:
			pt.unplaced = append(pt.unplaced, ref.Name)
		case t.Placement == shard.PlaceSharded:
			pt.sharded = append(pt.sharded, t)
		case t.Placement == shard.PlaceReference:
			pt.reference = append(pt.reference, t)
		default:
			pt.clusters[t.Cluster] = true
			pt.other = append(pt.other, t)
		}
	}
	return pt
}

// planReferenceOnly plans a statement whose placed tables are all
// reference tables (a copy on every shard cluster): a read goes to one
// copy, a write to every copy.
func (s *Sharding) planReferenceOnly(l *shard.Layout, m sqlparse.Mode, sql string, f *sqlparse.Facts, args []string, first *shard.Table) (*ShardPlan, error) {
	p := planReference(l, sql, f)
	if err := s.refuseUnorderedLimit(l, m, sql, f, p); err != nil {
		return nil, err
	}
	if p.Kind == PlanWrite && f.Volatile != "" && !f.ImplicitCommit {
		// Each copy's server would compute its own value, and the
		// copies would differ from then on (MariaDB's statement-based
		// replication calls such a statement unsafe for the same
		// reason).
		return nil, refuse("%s in a write of reference table %s would give each of its copies (one per shard cluster) a value of its own, and the copies would differ: compute the value first (SELECT %[1]s) and write it as a constant", f.Volatile, first.Name)
	}
	if p.Kind == PlanRelay {
		p.Routes[0].Template = templateIf(args, sql)
		return p, nil
	}
	if args != nil {
		// A prepared write: every copy runs it as text, with the
		// client's values in place of its placeholders.
		text, n := m.BindPlaceholders(sql, args)
		if n != len(args) {
			return nil, fmt.Errorf("the write to reference table %s has %d placeholders for %d values", first.Name, n, len(args))
		}
		for i := range p.Routes {
			p.Routes[i].SQL = text
		}
	}
	return p, nil
}

// apartHint ends the refusals of joins of tables that live apart: Strata
// answers most such joins by reading each table's rows first
// (session.materialize; for a write, the tables it only reads:
// session.deriveApart), but not this one.
func apartHint(k sqlparse.Kind) string {
	if k == sqlparse.KindUpdate || k == sqlparse.KindDelete {
		return ". An UPDATE or DELETE runs when the tables it writes live together and every column a multi-table one sets names its table (SET e.score = ...): Strata then reads the rows of the tables it only reads first (not those read in a UNION or a derived table inside a subquery)"
	}
	return ". Otherwise Strata reads each table's rows first and joins them on one server, but not for locking reads, or tables also read in a subquery"
}

func firstName(ts []*shard.Table, names []string) string {
	if len(ts) > 0 {
		return ts[0].Name
	}
	return names[0]
}

func describeClusters(l *shard.Layout, f *sqlparse.Facts) string {
	var parts []string
	for _, ref := range f.Tables {
		cl := l.DefaultCluster()
		if t := l.Table(ref.Name); t != nil {
			cl = t.Cluster
		}
		parts = append(parts, ref.Name+" on "+cl)
	}
	return strings.Join(parts, ", ")
}

// planReference: reads of reference tables run on one shard cluster (every
// one holds a copy); writes run on all of them.
func planReference(l *shard.Layout, sql string, f *sqlparse.Facts) *ShardPlan {
	clusters := l.ShardClusters()
	if f.ReadOnly {
		return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: clusters[0], SQL: sql}}, Reason: "reference table: any shard holds a copy"}
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, Copies: true, SchemaChange: f.ImplicitCommit, Reason: "reference table: the write goes to every shard cluster"}
	for _, c := range clusters {
		p.Routes = append(p.Routes, ShardRoute{Cluster: c, SQL: sql})
	}
	return p
}

// refuseUnorderedLimit refuses an UPDATE or DELETE with LIMIT and no
// ORDER BY on the copies of a reference table: each copy's server picks
// its own rows, which need not be the others', and the copies would
// differ from then on (MariaDB's statement-based replication calls such
// a statement unsafe for the same reason).
func (s *Sharding) refuseUnorderedLimit(l *shard.Layout, m sqlparse.Mode, sql string, f *sqlparse.Facts, p *ShardPlan) error {
	if !p.Copies || (f.Kind != sqlparse.KindUpdate && f.Kind != sqlparse.KindDelete) {
		return nil
	}
	a, err := s.analysis(l, m, sql, f)
	if err != nil {
		return nil // the server judges what Strata could not analyze
	}
	if wl := a.stmt.WriteLimit; (wl.Count >= 0 || wl.Param > 0) && len(wl.Order) == 0 {
		return refuse("%s with LIMIT and no ORDER BY on reference table %s: each shard's copy could pick other rows, and the copies would differ. Add ORDER BY its primary key", strings.ToUpper(f.Kind.String()), firstTable(f))
	}
	return nil
}

func firstTable(f *sqlparse.Facts) string {
	if len(f.Tables) > 0 {
		return f.Tables[0].Name
	}
	return "?"
}

// maxAnalyses bounds the analysis cache (it starts over past it).
const maxAnalyses = 10000

// analysis is the analysis of sql, whose facts are f, as m reads it, with
// its render cache. Analyses of the default reading are cached per text;
// the few sessions whose sql_mode reads text otherwise
// (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) are analyzed per statement, as
// their facts are parsed per statement. A long text with its values
// written in (a bulk INSERT) is not cached either: such texts rarely come
// twice, and each analysis holds the parsed tree, many times the text's
// size, so a bulk load would fill memory with them. A long text with
// placeholders is a prepared statement's, run again and again.
func (s *Sharding) analysis(l *shard.Layout, m sqlparse.Mode, sql string, f *sqlparse.Facts) (*analyzed, error) {
	shared := m.ReadsAsDefault()
	if shared {
		m = sqlparse.Mode{} // one analysis per text, whichever such mode asked first
		if v, ok := s.stmts.Load(sql); ok {
			a := v.(*analyzed)
			return a, a.err
		}
	}
	st, err := m.AnalyzeShardOf(sql, f, func(t sqlparse.TableRef) (string, bool) {
		tb := l.Table(t.Name)
		if tb == nil || tb.Placement != shard.PlaceSharded {
			return "", false
		}
		return strings.ToLower(tb.Method.Key()), true
	})
	a := &analyzed{stmt: st, err: err}
	if !shared || (len(sql) > maxCachedText && (st == nil || st.Params == 0)) {
		return a, err
	}
	if s.n.Add(1) > maxAnalyses {
		s.stmts.Clear()
		s.n.Store(0)
	}
	s.stmts.Store(sql, a)
	return a, err
}

// render renders rw, remembering the text for statements without bound
// values: the same statement text and target always render the same, and
// a walk over dozens of period tables would otherwise render every one
// on every execution.
func (a *analyzed) render(rw sqlparse.Rewrite, tg target) (string, error) {
	if rw.Args != nil {
		return a.stmt.Render(rw)
	}
	key := tg.key(rw.Scatter)
	if v, ok := a.renders.Load(key); ok {
		return v.(string), nil
	}
	out, err := a.stmt.Render(rw)
	if err == nil {
		a.renders.Store(key, out)
	}
	return out, err
}

func (s *Sharding) planSharded(ctx context.Context, l *shard.Layout, m sqlparse.Mode, sql string, f *sqlparse.Facts, args []string) (*ShardPlan, error) {
	a, err := s.analysis(l, m, sql, f)
	st := a.stmt
	if err != nil {
		return nil, err
	}
	if st.Unsupported != "" {
		return nil, refuse("%s", st.Unsupported)
	}
	if st.Params > 0 && len(args) < st.Params {
		return nil, refuse("the statement has %d placeholders but %d values were bound", st.Params, len(args))
	}
	if m.EmptyStringIsNull() {
		args = emptyArgsAsNull(args)
	}
	lead, err := s.checkCoSharded(l, st)
	if err != nil {
		return nil, err
	}
	if err := refuseKeyRewritingUpdate(l, st, f); err != nil {
		return nil, err
	}
	switch st.Kind {
	case sqlparse.KindInsert, sqlparse.KindReplace:
		return s.planInsert(ctx, l, st, lead, args, m)
	case sqlparse.KindSelect, sqlparse.KindUpdate, sqlparse.KindDelete:
	default:
		p, err := s.planBroadcast(ctx, l, m, st, sql, f)
		if err == nil && p.Kind == PlanRelay {
			p.Routes[0].Template = templateIf(args, sql)
		}
		return p, err
	}
	u := st.Uses[lead]
	t := l.Table(u.Ref.Name)
	targets, reason, unkeyed, err := s.targets(ctx, t, u.Filter, args, m)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		// No shard can hold a matching row (key = NULL, or no lookup
		// entry): one shard still answers, with the right empty result.
		targets = s.emptyTarget(t)
		reason += "; no shard holds matching rows, one shard answers the empty result"
	} else if t.ScatterDeny && unkeyed {
		return nil, refuse("table %s is sharded by %s and refuses scatter queries (scatter: deny); this %s has no condition on %s", t.Name, t.Method.Key(), strings.ToUpper(st.Kind.String()), t.Method.Key())
	}
	if st.FullText != "" && len(targets) > 1 {
		return nil, refuse("this %s over %s runs on %d shards, and %s: merged, the rows would match or rank otherwise than on one server. Give the shard key, so that one shard answers, or filter with MATCH ... AGAINST (... IN BOOLEAN MODE) and sort by columns", strings.ToUpper(st.Kind.String()), t.Name, len(targets), st.FullText)
	}
	if f.SeededRand && len(targets) > 1 {
		// (A SELECT is then answered from the table's rows, read first
		// in the order one server reads them: session.materialize.)
		return nil, refuse("RAND(n) with a seed gives one sequence of values over the rows of a statement, in the order one server reads them, and this %s over %s runs as %d shard queries, each of which would start the sequence again. Give the shard key, so that one shard runs it, or compute the values first and write them as constants", strings.ToUpper(st.Kind.String()), t.Name, len(targets))
	}
	var p *ShardPlan
	if st.Kind != sqlparse.KindSelect {
		p, err = s.planModify(ctx, st, lead, t, targets, reason, args, m.Charset())
	} else {
		p, err = s.planSelect(a, lead, t, targets, reason, args)
	}
	if err == nil && unkeyed && len(targets) > 1 && len(st.Uses) == 1 {
		p.Locate = rowLocation(t, u, args, m.Charset())
		if p.Locate == nil {
			p.LocateEach = rowLocations(t, u, args, m.Charset())
		}
		if len(p.LocateEach) == 1 {
			p.Locate, p.LocateEach = &p.LocateEach[0], nil // col IN (v) is col = v
		}
	}
	return p, err
}

// checkCoSharded returns the index of the first sharded use and checks
// that every other sharded use is joined to it on the shard key and
// sharded the same way, so each shard can run the join alone.
func (s *Sharding) checkCoSharded(l *shard.Layout, st *sqlparse.ShardStmt) (int, error) {
	var idx []int
	for i, u := range st.Uses {
		if t := l.Table(u.Ref.Name); t != nil && t.Placement == shard.PlaceSharded {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return 0, refuse("no sharded table found in the statement")
	}
	// The lead routes the statement: a top-level table, whose filters are
	// the statement's, before one read in a subquery.
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(boolInt(st.Uses[a].Nested), boolInt(st.Uses[b].Nested))
	})
	lead := idx[0]
	if len(idx) == 1 {
		return lead, nil
	}
	joined := map[int]int{}
	for i := range st.Uses {
		joined[i] = i
	}
	find := func(i int) int {
		for joined[i] != i {
			i = joined[i]
		}
		return i
	}
	for _, kj := range st.KeyJoins {
		joined[find(kj[0])] = find(kj[1])
	}
	a := l.Table(st.Uses[lead].Ref.Name)
	for _, i := range idx[1:] {
		b := l.Table(st.Uses[i].Ref.Name)
		if find(i) != find(lead) {
			return 0, refuse("tables %s and %s are sharded; Strata joins them on the shards only on their shard keys (%s.%s = %s.%s)"+apartHint(st.Kind), a.Name, b.Name, a.Name, a.Method.Key(), b.Name, b.Method.Key())
		}
		if !sameSharding(a.Method, b.Method) {
			return 0, refuse("tables %s and %s are not sharded the same way (%s over %v, %s over %v); their rows with equal keys may live on different shards", a.Name, b.Name, a.Method.Name(), a.Method.Shards(), b.Method.Name(), b.Method.Shards())
		}
	}
	return lead, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SameSharding reports whether two methods place every key on the same
// shard, so tables placed by them join on the key on each shard alone
// (and must move together).
func SameSharding(a, b shard.Method) bool { return sameSharding(a, b) }

// sameSharding reports whether two methods place every key on the same
// shard: same method, same shards, and the same answer for sample keys.
func sameSharding(a, b shard.Method) bool {
	ma, movingA := a.(*shard.Moving)
	mb, movingB := b.(*shard.Moving)
	switch {
	case movingA && movingB:
		// Tables that move together (shard.Moving.With) change shards
		// key by key at the same moment.
		return ma.SameMove(mb) && sameSharding(ma.From, mb.From) && sameSharding(ma.To, mb.To)
	case movingA || movingB:
		// A moving table's keys change shards batch by batch; another
		// table's rows of the same keys do not follow them.
		return false
	}
	if a.Name() != b.Name() || !slices.Equal(a.Shards(), b.Shards()) {
		return false
	}
	if _, ok := a.(shard.Periodic); ok {
		return false // period tables of different tables cannot be joined pairwise
	}
	if a.Name() == shard.MethodLookup {
		return false
	}
	for i := int64(-1000); i <= 5000; i += 37 {
		for _, v := range []shard.Value{shard.Int(i), shard.String(fmt.Sprint(i))} {
			x, errA := a.ShardFor(v)
			y, errB := b.ShardFor(v)
			if (errA == nil) != (errB == nil) || x != y {
				return false
			}
		}
	}
	return true
}

func (s *Sharding) planSelect(a *analyzed, lead int, t *shard.Table, targets []target, reason string, args []string) (*ShardPlan, error) {
	st := a.stmt
	if len(targets) == 1 {
		sql, err := a.render(rewrite(st, lead, t, targets[0], args, true), targets[0])
		if err != nil {
			return nil, err
		}
		route := ShardRoute{Cluster: targets[0].shard, SQL: sql, Tables: tableList(t, targets[0])}
		if route.Template, err = template(st, lead, t, targets[0], args); err != nil {
			return nil, err
		}
		return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{route}, Reason: reason + "; one shard: relayed"}, nil
	}
	if st.Select == nil {
		return nil, refuse("Strata cannot merge this SELECT on %s from several shards; add a condition on %s", t.Name, t.Method.Key())
	}
	p := &ShardPlan{Kind: PlanMerge, Select: st.Select, Reason: reason}
	if walkable(st.Select, t) {
		p.Walk = true
		targets = s.inKeyOrder(t, targets)
		if st.Select.OrderBy[0].Desc {
			targets = slices.Clone(targets) // may be the cached list of all targets
			slices.Reverse(targets)
		}
		p.Reason += "; ordered walk: reads shards in " + t.Method.Key() + " order and stops at the LIMIT"
	}
	for _, tg := range targets {
		rw := rewrite(st, lead, t, tg, args, true)
		rw.Scatter = true
		sql, err := a.render(rw, tg)
		if err != nil {
			return nil, err
		}
		p.Routes = append(p.Routes, ShardRoute{Cluster: tg.shard, SQL: sql, Tables: tableList(t, tg)})
	}
	return p, nil
}

// walkable: ORDER BY starts with the shard key of an ordered method, with
// a LIMIT, without grouping: each shard's (or period table's) rows are a
// contiguous key range, so reading them in key order yields sorted rows
// and the walk can stop at the limit. Not with SQL_CALC_FOUND_ROWS, which
// needs every shard's count.
func walkable(sel *sqlparse.ScatterSelect, t *shard.Table) bool {
	if sel.Aggregated || sel.Distinct || sel.FoundRows || sel.Limit < 0 && sel.LimitParam == 0 || len(sel.OrderBy) == 0 || !inServerOrder(t) {
		return false
	}
	return strings.EqualFold(sel.OrderBy[0].Column, t.Method.Key())
}

// inServerOrder reports whether t's shards hold contiguous runs of its
// key in the order the server compares the key column by, so a range of
// keys can be narrowed to shards and shards walked in key order. A
// key_range table compares keys by their bytes unless it names the
// column's collation (key_collation); by bytes, that is the server's
// order only for a _bin or binary column: under a _ci one 'Nancy' sorts
// among the n's but is stored below "g" with the capitals, so a range or
// an ordered LIMIT narrowed by bytes would miss or misorder rows. Such a
// table, or one whose key collation is not learned yet, scatters instead.
func inServerOrder(t *shard.Table) bool {
	if !t.Method.Ordered() {
		return false
	}
	kr, ok := t.Method.(*shard.KeyRange)
	if !ok {
		return true // integer and date keys
	}
	if kr.Collated() {
		return t.KeyCollation == "" || strings.EqualFold(t.KeyCollation, t.PlacedBy)
	}
	c := strings.ToLower(t.KeyCollation)
	return t.KeyType == shard.KeyTypeText && (c == "binary" || strings.HasSuffix(c, "_bin"))
}

// HoldsAll reports whether cluster holds every table f names (its own
// copy of a sharded one, a reference copy, a table group's): whether a
// PREPARE there can describe the statement.
func (s *Sharding) HoldsAll(cluster string, f *sqlparse.Facts) bool {
	l := s.layout.Load()
	for _, ref := range f.Tables {
		t := l.Table(ref.Name)
		switch {
		case t == nil:
			switch strings.ToLower(ref.Schema) {
			case "information_schema", "mysql", "performance_schema", "sys":
				continue // on every server
			}
			if cluster != l.DefaultCluster() {
				return false
			}
		case t.Placement == shard.PlaceSharded:
			if !slices.Contains(t.Method.Shards(), cluster) {
				return false
			}
		case t.Placement == shard.PlaceReference:
			if !slices.Contains(l.ShardClusters(), cluster) {
				return false
			}
		default:
			if t.Cluster != cluster {
				return false
			}
		}
	}
	return true
}

// MetadataCluster is a cluster that holds every placed table of f, for
// preparing a statement there to learn its parameters and columns (where
// one does: HoldsAll).
func (s *Sharding) MetadataCluster(f *sqlparse.Facts) string {
	l := s.layout.Load()
	for _, ref := range f.Tables {
		t := l.Table(ref.Name)
		switch {
		case t == nil:
		case t.Placement == shard.PlaceSharded:
			return t.Method.Shards()[0]
		case t.Placement == shard.PlaceReference:
			return l.ShardClusters()[0]
		default:
			return t.Cluster
		}
	}
	return ""
}

// emptyArgsAsNull gives bound values as a session under MariaDB's
// EMPTY_STRING_IS_NULL has the server read them: an empty string is NULL
// (a key Strata then places nowhere, a NULL in a row of several). The
// literals of the statement's text are read so when it is analyzed.
func emptyArgsAsNull(args []string) []string {
	var out []string
	for i, a := range args {
		if !sqlparse.EmptyStringLiteral(a) {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = "NULL"
	}
	if out == nil {
		return args
	}
	return out
}
