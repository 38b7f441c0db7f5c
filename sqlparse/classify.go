package sqlparse

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/auth"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// classify sets the statement-level facts (kind, write targets,
// transaction and session effects) from the top node. It runs after
// walk, so Tables is already filled and write targets can be checked
// against it.
func (m Mode) classify(f *Facts, stmt ast.StmtNode) {
	switch {
	case classifyDML(f, stmt):
	case classifyTx(f, stmt):
	case m.classifySession(f, stmt):
	case m.classifyAdmin(f, stmt):
	case classifyDDL(f, stmt):
	default:
		f.Kind = KindOther
	}
}

// readOnlyCandidate: statement types that may run on a replica when
// nothing in them writes, locks or has side effects.
func readOnlyCandidate(stmt ast.StmtNode) bool {
	switch st := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.DoStmt, *ast.HelpStmt:
		return true
	case *ast.ShowStmt:
		return !serverSpecificShow(st.Tp)
	case *ast.ExplainStmt:
		return !st.Analyze || readOnlyCandidate(st.Stmt)
	}
	return false
}

func (f *Facts) computeReadOnly(stmt ast.StmtNode) {
	f.ReadOnly = readOnlyCandidate(stmt) &&
		!(f.Locking || f.IntoOutfile || f.SetsUserVars || f.SideEffects || f.StoredFunctions || f.LockFunctions)
}

func classifyDML(f *Facts, stmt ast.StmtNode) bool {
	switch st := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		f.Kind = KindSelect
	case *ast.InsertStmt:
		f.Kind = KindInsert
		if st.IsReplace {
			f.Kind = KindReplace
		}
		if srcs := tableSources(st.Table); len(srcs) > 0 {
			f.addWrite(srcs[0].ref)
		}
	case *ast.UpdateStmt:
		f.Kind = KindUpdate
		f.addWrites(updateTargets(st))
	case *ast.DeleteStmt:
		f.Kind = KindDelete
		f.addWrites(deleteTargets(st))
	case *ast.LoadDataStmt:
		f.Kind = KindLoadData
		f.addWrite(refOf(st.Table))
		f.Load = loadDataOf(st)
	case *ast.CallStmt:
		f.Kind = KindCall
		// OUT/INOUT parameters assign the user variables passed to them.
		f.SetsUserVars = f.ReadsUserVars
	case *ast.DoStmt:
		f.Kind = KindDo
	default:
		return false
	}
	return true
}

// addWrites records targets that the walker saw as tables: a name that
// is not in Tables is a CTE or derived table, which cannot be written.
func (f *Facts) addWrites(refs []TableRef) {
	for _, r := range refs {
		for _, t := range f.Tables {
			if t == r {
				f.addWrite(r)
				break
			}
		}
	}
}

// source is one entry of a FROM/UPDATE/DELETE table list.
type source struct {
	alias string
	ref   TableRef
}

// tableSources lists the base tables of a table-reference clause with
// their aliases; derived tables are skipped.
func tableSources(refs *ast.TableRefsClause) []source {
	if refs == nil || refs.TableRefs == nil {
		return nil
	}
	return appendSources(nil, refs.TableRefs)
}

func appendSources(out []source, n ast.ResultSetNode) []source {
	switch n := n.(type) {
	case *ast.Join:
		out = appendSources(out, n.Left)
		if n.Right != nil {
			out = appendSources(out, n.Right)
		}
	case *ast.TableSource:
		if tn, ok := n.Source.(*ast.TableName); ok {
			out = append(out, source{alias: n.AsName.L, ref: refOf(tn)})
		} else {
			out = appendSources(out, n.Source)
		}
	case *ast.TableName:
		out = append(out, source{ref: refOf(n)})
	}
	return out
}

// resolve finds the source a qualifier (alias, table or schema.table)
// names.
func resolve(srcs []source, schema, name string) (TableRef, bool) {
	for _, s := range srcs {
		if schema == "" && s.alias == name {
			return s.ref, true
		}
	}
	for _, s := range srcs {
		if s.ref.Name == name && (schema == "" || s.ref.Schema == schema) {
			return s.ref, true
		}
	}
	return TableRef{}, false
}

