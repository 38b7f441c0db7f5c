package planner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// refuseUnsplittable refuses statements on sharded or reference tables
// that Strata cannot divide between shards or repeat on each: running them
// on one shard would put rows or locks in the wrong place.
func refuseUnsplittable(f *sqlparse.Facts, t *shard.Table) error {
	switch f.Kind {
	case sqlparse.KindLockTables:
		return refuse("LOCK TABLES on %s: the table lives on several shards and Strata cannot lock them together (for a backup through Strata: mariadb-dump --single-transaction; to restore a dump through Strata, make it with --skip-add-locks, or take its LOCK TABLES and UNLOCK TABLES lines out)", t.Name)
	case sqlparse.KindFlush:
		if f.Locking {
			return refuse("FLUSH TABLES %s WITH READ LOCK (or FOR EXPORT): the table lives on several shards and Strata cannot lock them together (for a backup through Strata: mariadb-dump --single-transaction; to copy table files, lock each shard's table on the shard)", t.Name)
		}
	case sqlparse.KindGrant:
		return refuse("GRANT or REVOKE on %s, a %s table: privileges live on each server the table is on, and Strata's own users are its config's (users:, with a reload). Grant on each of its servers directly", t.Name, t.Placement)
	case sqlparse.KindCall, sqlparse.KindPrepare, sqlparse.KindDo:
		return refuse("%s touching %s: Strata cannot route it by shard key; run it on the shards directly", strings.ToUpper(f.Kind.String()), t.Name)
	}
	return nil
}

// refuseKeyColumnChange refuses an ALTER TABLE that renames or drops the
// shard key column of one of tables: Strata places the rows by the column
// its config names, so rows written after it would be placed by a key
// they do not have (a missing column's default), and reads by the key
// would fail. So is a CREATE TABLE of one without that column.
func refuseKeyColumnChange(m sqlparse.Mode, sql string, tables []*shard.Table) error {
	for _, t := range tables {
		key := strings.ToLower(t.Method.Key())
		switch what := m.KeyColumnChange(sql, t.Name, key); what {
		case "":
		case "lacks":
			return refuse("%s is sharded by %s (shard_key: in its config), and this CREATE TABLE has no column %[2]s: Strata could place none of its rows. Give the table a column %[2]s, or change shard_key: in the config and reload Strata first", t.Name, key)
		default:
			return refuse("this ALTER TABLE %s %s, the shard key of %s: Strata places the table's rows by that column (shard_key: in its config), so rows written after it would be placed by a key they do not have. To rename the key column, stop writing to the table, run the ALTER on each of its shards directly, change shard_key: in the config and reload Strata; to shard by another column, copy the rows into a table sharded by it", what, key, t.Name)
		}
	}
	return nil
}

// refuseKeyRewritingUpdate refuses an UPDATE, or an INSERT ... ON
// DUPLICATE KEY UPDATE, of a sharded table whose key the server rewrites
// when it changes a row: a key column that is ON UPDATE
// CURRENT_TIMESTAMP (and that the statement does not assign itself), or
// one generated from other columns. The row would take a new key while
// it stays in the shard (or period table) of its old one, where reads of
// the new one never look.
func refuseKeyRewritingUpdate(l *shard.Layout, st *sqlparse.ShardStmt, f *sqlparse.Facts) error {
	if st.Kind != sqlparse.KindUpdate && len(st.Assigns) == 0 {
		return nil
	}
	for _, ref := range f.WriteTables {
		t := l.Table(ref.Name)
		if t == nil || t.Placement != shard.PlaceSharded || !t.KeyGenerated && (!t.KeyOnUpdateClock || st.SetsShardKey) {
			continue
		}
		key, where := strings.ToLower(t.Method.Key()), "shard"
		if _, ok := t.Method.(shard.Periodic); ok {
			where = "period table"
		}
		if t.KeyGenerated {
			return refuse("%s, the shard key of %s, is a generated column: the server computes it from other columns, so an UPDATE of this table could give a row a new %[1]s while the row stays in the %[3]s of its old one, where reads of the new %[1]s never look. Update the rows on their shards directly, or shard %[2]s by a column the statements give", key, t.Name, where)
		}
		return refuse("%s, the shard key of %s, is ON UPDATE CURRENT_TIMESTAMP: the server would give every row this statement changes a new %[1]s, the current time, while the row stays in the %[3]s of its old one, where reads of the new %[1]s never look. Drop the ON UPDATE from %[1]s (ALTER TABLE %[2]s MODIFY %[1]s with its type and default, without ON UPDATE CURRENT_TIMESTAMP), and keep the time of a change in a column of its own", key, t.Name, where)
	}
	return nil
}

