package sqlparse

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// Render produces the SQL one shard runs: the statement (or, with
// r.Scatter, its ScatterSelect shard query) with r's tables renamed, IN
// list replaced, INSERT rows selected and placeholders bound. The text is
// the parser's restore of the statement (keywords upper-case, names
// back-quoted, strings single-quoted, comments and hints dropped), so
// Render(Rewrite{}) is an equivalent of the statement, not its text.
//
// Render is safe for concurrent use: it changes the shared AST in place
// under a mutex, restores it and undoes the changes before unlocking, so
// calls on one ShardStmt are serialized; no parse happens per call.
func (s *ShardStmt) Render(r Rewrite) (string, error) {
	return s.render(r, nil)
}

// ErrPlaceholderOrder: a statement rendered with its placeholders kept
// would have them in another order than the client's text, so a shard
// could not take the client's values in their order.
var ErrPlaceholderOrder = errors.New("sqlparse: the rendered statement has its placeholders in another order")

// RenderTemplate renders the statement for one shard with its
// placeholders kept (r.Args nil), for a shard to prepare and execute with
// the client's values as they come: each placeholder where the client's
// text has it, in the same order. LIMIT ? OFFSET ? keeps its form (the
// parser writes LIMIT offset, count). Any other form the parser writes in
// another order is ErrPlaceholderOrder.
func (s *ShardStmt) RenderTemplate(r Rewrite) (string, error) {
	if r.Args != nil {
		return "", errors.New("sqlparse: RenderTemplate binds no values")
	}
	var order []int
	sql, err := s.render(r, &order)
	if err != nil {
		return "", err
	}
	if len(order) != s.Params {
		return "", ErrPlaceholderOrder
	}
	for i, idx := range order {
		if idx != i {
			return "", ErrPlaceholderOrder
		}
	}
	return sql, nil
}

// render is Render; with order set (no values bound), it keeps LIMIT ?
// OFFSET ? as written and appends each placeholder's index as it is
// written.
func (s *ShardStmt) render(r Rewrite, order *[]int) (string, error) {
	impl, ok := s.impl.(*shardImpl)
	if !ok || impl == nil {
		return "", errors.New("sqlparse: Render of a ShardStmt that AnalyzeShard did not build")
	}
	if r.Args != nil && len(r.Args) != s.Params {
		return "", fmt.Errorf("sqlparse: %d values bound for %d placeholders", len(r.Args), s.Params)
	}
	var root ast.Node = impl.stmt
	if r.Scatter {
		if impl.scatter == nil {
			return "", errors.New("sqlparse: statement has no scatter form")
		}
		root = impl.scatter
	}

	impl.mu.Lock()
	defer impl.mu.Unlock()
	var undo []func()
	defer func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		impl.args = nil
	}()
	impl.args = r.Args
	if order != nil {
		impl.order = order
		defer func() { impl.order = nil }()
		if s.Params >= 2 { // LIMIT ? OFFSET ? holds two: no walk of the tree without
			keepLimitOffsetOrder(root, &undo)
		}
	}

	if err := impl.renameTables(s, r.Tables, &undo); err != nil {
		return "", err
	}
	if err := impl.replaceInLists(r.In, &undo); err != nil {
		return "", err
	}
	if r.Rows != nil || r.AddColumn != "" || r.Fill != nil {
		if err := impl.rewriteRows(r, &undo); err != nil {
			return "", err
		}
	}
	if r.Candidates {
		return impl.renderCandidates()
	}
	if r.MoveSelect != nil || r.NoWhere {
		return impl.renderMove(r)
	}
	return impl.restoreLocking(root, &undo)
}

// replaceInLists puts each IN list the rewrite names (by its index in
// inLists) in place of the statement's, to be undone by undo.
func (impl *shardImpl) replaceInLists(in map[int][]Operand, undo *[]func()) error {
	for idx, ops := range in {
		if idx < 0 || idx >= len(impl.inLists) {
			return fmt.Errorf("sqlparse: no IN list %d", idx)
		}
		if len(ops) == 0 {
			return fmt.Errorf("sqlparse: empty replacement for IN list %d", idx)
		}
		in := impl.inLists[idx]
		list := make([]ast.ExprNode, len(ops))
		for i, o := range ops {
			e, err := impl.operandNode(o)
			if err != nil {
				return err
			}
			list[i] = e
		}
		old := in.List
		in.List = list
		*undo = append(*undo, func() { in.List = old })
	}
	return nil
}