// updateTargets: the tables whose columns are assigned. An unqualified
// column of a multi-table UPDATE could belong to any of them, so then all
// are reported.
func updateTargets(st *ast.UpdateStmt) []TableRef {
	srcs := tableSources(st.TableRefs)
	if len(srcs) == 1 {
		return []TableRef{srcs[0].ref}
	}
	var out []TableRef
	for _, a := range st.List {
		col := a.Column
		if col == nil || col.Table.L == "" {
			return allRefs(srcs)
		}
		if r, ok := resolve(srcs, col.Schema.L, col.Table.L); ok {
			out = append(out, r)
		}
	}
	return out
}

// deleteTargets: the single table, or the tables of the DELETE list of a
// multi-table DELETE, resolved through the aliases of its FROM/USING.
func deleteTargets(st *ast.DeleteStmt) []TableRef {
	srcs := tableSources(st.TableRefs)
	if !st.IsMultiTable || st.Tables == nil {
		return allRefs(srcs[:min(len(srcs), 1)])
	}
	var out []TableRef
	for _, tn := range st.Tables.Tables {
		if r, ok := resolve(srcs, tn.Schema.L, tn.Name.L); ok {
			out = append(out, r)
		}
	}
	return out
}

func allRefs(srcs []source) []TableRef {
	out := make([]TableRef, len(srcs))
	for i, s := range srcs {
		out[i] = s.ref
	}
	return out
}

func classifyTx(f *Facts, stmt ast.StmtNode) bool {
	switch st := stmt.(type) {
	case *ast.BeginStmt:
		f.Kind, f.StartsTx, f.ReadOnlyTx = KindBegin, true, st.ReadOnly
		f.ImplicitCommit = true // BEGIN commits a transaction already open
	case *ast.CommitStmt:
		f.Kind, f.EndsTx = KindCommit, true
		f.StartsTx = st.CompletionType == ast.CompletionTypeChain
	case *ast.RollbackStmt:
		if st.SavepointName != "" {
			f.Kind = KindSavepoint
			f.Savepoint = Savepoint{Action: SavepointRollback, Name: st.SavepointName}
			return true
		}
		f.Kind, f.EndsTx = KindRollback, true
		f.StartsTx = st.CompletionType == ast.CompletionTypeChain
	case *ast.SavepointStmt:
		f.Kind, f.Savepoint = KindSavepoint, Savepoint{Action: SavepointSet, Name: st.Name}
	case *ast.ReleaseSavepointStmt:
		f.Kind, f.Savepoint = KindSavepoint, Savepoint{Action: SavepointRelease, Name: st.Name}
	default:
		return false
	}
	return true
}

// classifySession: statements that change the connection's state.
func (m Mode) classifySession(f *Facts, stmt ast.StmtNode) bool {
	switch st := stmt.(type) {
	case *ast.SetStmt:
		m.classifySet(f, st)
	case *ast.SetRoleStmt:
		f.Kind = KindSet
		f.SessionVars = append(f.SessionVars, m.roleVar(st, f.Text))
	case *ast.UseStmt:
		f.Kind, f.Schema = KindUse, st.DBName
	case *ast.PrepareStmt:
		f.Kind, f.PrepareName, f.PrepareSQL = KindPrepare, strings.ToLower(st.Name), st.SQLText
	case *ast.ExecuteStmt:
		f.Kind, f.PrepareName = KindPrepare, strings.ToLower(st.Name)
	case *ast.DeallocateStmt:
		f.Kind, f.PrepareName = KindPrepare, strings.ToLower(st.Name)
	default:
		return false
	}
	return true
}