func (s *Sharding) planModify(ctx context.Context, st *sqlparse.ShardStmt, lead int, t *shard.Table, targets []target, reason string, args []string, charset string) (*ShardPlan, error) {
	var dest string // the shard the matched rows move to; "" when they stay
	if st.SetsShardKey {
		var err error
		if dest, err = s.keyDestination(ctx, st, t, args, charset); err != nil {
			return nil, err
		}
		if len(targets) == 1 && targets[0].shard == dest {
			dest = "" // the new key belongs to the shard the rows are on
		}
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, Reason: reason}
	if st.HasLimit && len(targets) > 1 && dest == "" {
		var err error
		if targets, err = s.limitWalk(p, st, t, targets, args); err != nil {
			return nil, err
		}
	}
	if len(targets) == 1 && dest == "" {
		p.Kind = PlanRelay
	}
	for _, tg := range targets {
		sql, err := st.Render(rewrite(st, lead, t, tg, args, true))
		if err != nil {
			return nil, err
		}
		route := ShardRoute{Cluster: tg.shard, SQL: sql, Tables: tableList(t, tg)}
		if p.LimitWalk {
			if route.LimitEnd = limitEnd(sql, p.Limit); route.LimitEnd < 0 {
				return nil, refuse("Strata could not find the LIMIT of the %s it renders for shard %s", strings.ToUpper(st.Kind.String()), tg.shard)
			}
		}
		if p.TopOrder != nil {
			rw := rewrite(st, lead, t, tg, args, true)
			rw.Candidates = true
			if route.Candidates, err = st.Render(rw); err != nil {
				return nil, err
			}
		}
		p.Routes = append(p.Routes, route)
	}
	if dest != "" {
		p, err := s.planMove(p, st, lead, t, targets, dest, args)
		if err == nil {
			err = uniqueChecks(p, st, lead, t, args)
		}
		return p, err
	}
	if p.Kind == PlanRelay {
		var err error
		if p.Routes[0].Template, err = template(st, lead, t, targets[0], args); err != nil {
			return nil, err
		}
	}
	if err := uniqueChecks(p, st, lead, t, args); err != nil {
		return p, err
	}
	p.Updated = updatedValues(p, t, charset)
	return p, nil
}

// planBroadcast runs statements other than DML (DDL, SHOW, ...) on a
// sharded table: DDL on every shard, the rest on the first.
func (s *Sharding) planBroadcast(ctx context.Context, l *shard.Layout, m sqlparse.Mode, st *sqlparse.ShardStmt, sql string, f *sqlparse.Facts) (*ShardPlan, error) {
	t := l.Table(st.Uses[0].Ref.Name)
	if f.Kind == sqlparse.KindFlush && !f.Locking {
		return s.planFlush(ctx, t, st, sql)
	}
	if f.Kind != sqlparse.KindDDL {
		return &ShardPlan{Kind: PlanRelay, Routes: []ShardRoute{{Cluster: t.Method.Shards()[0], SQL: sql}}, Write: !f.ReadOnly,
			Reason: "statement about sharded table " + t.Name + ": answered by its first shard"}, nil
	}
	if d, ok := t.Method.(*shard.Date); ok {
		return s.planPeriodDDL(ctx, m, t, d, sql)
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, SchemaChange: true, Reason: "DDL on sharded table " + t.Name + ": runs on every shard"}
	for _, sh := range t.Method.Shards() {
		p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
	}
	return p, nil
}