// restoreLocking writes root as MariaDB reads it, a shared lock included.
func (impl *shardImpl) restoreLocking(root ast.Node, undo *[]func()) (string, error) {
	if sel, ok := root.(*ast.SelectStmt); ok && sel.LockInfo != nil {
		if words, ok := shareLockWords[sel.LockInfo.LockType]; ok {
			// The parser writes a shared lock as MySQL 8's FOR SHARE,
			// which MariaDB does not read: written without it, the
			// statement ends where the lock goes (after LIMIT), and
			// MariaDB's words follow.
			lock, was := sel.LockInfo, sel.LockInfo.LockType
			lock.LockType = ast.SelectLockNone
			*undo = append(*undo, func() { lock.LockType = was })
			text, err := impl.mode.restore(root)
			return strings.TrimRight(text, " ") + words, err
		}
	}
	return impl.mode.restore(root)
}

// shareLockWords are MariaDB's words for the shared locks the parser
// writes as MySQL 8's FOR SHARE.
var shareLockWords = map[ast.SelectLockType]string{
	ast.SelectLockForShare:           " LOCK IN SHARE MODE",
	ast.SelectLockForShareNoWait:     " LOCK IN SHARE MODE NOWAIT",
	ast.SelectLockForShareSkipLocked: " LOCK IN SHARE MODE SKIP LOCKED",
}

// keepLimitOffsetOrder has each LIMIT ? OFFSET ? under root written so,
// its count's placeholder before its offset's, as the client wrote it:
// the parser writes every LIMIT as offset, count.
func keepLimitOffsetOrder(root ast.Node, undo *[]func()) {
	root.Accept(&limitVisitor{visit: func(l *ast.Limit) {
		count, okC := l.Count.(*paramNode)
		offset, okO := l.Offset.(*paramNode)
		if !okC || !okO || count.idx > offset.idx {
			return
		}
		both := &rawExpr{ExprNode: &ast.DefaultExpr{}, write: func(ctx *format.RestoreCtx) error {
			if err := count.Restore(ctx); err != nil {
				return err
			}
			ctx.WritePlain(" OFFSET ")
			return offset.Restore(ctx)
		}}
		l.Count, l.Offset = both, nil
		*undo = append(*undo, func() { l.Count, l.Offset = count, offset })
	}})
}

// limitVisitor calls visit for each LIMIT of a statement.
type limitVisitor struct{ visit func(*ast.Limit) }

func (v *limitVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if l, ok := n.(*ast.Limit); ok {
		v.visit(l)
		return n, true
	}
	return n, false
}