// classifyAdmin: SHOW, EXPLAIN, locks, maintenance, accounts, KILL.
func (m Mode) classifyAdmin(f *Facts, stmt ast.StmtNode) bool {
	switch st := stmt.(type) {
	case *ast.ShowStmt:
		m.classifyShow(f, st)
	case *ast.ExplainStmt:
		m.classifyExplain(f, st)
	case *ast.ExplainForStmt: // EXPLAIN FOR CONNECTION n: about one server
		f.Kind = KindExplain
	case *ast.LockTablesStmt:
		f.Kind, f.ImplicitCommit = KindLockTables, true
	case *ast.UnlockTablesStmt:
		f.Kind = KindUnlockTables
	case *ast.FlushStmt:
		f.Kind, f.ImplicitCommit = KindFlush, true
		f.Locking = st.Tp == ast.FlushTables && st.ReadLock // FLUSH TABLES ... WITH READ LOCK
	case *ast.AnalyzeTableStmt:
		maintenance(f, st.TableNames)
	case *ast.OptimizeTableStmt:
		maintenance(f, st.Tables)
	case *ast.RepairTableStmt:
		maintenance(f, []*ast.TableName{st.Table})
	case *ast.KillStmt:
		f.Kind, f.KillID, f.KillQuery = KindKill, st.ConnectionID, st.Query
	case *ast.ShutdownStmt:
		f.Kind = KindShutdown
	default:
		if !isAccountStmt(stmt) {
			return false
		}
		f.Kind, f.ImplicitCommit = KindGrant, true
		f.OwnAccount = aboutOwnAccount(stmt)
		f.AccountsChanged = accountsChanged(stmt)
		// A table's privileges belong where the table is: its one
		// cluster, or (a placed table on several) refused.
		if t := grantTable(stmt); t != nil {
			f.addTable(*t)
		}
	}
	return true
}

// grantTable is the table GRANT or REVOKE ... ON db.table names, nil for
// privileges on a schema, on every schema, or on a routine.
func grantTable(stmt ast.StmtNode) *TableRef {
	var level *ast.GrantLevel
	var object ast.ObjectTypeType
	switch st := stmt.(type) {
	case *ast.GrantStmt:
		level, object = st.Level, st.ObjectType
	case *ast.RevokeStmt:
		level, object = st.Level, st.ObjectType
	}
	if object != ast.ObjectTypeNone && object != ast.ObjectTypeTable || level == nil || level.Level != ast.GrantLevelTable || level.TableName == "" || level.TableName == "*" {
		return nil
	}
	return &TableRef{Schema: strings.ToLower(level.DBName), Name: strings.ToLower(level.TableName)}
}

func maintenance(f *Facts, tables []*ast.TableName) {
	f.Kind, f.ImplicitCommit = KindAnalyze, true
	for _, t := range tables {
		if t != nil {
			f.addWrite(refOf(t))
		}
	}
}

func isAccountStmt(stmt ast.StmtNode) bool {
	switch stmt.(type) {
	case *ast.GrantStmt, *ast.RevokeStmt, *ast.GrantRoleStmt, *ast.RevokeRoleStmt,
		*ast.GrantProxyStmt, *ast.CreateUserStmt, *ast.AlterUserStmt, *ast.DropUserStmt,
		*ast.RenameUserStmt, *ast.SetPwdStmt, *ast.SetDefaultRoleStmt:
		return true
	}
	return false
}

// aboutOwnAccount reports whether an account statement changes the
// account that runs it: SET PASSWORD without FOR (or FOR CURRENT_USER()),
// ALTER USER USER(), or CURRENT_USER() as an account of ALTER, DROP,
// RENAME USER or REVOKE.
func aboutOwnAccount(stmt ast.StmtNode) bool {
	current := func(u *auth.UserIdentity) bool { return u != nil && u.CurrentUser }
	specs := func(list []*ast.UserSpec) bool {
		return slices.ContainsFunc(list, func(s *ast.UserSpec) bool { return current(s.User) })
	}
	switch st := stmt.(type) {
	case *ast.SetPwdStmt:
		return st.User == nil || current(st.User)
	case *ast.AlterUserStmt:
		return st.CurrentAuth != nil || specs(st.Specs)
	case *ast.DropUserStmt:
		return slices.ContainsFunc(st.UserList, current)
	case *ast.RenameUserStmt:
		return slices.ContainsFunc(st.UserToUsers, func(u *ast.UserToUser) bool { return current(u.OldUser) })
	case *ast.RevokeStmt:
		return specs(st.Users)
	}
	return false
}

// accountsChanged lists the user names of the accounts an account
// statement creates, changes, renames, drops or takes privileges from.
// GRANT only adds, and is left out.
func accountsChanged(stmt ast.StmtNode) []string {
	var names []string
	add := func(u *auth.UserIdentity) {
		if u != nil && !u.CurrentUser {
			names = append(names, u.Username)
		}
	}
	addSpecs := func(specs []*ast.UserSpec) {
		for _, s := range specs {
			add(s.User)
		}
	}
	switch st := stmt.(type) {
	case *ast.SetPwdStmt:
		add(st.User)
	case *ast.CreateUserStmt:
		addSpecs(st.Specs)
	case *ast.AlterUserStmt:
		addSpecs(st.Specs)
	case *ast.DropUserStmt:
		for _, u := range st.UserList {
			add(u)
		}
	case *ast.RenameUserStmt:
		for _, u := range st.UserToUsers {
			add(u.OldUser)
			add(u.NewUser)
		}
	case *ast.RevokeStmt:
		addSpecs(st.Users)
	case *ast.RevokeRoleStmt:
		for _, u := range st.Users {
			add(u)
		}
	}
	return names
}