// planFlush runs FLUSH TABLES of a sharded table on every copy of it,
// where each server keeps the table open: each shard's table, and for a
// date table its base table and every period table that exists.
func (s *Sharding) planFlush(ctx context.Context, t *shard.Table, st *sqlparse.ShardStmt, sql string) (*ShardPlan, error) {
	if len(st.Uses) > 1 {
		return nil, refuse("FLUSH TABLES of %s and other tables: Strata flushes a sharded table on each of its shards alone; flush the tables one by one", t.Name)
	}
	// It commits implicitly, so it runs copy after copy (SchemaChange).
	p := &ShardPlan{Kind: PlanWrite, Write: true, SchemaChange: true, Reason: "FLUSH TABLES of sharded table " + t.Name + ": on every copy"}
	for _, sh := range t.Method.Shards() {
		p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
	}
	d, ok := t.Method.(*shard.Date)
	if !ok {
		return p, nil
	}
	if s.TablesOn == nil {
		return nil, refuse("table %s keeps one table per period, and Strata cannot list them now", t.Name)
	}
	var periods []string
	for _, dt := range d.DateTables(shard.Bound{Kind: shard.Unbounded}, shard.Bound{Kind: shard.Unbounded}) {
		periods = append(periods, dt.Table)
	}
	for _, sh := range t.Method.Shards() {
		existing, err := s.TablesOn(ctx, sh, periods)
		if err != nil {
			return nil, fmt.Errorf("listing the period tables of %s on %s: %w", t.Name, sh, err)
		}
		for _, name := range existing {
			table := sqlparse.QuoteIdentifier(name)
			if schema := st.Uses[0].Ref.Schema; schema != "" {
				table = sqlparse.QuoteIdentifier(schema) + "." + table
			}
			p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: "FLUSH TABLES " + table, Tables: []string{name}})
		}
	}
	return p, nil
}

// planPeriodDDL runs a schema change of a date table on its base table
// (the template of the periods to come) and on each of its period tables
// that exists, on every shard, base tables first.
func (s *Sharding) planPeriodDDL(ctx context.Context, m sqlparse.Mode, t *shard.Table, d *shard.Date, sql string) (*ShardPlan, error) {
	ddl, err := m.ParseTableDDL(sql)
	switch {
	case err != nil:
		return nil, refuse("table %s keeps one table per period, so Strata runs a schema change of it on each: CREATE TABLE (not ... SELECT), DROP TABLE of it alone, ALTER TABLE (without RENAME TO), CREATE INDEX ... ON, DROP INDEX ... ON and TRUNCATE TABLE; not this statement (%v). Run it on each shard's tables by hand", t.Name, err)
	case !strings.EqualFold(ddl.Table, t.Name):
		return nil, refuse("Strata runs a schema change of date table %s on each of its period tables only when it names %s alone", t.Name, t.Name)
	case s.TablesOn == nil:
		return nil, refuse("table %s keeps one table per period, and Strata cannot list them now", t.Name)
	}
	all := d.DateTables(shard.Bound{Kind: shard.Unbounded}, shard.Bound{Kind: shard.Unbounded})
	p := &ShardPlan{Kind: PlanWrite, Write: true, SchemaChange: true, Reason: fmt.Sprintf("DDL on date table %s: its base table and each of its period tables, on every shard", t.Name)}
	if ddl.Creates {
		// The base table on every shard, then each period from since: to
		// the current one plus ahead: LIKE it, on the shard that owns it.
		for _, sh := range t.Method.Shards() {
			p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
		}
		for i := len(all) - 1; i >= 0; i-- {
			p.Routes = append(p.Routes, ShardRoute{Cluster: all[i].Shard, SQL: ddl.CreateLike(all[i].Table), Tables: []string{all[i].Table}})
		}
		return p, nil
	}
	var periods []string
	for _, dt := range all {
		periods = append(periods, dt.Table)
	}
	var tables []ShardRoute
	for _, sh := range t.Method.Shards() {
		existing, err := s.TablesOn(ctx, sh, periods)
		if err != nil {
			return nil, fmt.Errorf("listing the period tables of %s on %s: %w", t.Name, sh, err)
		}
		p.Routes = append(p.Routes, ShardRoute{Cluster: sh, SQL: sql, Tables: []string{t.Name}})
		for _, name := range existing {
			tables = append(tables, ShardRoute{Cluster: sh, SQL: ddl.For(name), Tables: []string{name}})
		}
	}
	if ddl.Drops {
		// The period tables first: a DROP that fails part-way leaves the
		// base table, so it can be run again.
		p.Routes = append(tables, p.Routes...)
		return p, nil
	}
	p.Routes = append(p.Routes, tables...)
	return p, nil
}