func (v *limitVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// renderMove renders an UPDATE as Rewrite.MoveSelect or Rewrite.NoWhere
// ask (the caller holds mu).
func (impl *shardImpl) renderMove(r Rewrite) (string, error) {
	upd, ok := impl.stmt.(*ast.UpdateStmt)
	if !ok || moveBlocker(upd) != "" {
		return "", errors.New("sqlparse: only a single-table UPDATE renders as a move")
	}
	if r.NoWhere {
		where, order, limit := upd.Where, upd.Order, upd.Limit
		upd.Where, upd.Order, upd.Limit = nil, nil, nil
		defer func() { upd.Where, upd.Order, upd.Limit = where, order, limit }()
		return impl.mode.restore(upd)
	}
	from, err := impl.mode.restore(upd.TableRefs)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	if len(r.MoveSelect) == 0 {
		b.WriteString("*") // for EXPLAIN, before the columns are known
	}
	for i, c := range r.MoveSelect {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
	}
	b.WriteString(" FROM ")
	b.WriteString(from)
	if upd.Where != nil {
		where, err := impl.mode.restore(upd.Where)
		if err != nil {
			return "", err
		}
		b.WriteString(" WHERE ")
		b.WriteString(where)
	}
	b.WriteString(" FOR UPDATE")
	return b.String(), nil
}

// renderCandidates renders a single-table UPDATE or DELETE with ORDER BY
// and LIMIT as Rewrite.Candidates asks (the caller holds mu).
func (impl *shardImpl) renderCandidates() (string, error) {
	var refs *ast.TableRefsClause
	var where ast.ExprNode
	var order *ast.OrderByClause
	var limit *ast.Limit
	switch st := impl.stmt.(type) {
	case *ast.UpdateStmt:
		if !st.MultipleTable {
			refs, where, order, limit = st.TableRefs, st.Where, st.Order, st.Limit
		}
	case *ast.DeleteStmt:
		if !st.IsMultiTable {
			refs, where, order, limit = st.TableRefs, st.Where, st.Order, st.Limit
		}
	}
	if refs == nil || order == nil || limit == nil {
		return "", errors.New("sqlparse: only a single-table UPDATE or DELETE with ORDER BY and LIMIT renders its candidates")
	}
	fields := make([]*ast.SelectField, len(order.Items))
	for i, item := range order.Items {
		fields[i] = &ast.SelectField{Expr: item.Expr}
	}
	sel := &ast.SelectStmt{
		SelectStmtOpts: &ast.SelectStmtOpts{SQLCache: true},
		Kind:           ast.SelectStmtKindSelect,
		Fields:         &ast.FieldList{Fields: fields},
		From:           refs,
		Where:          where,
		OrderBy:        order,
		Limit:          limit,
		LockInfo:       &ast.SelectLockInfo{LockType: ast.SelectLockForUpdate},
	}
	return impl.mode.restore(sel)
}

// operandNode renders a replacement value.
func (impl *shardImpl) operandNode(o Operand) (ast.ExprNode, error) {
	switch {
	case o.Param > 0:
		if impl.args != nil {
			if o.Param > len(impl.args) {
				return nil, fmt.Errorf("sqlparse: no value for placeholder %d", o.Param)
			}
			return newRawExpr(impl.args[o.Param-1]), nil
		}
		return newRawExpr("?"), nil
	case o.Literal != "":
		return newRawExpr(o.Literal), nil
	}
	return nil, errors.New("sqlparse: an expression operand cannot be rendered")
}

// renameTables renames the uses of the tables in names. An unaliased
// table gets its old name as alias, and column qualifiers with a schema
// (db.posts.id) lose it, since they now name the alias. The INSERT target
// and a single-table DELETE take no alias: there the column qualifiers
// naming the table are renamed instead.
func (impl *shardImpl) renameTables(s *ShardStmt, names map[TableRef]string, undo *[]func()) error {
	if len(names) == 0 {
		return nil
	}
	for i, u := range impl.uses {
		if u.source == nil {
			continue
		}
		ref := s.Uses[i].Ref
		name, ok := names[ref]
		if !ok || name == "" {
			continue
		}
		ts := u.source
		tn := ts.Source.(*ast.TableName)
		oldName, oldAlias := tn.Name, ts.AsName
		tn.Name = ast.NewCIStr(name)
		*undo = append(*undo, func() { tn.Name, ts.AsName = oldName, oldAlias })
		if oldAlias.L != "" {
			continue
		}
		if !impl.qualRename {
			ts.AsName = oldName
		}
		for _, c := range impl.columns {
			if c.Table.L != oldName.L || (c.Schema.L != "" && c.Schema.L != ref.Schema) {
				continue
			}
			table, schema := c.Table, c.Schema
			*undo = append(*undo, func() { c.Table, c.Schema = table, schema })
			if impl.qualRename {
				c.Table = ast.NewCIStr(name)
			} else {
				c.Schema = ast.CIStr{}
			}
		}
	}
	return nil
}

// rewriteRows keeps r.Rows of an INSERT and appends r.AddColumn.
func (impl *shardImpl) rewriteRows(r Rewrite, undo *[]func()) error {
	ins := impl.insert
	if ins == nil || ins.Select != nil {
		return errors.New("sqlparse: Rows/AddColumn/Fill on a statement that is not INSERT ... VALUES")
	}
	oldLists, oldCols := ins.Lists, ins.Columns
	*undo = append(*undo, func() { ins.Lists, ins.Columns = oldLists, oldCols })
	keep := r.Rows
	if keep == nil {
		keep = make([]int, len(oldLists))
		for i := range keep {
			keep[i] = i
		}
	}
	if len(keep) == 0 {
		return errors.New("sqlparse: Rewrite.Rows keeps no row")
	}
	if ins.Setlist && (len(keep) != 1 || keep[0] != 0) {
		return errors.New("sqlparse: INSERT ... SET has one row")
	}
	if r.AddColumn != "" && len(r.AddValues) != len(keep) {
		return fmt.Errorf("sqlparse: %d AddValues for %d rows", len(r.AddValues), len(keep))
	}
	lists := make([][]ast.ExprNode, len(keep))
	for i, k := range keep {
		if k < 0 || k >= len(oldLists) {
			return fmt.Errorf("sqlparse: no INSERT row %d", k)
		}
		row := oldLists[k]
		if v, ok := r.Fill[k]; ok {
			if r.FillCol < 0 || r.FillCol >= len(row) {
				return fmt.Errorf("sqlparse: no column %d in INSERT row %d", r.FillCol, k)
			}
			row = slices.Clone(row)
			row[r.FillCol] = newRawExpr(v)
		}
		if r.AddColumn != "" {
			row = append(append(make([]ast.ExprNode, 0, len(row)+1), row...), newRawExpr(r.AddValues[i]))
		}
		lists[i] = row
	}
	ins.Lists = lists
	if r.AddColumn != "" {
		if len(oldCols) == 0 {
			return errors.New("sqlparse: AddColumn on an INSERT without a column list")
		}
		cols := append(append(make([]*ast.ColumnName, 0, len(oldCols)+1), oldCols...),
			&ast.ColumnName{Name: ast.NewCIStr(strings.TrimSpace(r.AddColumn))})
		ins.Columns = cols
	}
	if r.AsSelect {
		return valuesAsSelect(ins, undo)
	}
	return nil
}

// valuesAsSelect makes ins, an INSERT of one row of VALUES, an INSERT
// ... SELECT of that row (Rewrite.AsSelect). A select list cannot hold
// DEFAULT, so a column the row gives DEFAULT (or DEFAULT of itself) is
// left out of the column list instead, which gives it its default as
// DEFAULT does; without a column list, or for DEFAULT(col) of another
// column, that is an error.
func valuesAsSelect(ins *ast.InsertStmt, undo *[]func()) error {
	if len(ins.Lists) != 1 || ins.Setlist {
		return errors.New("sqlparse: AsSelect renders an INSERT of one row of VALUES")
	}
	row, cols := ins.Lists[0], ins.Columns
	if len(cols) > 0 && len(cols) != len(row) {
		return errors.New("sqlparse: AsSelect of a row whose values do not match its column list")
	}
	var keptCols []*ast.ColumnName
	fields := make([]*ast.SelectField, 0, len(row))
	for i, e := range row {
		if d, ok := e.(*ast.DefaultExpr); ok {
			if len(cols) == 0 {
				return errors.New("sqlparse: AsSelect of a row with DEFAULT and no column list")
			}
			if d.Name != nil && d.Name.Name.L != cols[i].Name.L {
				return errors.New("sqlparse: AsSelect of a row with DEFAULT of another column")
			}
			continue
		}
		fields = append(fields, &ast.SelectField{Expr: e})
		if len(cols) > 0 {
			keptCols = append(keptCols, cols[i])
		}
	}
	if len(fields) == 0 {
		return errors.New("sqlparse: AsSelect of a row of DEFAULTs")
	}
	lists := ins.Lists
	ins.Lists, ins.Select = nil, &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, SelectStmtOpts: &ast.SelectStmtOpts{SQLCache: true}, Fields: &ast.FieldList{Fields: fields}}
	if len(cols) > 0 {
		ins.Columns = keptCols
	}
	*undo = append(*undo, func() { ins.Lists, ins.Select, ins.Columns = lists, nil, cols })
	return nil
}

// TargetName is the write target's name as the statement spells it,
// quoted (`db`.`t`), for the statements Strata adds on that table (the
// DELETE and INSERT of a row move); "" when the statement has none.
func (s *ShardStmt) TargetName() string {
	impl, ok := s.impl.(*shardImpl)
	if !ok || impl == nil || len(impl.uses) == 0 || impl.uses[0].source == nil {
		return ""
	}
	tn, ok := impl.uses[0].source.Source.(*ast.TableName)
	if !ok {
		return ""
	}
	if tn.Schema.O == "" {
		return QuoteIdentifier(tn.Name.O)
	}
	return QuoteIdentifier(tn.Schema.O) + "." + QuoteIdentifier(tn.Name.O)
}