// serverSpecificShow: SHOW forms whose answer is about one server
// (binlog position, replication threads, connections). A replica would
// answer about itself, so they go to the primary.
func serverSpecificShow(tp ast.ShowStmtType) bool {
	switch tp {
	case ast.ShowMasterStatus, ast.ShowBinlogStatus, ast.ShowReplicaStatus, ast.ShowProcessList:
		return true
	}
	return false
}

func (m Mode) classifyShow(f *Facts, st *ast.ShowStmt) {
	f.Kind = KindShow
	switch st.Tp {
	case ast.ShowWarnings, ast.ShowErrors:
		f.SessionFunctions, f.ReadsPrevious = true, true // about the previous statement on this connection
	case ast.ShowProfile, ast.ShowProfiles, ast.ShowSessionStates:
		f.SessionFunctions = true // about earlier statements on this connection
	case ast.ShowStatus:
		// A session's counters, and Last_query_cost: the cost of the
		// previous statement, on the connection that ran it.
		f.SessionFunctions, f.ReadsPrevious = !st.GlobalScope, !st.GlobalScope
	case ast.ShowVariables:
		f.ReadsReadOnly = mayList(st, "read_only")
		f.ReadsBinlog = mayList(st, "gtid_binlog_pos", "gtid_binlog_state", "gtid_current_pos")
	case ast.ShowMasterStatus, ast.ShowBinlogStatus:
		f.ReadsBinlog = true
	case ast.ShowTables:
		f.ShowTables = m.showTables(st)
	case ast.ShowTriggers:
		// LIKE one table's name (mariadb-dump's look for the triggers of
		// each table it dumps): where the table is.
		if name, ok := likeOneName(st); ok {
			f.Tables = append(f.Tables, TableRef{Schema: strings.ToLower(st.DBName), Name: strings.ToLower(name)})
		} else {
			f.ShowTriggers = m.showTables(st)
		}
	case ast.ShowTableStatus:
		// LIKE one name (mariadb-dump's check of each table it dumps):
		// the table's own status, where its rows are.
		if name, ok := likeOneName(st); ok {
			f.Tables = append(f.Tables, TableRef{Schema: strings.ToLower(st.DBName), Name: strings.ToLower(name)})
		}
		if f.ShowTables = m.showTables(st); f.ShowTables != nil {
			f.ShowTables.Status = true
		}
	}
}

// metadataOf lists the tables a read of information_schema alone asks
// about: the strings the WHERE of any of its SELECTs (a subquery too:
// Laravel's SELECT EXISTS (SELECT 1 FROM information_schema.tables
// WHERE ...)) compares table_name (or a trigger's event_object_table)
// with, in AND-ed equalities; a placeholder is listed as "?N", its rank
// in the text, for the bound value to name the table. nil for anything
// else.
func metadataOf(f *Facts, stmt ast.StmtNode) []string {
	if len(f.Tables) == 0 {
		return nil
	}
	for _, t := range f.Tables {
		if t.Schema != "information_schema" {
			return nil
		}
	}
	c := &metadataCollector{}
	stmt.Accept(c)
	var names []string
	for _, sel := range c.selects {
		if sel.Where != nil {
			names = c.scan(names, sel.Where)
		}
	}
	return names
}

// SchemaViews are the views of information_schema with a row per table,
// or per column, index, constraint or trigger of a table (named by
// TABLE_NAME, or EVENT_OBJECT_TABLE): a listing of them covers the
// tables Strata places on other clusters.
var SchemaViews = map[string]bool{
	"tables": true, "columns": true, "statistics": true, "key_column_usage": true,
	"table_constraints": true, "referential_constraints": true, "check_constraints": true,
	"triggers": true,
}