// planInsert routes each row of INSERT ... VALUES by its shard key,
// filling sequence ids first. m is the session's reading of sql: its
// character set, and whether its sql_mode numbers a 0 id.
func (s *Sharding) planInsert(ctx context.Context, l *shard.Layout, st *sqlparse.ShardStmt, lead int, args []string, m sqlparse.Mode) (*ShardPlan, error) {
	ins := st.Insert
	t := l.Table(st.Uses[lead].Ref.Name)
	if ins == nil {
		return nil, refuse("Strata routes INSERT into sharded table %s only from a VALUES list", t.Name)
	}
	if ins.OnDuplicateSetsKey {
		return nil, refuse("ON DUPLICATE KEY UPDATE changes %s, the shard key of %s; a row cannot move between shards", t.Method.Key(), t.Name)
	}
	if err := countValues(ins); err != nil {
		return nil, err
	}
	key := strings.ToLower(t.Method.Key())
	numbered := func(col string, o sqlparse.Operand) bool {
		return takesNextNumber(o, args, strings.EqualFold(col, t.AutoIncrement), m.NumbersZero())
	}
	seq, err := s.sequenceIDs(ctx, t, ins, numbered)
	if err != nil {
		return nil, err
	}
	if err := refuseLocalAutoIncrement(t, ins, numbered); err != nil {
		return nil, err
	}
	if err := refuseNumberedKey(t, ins, seq, numbered); err != nil {
		return nil, err
	}
	keys, routable, err := s.insertKeys(ctx, t, ins, seq, args, m)
	if err != nil {
		return nil, err
	}
	keyOf := func(row int) (shard.Value, bool) { return keys[row], routable[row] }
	groups, err := s.groupInsertRows(ctx, t, len(ins.Rows), keyOf)
	if err != nil {
		return nil, err
	}
	p := &ShardPlan{Kind: PlanWrite, Write: true, Reason: fmt.Sprintf("INSERT of %d rows routed by %s", len(ins.Rows), key),
		InsertRowCount: len(ins.Rows), InsertForm: insertForm(st)}
	if len(seq.ids) > 0 {
		p.InsertID = seq.first
		p.Reason += fmt.Sprintf("; %s filled from sequence %s", seq.column, t.Sequence.Name)
	} else if len(groups) == 1 {
		p.Kind = PlanRelay
		tmpl, err := template(st, lead, t, groups[0].tg, args)
		if err != nil {
			return nil, err
		}
		defer func() {
			if len(p.Routes) == 1 {
				p.Routes[0].Template = tmpl
			}
		}()
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].rows[0] < groups[j].rows[0] })
	for _, g := range groups {
		sql, err := st.Render(insertRewrite(st, lead, t, g, seq, args))
		if err != nil {
			return nil, err
		}
		p.Routes = append(p.Routes, ShardRoute{Cluster: g.tg.shard, SQL: sql, Tables: tableList(t, g.tg), InsertRows: g.rows})
	}
	if err := uniqueChecks(p, st, lead, t, args); err != nil {
		return p, err
	}
	p.Places = append(insertPlaces(p, t, m.Charset()), sequencePlaces(p, t, seq)...)
	return p, nil
}

// insertKeys is the shard key of each row of ins, in the zone of the
// servers: the id a sequence gives it, the value its key is stored with
// where the row gives none (keyStoredAlone), or the row's own; routable
// is false for a row whose key Strata cannot tell (an expression).
func (s *Sharding) insertKeys(ctx context.Context, t *shard.Table, ins *sqlparse.InsertRows, seq sequenceFill, args []string, m sqlparse.Mode) (keys []shard.Value, routable []bool, err error) {
	keys, routable = make([]shard.Value, len(ins.Rows)), make([]bool, len(ins.Rows))
	for row := range ins.Rows {
		if id, ok := seq.ids[row]; ok && strings.EqualFold(seq.column, t.Method.Key()) {
			keys[row], routable[row] = shard.Int(id), true
		} else if v, ok := keyStoredAlone(t, ins, row, args); ok {
			keys[row], routable[row] = v, true
		} else if ins.KeyCol >= 0 {
			keys[row], routable[row] = storedKey(ins.Rows[row][ins.KeyCol], args, t, m.Charset())
		}
		if routable[row] {
			if keys[row], err = s.inServersZone(ctx, t, keys[row], m); err != nil {
				return nil, nil, err
			}
		}
	}
	return keys, routable, nil
}

// insertRewrite is how the INSERT st is written for one shard's group of
// rows: those rows alone, with the ids a sequence gave them.
func insertRewrite(st *sqlparse.ShardStmt, lead int, t *shard.Table, g *insertGroup, seq sequenceFill, args []string) sqlparse.Rewrite {
	ins := st.Insert
	rw := rewrite(st, lead, t, g.tg, args, false)
	rw.Rows = g.rows
	rw.AsSelect = len(ins.Rows) > 1 && len(g.rows) == 1 && givesNull(ins.Rows[g.rows[0]], ins.Columns, args)
	switch {
	case seq.add:
		rw.AddColumn = seq.column
		for _, r := range g.rows {
			rw.AddValues = append(rw.AddValues, fmt.Sprint(seq.ids[r]))
		}
	case len(seq.ids) > 0:
		rw.FillCol, rw.Fill = seq.at, map[int]string{}
		for _, r := range g.rows {
			if id, ok := seq.ids[r]; ok {
				rw.Fill[r] = fmt.Sprint(id)
			}
		}
	}
	return rw
}

// insertForm is how the INSERT st treats a duplicate.
func insertForm(st *sqlparse.ShardStmt) InsertForm {
	switch {
	case st.Kind == sqlparse.KindReplace:
		return InsertReplace
	case len(st.Assigns) > 0:
		return InsertUpsert
	case st.Ignore:
		return InsertIgnore
	}
	return InsertPlain
}

// givesNull reports whether an INSERT row gives a column NULL, so that it
// goes as INSERT ... SELECT (sqlparse.Rewrite.AsSelect). A column the row
// gives DEFAULT is left out of the column list (which an INSERT into a
// sharded table always has); a DEFAULT(col) of another column cannot be,
// so such a row goes as written.
func givesNull(row []sqlparse.Operand, cols []string, args []string) bool {
	null := false
	for i, o := range row {
		if o.Default && o.DefaultOf != "" && (i >= len(cols) || o.DefaultOf != cols[i]) {
			return false
		}
		null = null || isNull(o, args)
	}
	return null
}

// countValues answers an INSERT whose row has more or fewer values than
// its column list names as MariaDB does (1136), before Strata reads a
// key or a unique: value from a place the row does not have.
func countValues(ins *sqlparse.InsertRows) error {
	for i, row := range ins.Rows {
		if len(ins.Columns) > 0 && len(row) != len(ins.Columns) {
			return wire.NewError(wire.ErWrongValueCount, "Column count doesn't match value count at row %d", i+1)
		}
	}
	return nil
}

// refuseLocalAutoIncrement refuses an INSERT that leaves t's
// AUTO_INCREMENT column to the shards (it omits the column or gives it a
// value the server numbers: takesNextNumber) where each shard numbers its
// own rows and a unique key without the shard key holds the column
// (Table.LocalAutoIncrement): two shards would hand out the same id,
// which one server never does.
func refuseLocalAutoIncrement(t *shard.Table, ins *sqlparse.InsertRows, numbered func(string, sqlparse.Operand) bool) error {
	col := strings.ToLower(t.LocalAutoIncrement)
	if col == "" || (t.Sequence != nil && strings.EqualFold(t.Sequence.Column, col)) {
		return nil
	}
	at := slices.Index(ins.Columns, col)
	leaves := at < 0
	for _, row := range ins.Rows {
		if at >= 0 && at < len(row) && numbered(col, row[at]) {
			leaves = true
		}
	}
	if !leaves {
		return nil
	}
	return refuse("INSERT into %[1]s leaves %[2]s to each shard's AUTO_INCREMENT, which numbers the rows of its shard alone: two shards would give the same %[2]s, which a unique key of %[1]s holds unique on one server. Configure a sequence for it (tables: %[1]s: sequence: {column: %[2]s, name: ...}, with sequences:), which hands out ids unique on every shard, or give %[2]s in the INSERT", t.Name, col)
}