// listsSchema reports whether a statement reads information_schema alone,
// one of SchemaViews among it.
func listsSchema(f *Facts) bool {
	found := false
	for _, t := range f.Tables {
		if t.Schema != "information_schema" {
			return false
		}
		found = found || SchemaViews[t.Name]
	}
	return found
}

// metadataCollector finds a statement's SELECTs and its placeholders.
type metadataCollector struct {
	selects []*ast.SelectStmt
	markers []int // the placeholders' offsets in the text
}

func (c *metadataCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SelectStmt:
		c.selects = append(c.selects, v)
	case *test_driver.ParamMarkerExpr:
		c.markers = append(c.markers, v.Offset)
	}
	return n, false
}

func (c *metadataCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// scan appends the table names e compares table_name with.
func (c *metadataCollector) scan(names []string, e ast.ExprNode) []string {
	b, ok := unparen(e).(*ast.BinaryOperationExpr)
	if !ok {
		return names
	}
	switch b.Op {
	case opcode.LogicAnd:
		return c.scan(c.scan(names, b.L), b.R)
	case opcode.EQ:
		col, okC := unparen(b.L).(*ast.ColumnNameExpr)
		val := unparen(b.R)
		if !okC {
			col, okC = unparen(b.R).(*ast.ColumnNameExpr)
			val = unparen(b.L)
		}
		if !okC || (col.Name.Name.L != "table_name" && col.Name.Name.L != "event_object_table") {
			return names
		}
		switch v := val.(type) {
		case *test_driver.ParamMarkerExpr:
			rank := 1
			for _, off := range c.markers {
				if off < v.Offset {
					rank++
				}
			}
			return append(names, "?"+strconv.Itoa(rank))
		case ast.ValueExpr:
			if s, isStr := v.GetValue().(string); isStr {
				return append(names, strings.ToLower(s))
			}
		}
	}
	return names
}

// showTables describes SHOW [FULL] TABLES [FROM db] [LIKE 'p' | WHERE
// cond]; nil for a pattern that is not a string.
func (m Mode) showTables(st *ast.ShowStmt) *ShowTables {
	out := &ShowTables{DB: st.DBName, Full: st.Full}
	if st.Where != nil {
		where, err := m.restore(st.Where)
		if err != nil {
			return nil
		}
		out.Where = where
	}
	if st.Pattern != nil {
		v, ok := st.Pattern.Pattern.(ast.ValueExpr)
		if !ok || st.Pattern.Not {
			return nil
		}
		out.Like, out.Pattern = true, v.GetString()
	}
	return out
}

// likeOneName is the table name a SHOW ... LIKE pattern matches when it
// has no wildcard ('entry\_likes' is entry_likes).
func likeOneName(st *ast.ShowStmt) (string, bool) {
	if st.Pattern == nil || st.Pattern.Not || st.Where != nil {
		return "", false
	}
	v, ok := st.Pattern.Pattern.(ast.ValueExpr)
	if !ok {
		return "", false
	}
	var b strings.Builder
	p := v.GetString()
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '%' || c == '_':
			return "", false
		case c == '\\' && i+1 < len(p):
			i++
			b.WriteByte(p[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), b.Len() > 0
}

// LikeMatches reports whether the table name matches the LIKE pattern of
// a SHOW TABLES or SHOW TRIGGERS: with case, as a server whose table
// names keep theirs (lower_case_table_names=0, Linux's default) matches.
func LikeMatches(pattern, name string) bool { return likeMatches(pattern, name) }

// mayList reports whether SHOW VARIABLES may list one of names: it has
// no LIKE pattern, or one that matches a name, or a WHERE.
func mayList(st *ast.ShowStmt, names ...string) bool {
	if st.Pattern == nil {
		return true
	}
	v, ok := st.Pattern.Pattern.(ast.ValueExpr)
	if !ok {
		return true
	}
	for _, name := range names {
		if likeMatches(strings.ToLower(v.GetString()), name) {
			return true
		}
	}
	return false
}

// likeMatches reports whether name matches the LIKE pattern (% and _,
// backslash escapes).
func likeMatches(pattern, name string) bool {
	for len(pattern) > 0 {
		switch c := pattern[0]; {
		case c == '%':
			for i := 0; i <= len(name); i++ {
				if likeMatches(pattern[1:], name[i:]) {
					return true
				}
			}
			return false
		case len(name) == 0:
			return false
		case c == '\\' && len(pattern) > 1:
			if pattern[1] != name[0] {
				return false
			}
			pattern, name = pattern[2:], name[1:]
		case c == '_' || c == name[0]:
			pattern, name = pattern[1:], name[1:]
		default:
			return false
		}
	}
	return len(name) == 0
}

// classifyExplain: plain EXPLAIN only plans the statement, so it is
// read-only whatever the statement; EXPLAIN ANALYZE runs it and takes
// its facts.
func (m Mode) classifyExplain(f *Facts, st *ast.ExplainStmt) {
	if st.Analyze && st.Stmt != nil {
		m.classify(f, st.Stmt)
	} else {
		f.Locking, f.IntoOutfile = false, false
	}
	f.Kind = KindExplain
}

func classifyDDL(f *Facts, stmt ast.StmtNode) bool {
	targets, temp, ok := ddlTargets(stmt)
	if !ok {
		if _, isDDL := stmt.(ast.DDLNode); !isDDL {
			return false
		}
	}
	f.Kind = KindDDL
	f.TempTable = temp
	f.DDLForm = ddlForm(stmt)
	f.AltersSchema = alteredSchema(stmt)
	f.ImplicitCommit = !temp // CREATE/DROP TEMPORARY TABLE do not commit
	for _, t := range targets {
		if t != nil {
			f.addWrite(refOf(t))
		}
	}
	return true
}

// alteredSchema is the schema ALTER or DROP DATABASE names ("" for any
// other statement, and for ALTER DATABASE of the current one).
func alteredSchema(stmt ast.StmtNode) string {
	switch st := stmt.(type) {
	case *ast.AlterDatabaseStmt:
		return st.Name.O
	case *ast.DropDatabaseStmt:
		return st.Name.O
	}
	return ""
}

// ddlTargets returns the tables a DDL statement changes and whether it
// is about a temporary table.
func ddlTargets(stmt ast.StmtNode) (targets []*ast.TableName, temp, ok bool) {
	switch st := stmt.(type) {
	case *ast.CreateTableStmt:
		return []*ast.TableName{st.Table}, st.TemporaryKeyword != ast.TemporaryNone, true
	case *ast.DropTableStmt:
		return st.Tables, st.TemporaryKeyword != ast.TemporaryNone, true
	case *ast.AlterTableStmt:
		return alterTargets(st), false, true
	case *ast.RenameTableStmt:
		for _, tt := range st.TableToTables {
			targets = append(targets, tt.OldTable, tt.NewTable)
		}
		return targets, false, true
	case *ast.TruncateTableStmt:
		return []*ast.TableName{st.Table}, false, true
	case *ast.CreateIndexStmt:
		return []*ast.TableName{st.Table}, false, true
	case *ast.DropIndexStmt:
		return []*ast.TableName{st.Table}, false, true
	case *ast.CreateViewStmt:
		return []*ast.TableName{st.ViewName}, false, true
	case *ast.CreateSequenceStmt:
		return []*ast.TableName{st.Name}, false, true
	case *ast.AlterSequenceStmt:
		return []*ast.TableName{st.Name}, false, true
	case *ast.DropSequenceStmt:
		return st.Sequences, false, true
	case *ast.ProcedureInfo, *ast.DropProcedureStmt:
		return nil, false, true
	}
	return nil, false, false
}

// ddlForm names what a DDL statement does to its tables (Facts.DDLForm).
func ddlForm(stmt ast.StmtNode) string {
	switch st := stmt.(type) {
	case *ast.RenameTableStmt:
		return "rename"
	case *ast.AlterTableStmt:
		if len(alterTargets(st)) > 1 {
			return "rename"
		}
	case *ast.CreateTableStmt:
		switch {
		case st.Select != nil:
			return "create-select"
		case st.ReferTable != nil:
			return "create-like"
		}
		return "create"
	case *ast.CreateViewStmt:
		return "view"
	case *ast.DropTableStmt:
		if !st.IsView {
			return "drop"
		}
	}
	return ""
}

// alterTargets: the table, plus the new name of ALTER TABLE ... RENAME.
func alterTargets(st *ast.AlterTableStmt) []*ast.TableName {
	out := []*ast.TableName{st.Table}
	for _, spec := range st.Specs {
		if spec.NewTable != nil {
			out = append(out, spec.NewTable)
		}
	}
	return out
}