// refuseNumberedKey refuses an INSERT row that gives t's shard key, its
// AUTO_INCREMENT column, a 0 the server numbers (NULL and DEFAULT are
// refused as keys Strata cannot route): Strata would place the row by 0
// and the shard would store it under its own next number, on a shard
// that does not own that key. A sequence on the column fills such rows
// (sequenceIDs) instead.
func refuseNumberedKey(t *shard.Table, ins *sqlparse.InsertRows, seq sequenceFill, numbered func(string, sqlparse.Operand) bool) error {
	key := t.Method.Key()
	if ins.KeyCol < 0 || !strings.EqualFold(t.AutoIncrement, key) {
		return nil
	}
	for i, row := range ins.Rows {
		if _, filled := seq.ids[i]; filled || ins.KeyCol >= len(row) || !numbered(key, row[ins.KeyCol]) {
			continue
		}
		return refuse("row %[3]d of the INSERT into %[1]s gives %[2]s, its shard key and AUTO_INCREMENT column, the value 0, which the server replaces with its next number: Strata would place the row by 0, on a shard that does not own the number it gets. Give %[2]s a number, configure a sequence for it (tables: %[1]s: sequence: {column: %[2]s, name: ...}), or set sql_mode NO_AUTO_VALUE_ON_ZERO to store 0 itself", t.Name, strings.ToLower(t.Method.Key()), i+1)
	}
	return nil
}

// takesNextNumber reports whether an INSERT's value o for a column
// leaves its number to the server: NULL (literal or bound; a sequence
// fills it, auto or not), or, for the table's AUTO_INCREMENT column
// (auto), DEFAULT or, when the session's sql_mode numbers zero
// (sqlparse.Mode.NumbersZero), a number the column stores as 0. Another
// column keeps its 0 and its default.
func takesNextNumber(o sqlparse.Operand, args []string, auto, numbersZero bool) bool {
	switch {
	case isNull(o, args):
		return true
	case !auto:
		return false
	case o.Default:
		return true
	case !numbersZero || o.Expr:
		return false
	}
	text := o.Literal
	if o.Param > 0 && o.Param <= len(args) {
		text = args[o.Param-1]
	}
	return ZeroNumber(text)
}

// ZeroNumber reports whether a literal (0, -0, 0.4, '0', '00', FALSE) is
// a number an integer column stores as 0: the server rounds a fraction
// and reads a quoted number's digits.
func ZeroNumber(text string) bool {
	s := strings.TrimSpace(text)
	if strings.EqualFold(s, "FALSE") {
		return true
	}
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if strings.ContainsAny(s, "xXpP_") { // hex, Go's digit separators: not MariaDB numbers
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && math.Abs(f) < 0.5
}

// keyStoredAlone is the key row of ins is stored with where it gives its
// table's key column none (leaves it out, or gives it DEFAULT) or a NULL
// the column does not hold: the column's constant default, or the type's
// zero of a NOT NULL column (shard.StoredAlone). The row is placed by it
// and sent as written, so its shard stores it, or refuses it (1048,
// 1364), as one server would. ok is false for other rows, and where
// Strata cannot tell: an expression default, the AUTO_INCREMENT column
// (numbered by the shard), a date table (whose zero date no period
// holds) and a lookup table (whose lookup entry would be written for it).
func keyStoredAlone(t *shard.Table, ins *sqlparse.InsertRows, row int, args []string) (shard.Value, bool) {
	op := sqlparse.Operand{Default: true} // a left-out column takes its default
	if ins.KeyCol >= 0 {
		op = ins.Rows[row][ins.KeyCol]
	}
	switch {
	case op.Default && (op.DefaultOf == "" || strings.EqualFold(op.DefaultOf, t.Method.Key())):
		return KeyStoredAlone(t, false)
	case isNull(op, args):
		return KeyStoredAlone(t, true)
	}
	return shard.Value{}, false
}

// KeyStoredAlone is the key t's key column stores for a row that gives it
// no value (null false: its constant default, else, where it has no
// default the server computes, the type's zero where it is NOT NULL) or
// a NULL (null true: the zero where it is NOT NULL),
// as shard.StoredAlone learned them; ok is false where Strata cannot
// tell (keyStoredAlone says which tables).
func KeyStoredAlone(t *shard.Table, null bool) (shard.Value, bool) {
	switch t.Method.Name() {
	case shard.MethodDate, shard.MethodLookup:
		return shard.Value{}, false
	}
	if strings.EqualFold(t.Method.Key(), t.AutoIncrement) {
		return shard.Value{}, false
	}
	alone, lit := t.KeyStoredAlone, ""
	switch {
	case !null && alone.Default != "":
		lit = alone.Default
	case !null && alone.ExprDefault:
		return shard.Value{}, false // the server evaluates it: not a key Strata knows
	case alone.NotNull:
		lit = alone.Zero
	}
	if lit == "" {
		return shard.Value{}, false
	}
	// information_schema writes a default in UTF-8, whatever the client's
	// character set.
	return storedKey(sqlparse.Operand{Literal: lit}, nil, t, "utf8mb4")
}

// isNull reports whether o is a NULL literal or a placeholder bound to
// NULL.
func isNull(o sqlparse.Operand, args []string) bool {
	text := o.Literal
	if o.Param > 0 && o.Param <= len(args) {
		text = args[o.Param-1]
	}
	return strings.EqualFold(strings.TrimSpace(text), "NULL")
}

// sequenceFill is the ids an INSERT's rows take from their table's
// sequence.
type sequenceFill struct {
	column string        // the column the sequence fills
	add    bool          // the INSERT omits it: it is added to every row
	at     int           // else its index in the column list
	ids    map[int]int64 // the id of each row that takes one
	first  int64         // the first id taken: LAST_INSERT_ID()
}

// sequenceIDs takes an id from t's sequence for every row of an INSERT
// that leaves the column the sequence fills to the server: it does not
// give the column, or gives it a value MariaDB's AUTO_INCREMENT would
// number (numbered: NULL, DEFAULT, or 0 where sql_mode numbers it), each
// shard on its own.
func (s *Sharding) sequenceIDs(ctx context.Context, t *shard.Table, ins *sqlparse.InsertRows, numbered func(string, sqlparse.Operand) bool) (sequenceFill, error) {
	seq := t.Sequence
	if seq == nil {
		return sequenceFill{}, nil
	}
	fill := sequenceFill{column: strings.ToLower(seq.Column), at: slices.Index(ins.Columns, strings.ToLower(seq.Column)), ids: map[int]int64{}}
	fill.add = fill.at < 0
	for row := range ins.Rows {
		if !fill.add && !numbered(fill.column, ins.Rows[row][fill.at]) {
			continue
		}
		if s.NextID == nil {
			return sequenceFill{}, refuse("sequence %s of table %s is not available", seq.Name, t.Name)
		}
		id, err := s.NextID(ctx, seq.Name)
		if err != nil {
			return sequenceFill{}, fmt.Errorf("taking an id from sequence %s for %s: %w", seq.Name, t.Name, err)
		}
		if len(fill.ids) == 0 {
			fill.first = id
		}
		fill.ids[row] = id
	}
	return fill, nil
}

// insertGroup is the rows of an INSERT that go to one shard's table.
type insertGroup struct {
	tg   target
	rows []int
}

// groupInsertRows places each of an INSERT's rows by its shard key
// (keyOf; false when the row gives none Strata can route) and groups them
// by shard and table, in the order of each group's first row.
func (s *Sharding) groupInsertRows(ctx context.Context, t *shard.Table, rows int, keyOf func(row int) (shard.Value, bool)) ([]*insertGroup, error) {
	var groups []*insertGroup
	byKey := map[string]*insertGroup{}
	for i := range rows {
		v, ok := keyOf(i)
		if !ok {
			return nil, refuse("INSERT into sharded table %s must give %s (its shard key) in every row as a constant Strata can route: %s%s", t.Name, strings.ToLower(t.Method.Key()), unroutableKey(t), unknownDefault(t))
		}
		sh, err := s.RowShard(ctx, t, v)
		if err != nil {
			return nil, refuse("row %d of the INSERT into %s: %v", i+1, t.Name, err)
		}
		table := ""
		if p, ok := t.Method.(shard.Periodic); ok {
			table = p.PeriodTable(v)
			if !p.KeptPeriod(v) {
				return nil, refuse("row %d of the INSERT into %s falls in period table %s, which Strata does not keep: %s", i+1, t.Name, table, keptPeriods(t))
			}
		}
		k := sh + "\x00" + table
		g := byKey[k]
		if g == nil {
			g = &insertGroup{tg: target{shard: sh, table: table}}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, i)
	}
	return groups, nil
}

// keptPeriods says which period tables of date table t exist and how to
// have more.
func keptPeriods(t *shard.Table) string {
	d, ok := t.Method.(*shard.Date)
	if !ok {
		return "it has no table"
	}
	first, last := d.KeptPeriods()
	if d.Keep() > 0 {
		return fmt.Sprintf("its tables run from %s (keep: %d periods up to the current one; older ones are dropped) to %s (ahead: %d past the current period). Raise keep: for older rows, or ahead: for later ones, then reload", first, d.Keep(), last, d.Ahead())
	}
	return fmt.Sprintf("its tables run from %s (since:) to %s (ahead: %d past the current period). Set since: earlier and run strata shards precreate -all for older rows, or raise ahead: for later ones, then reload", first, last, d.Ahead())
}

// unroutableKey says what an INSERT's key must look like, by what Strata
// knows of the key column's type.
func unroutableKey(t *shard.Table) string {
	if as := t.PlacedAs(); as != "" {
		return as
	}
	switch t.KeyType {
	case shard.KeyTypeInteger:
		return "a whole number, not an expression or a string such as '5.0'"
	case shard.KeyTypeText:
		return "a quoted string or an integer, not an expression (nor, in a binary column, a text longer than the column with bytes past ASCII, which Strata cannot cut as the column does)"
	case shard.KeyTypeUnknown:
		return "not an expression; a quoted number written other than MariaDB prints it ('05', '+5', ' 5') is routed only once Strata has learned the key column's type from a shard"
	}
	return "not an expression"
}

// unknownDefault names, for a refused INSERT, a key default Strata cannot
// evaluate first (one that reads other columns), which a row that leaves
// the key out would take.
func unknownDefault(t *shard.Table) string {
	if !t.KeyStoredAlone.ExprDefault || t.KeyStoredAlone.Expr != "" {
		return ""
	}
	return "; a row cannot leave it to its default, an expression of other columns that only the server computes"
}

// limitWalk plans an UPDATE or DELETE with ORDER BY or LIMIT over several
// shards. Without a LIMIT the ORDER BY only orders each shard's own rows,
// as one server would order them, and the routes run as any write's.
// With one, the routes run one after the other, each with what is left
// of the LIMIT (LimitWalk): without ORDER BY any matching rows are the
// server's answer too; with ORDER BY the shard key of a table whose
// shards hold key ranges in the server's order, the shards are walked in
// that order, so the rows are the first ones as on one server. Under any
// other ORDER BY (columns or expressions) each shard's first rows are
// selected and merged (TopOrder). It returns the targets in the order to
// walk.
func (s *Sharding) limitWalk(p *ShardPlan, st *sqlparse.ShardStmt, t *shard.Table, targets []target, args []string) ([]target, error) {
	l := st.WriteLimit
	kind := strings.ToUpper(st.Kind.String())
	switch {
	case l.Unwalkable:
		return nil, refuse("%s with this LIMIT on sharded table %s needs its shard key (%s): Strata walks the shards only with a LIMIT count (a number or ?), on one table", kind, t.Name, t.Method.Key())
	case l.Count < 0 && l.Param == 0:
		return targets, nil // ORDER BY alone: each shard orders its rows
	}
	n, err := l.CountWith(args)
	if err != nil {
		return nil, refuse("%s ... LIMIT: %v", kind, err)
	}
	if len(l.Order) > 0 && (!inServerOrder(t) || !strings.EqualFold(l.Order[0].Column, t.Method.Key())) {
		// The first rows by another order: each shard's candidates,
		// merged (TopOrder).
		for _, o := range l.Order {
			p.TopOrder = append(p.TopOrder, o.Desc)
			p.TopSources = append(p.TopSources, o.Source)
		}
		p.Reason += "; each shard's first rows by the ORDER BY selected and locked, merged, and each shard writes its share of the LIMIT"
	} else if len(l.Order) > 0 {
		targets = s.inKeyOrder(t, targets)
		if l.Order[0].Desc {
			targets = slices.Clone(targets) // may be the cached list of all targets
			slices.Reverse(targets)
		}
		p.Reason += "; LIMIT walked over the shards in key order"
	} else {
		p.Reason += "; LIMIT walked over the shards one after the other"
	}
	p.LimitWalk, p.Limit = true, n
	if p.TopOrder == nil {
		p.Reason += ", each with what the ones before left of it"
	}
	return targets, nil
}

// limitEnd is where the count of sql's trailing LIMIT n ends, or -1.
func limitEnd(sql string, n int64) int {
	if strings.HasSuffix(sql, " LIMIT "+strconv.FormatInt(n, 10)) {
		return len(sql)
	}
	return -1
}
