package sqlparse

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A recursive CTE over sharded tables — a comment thread followed up its
// parent ids, a category tree — cannot run on the shards as written: each
// shard would follow the links through its own rows only. Strata evaluates
// it the way MariaDB does, one round at a time: the anchor's rows first,
// then the recursive part again and again over the rows the round before
// added (in place of the CTE's name), until a round adds none. Each round
// is a statement of its own, scattered and merged like any other read, and
// the CTE's rows then take its place as a table of literals (PullTable).

// RecursiveCTE is a recursive CTE of a statement, split into the parts
// Strata runs: its anchor once, and its step once per round.
type RecursiveCTE struct {
	// Name is the CTE's name, as the statement refers to it.
	Name string
	// Columns is the CTE's own column list, WITH r (a, b) AS ...; nil
	// when the anchor's select list names the columns.
	Columns []string
	// Anchor is the branches that do not read the CTE, as a statement of
	// their own.
	Anchor string
	// Distinct: the branches are joined by UNION (DISTINCT), so a row
	// already found is not added again (which also ends a walk round a
	// cycle); with UNION ALL every row of every round is kept.
	Distinct bool
	// Alone is the CTE as a statement of its own, WITH RECURSIVE ...
	// SELECT * FROM name: its facts tell which tables it reads.
	Alone string
	// refused, when set, is the error MariaDB gives for this definition.
	refused error

	mode   Mode
	prefix string // WITH RECURSIVE and the CTEs before this one, or ""
	steps  []*ast.SelectStmt
	refs   []*ast.TableSource // where the steps read the CTE
}

// Check returns the error MariaDB answers for a recursive CTE it does not
// evaluate (two references to itself in one branch, an aggregate over
// itself, ORDER BY or LIMIT over the whole definition, no anchor), or
// why Strata does not follow it (UNION mixed with UNION ALL), or nil.
func (r *RecursiveCTE) Check() error { return r.refused }

// Step is the recursive branches as one statement, each reading rows in
// the CTE's place: the rows the previous round added, with the CTE's
// column names.
func (r *RecursiveCTE) Step(rows PulledTable) (string, error) {
	for _, ts := range r.refs {
		if ts.AsName.L == "" {
			ts.AsName = ast.NewCIStr(r.Name)
		}
		ts.Source = &rawResultSet{ResultSetNode: &ast.SelectStmt{}, text: "(" + tableOfLiterals(rows) + ")"}
	}
	parts := make([]string, len(r.steps))
	for i, sel := range r.steps {
		after := sel.AfterSetOperator
		sel.AfterSetOperator = nil // the step's own UNION ALL joins them
		text, err := r.mode.restore(sel)
		sel.AfterSetOperator = after
		if err != nil {
			return "", err
		}
		parts[i] = text
	}
	return r.prefix + joinBranches(parts, " UNION ALL "), nil
}

// joinBranches joins SELECTs with op, each in parentheses when there are
// several (a branch's own ORDER BY and LIMIT stay its own).
func joinBranches(branches []string, op string) string {
	if len(branches) == 1 {
		return branches[0]
	}
	return "(" + strings.Join(branches, ")"+op+"(") + ")"
}

// findRecursive collects the CTEs of a WITH RECURSIVE clause: those that
// read themselves as PullRecursive (their rows come from Strata's rounds),
// the others as any CTE's query.
func (p *Pullout) findRecursive(with *ast.WithClause) error {
	for i, cte := range with.CTEs {
		if cte.Query == nil {
			continue
		}
		if !readsTable(cte.Query.Query, cte.Name.L) {
			if err := p.add(cte, cte.Query.Query, PullTable, false); err != nil {
				return err
			}
			if err := p.withCTEsBefore(with, i); err != nil {
				return err
			}
			continue
		}
		rec, err := p.splitRecursive(with, i)
		if err != nil {
			return err
		}
		p.recursive[len(p.nodes)] = rec
		p.Subqueries = append(p.Subqueries, rec.Anchor)
		p.Kinds = append(p.Kinds, PullRecursive)
		p.Typed = append(p.Typed, false)
		p.nodes = append(p.nodes, cte)
	}
	return nil
}

// splitRecursive splits CTE i of with into its anchor and its step.
func (p *Pullout) splitRecursive(with *ast.WithClause, i int) (*RecursiveCTE, error) {
	cte := with.CTEs[i]
	rec := &RecursiveCTE{Name: cte.Name.O, mode: p.mode}
	for _, c := range cte.ColNameList {
		rec.Columns = append(rec.Columns, c.O)
	}
	if i > 0 {
		before := &ast.WithClause{IsRecursive: true, CTEs: with.CTEs[:i]}
		text, err := p.mode.restore(before)
		if err != nil {
			return nil, err
		}
		rec.prefix = text
	}
	through, err := p.mode.restore(&ast.WithClause{IsRecursive: true, CTEs: with.CTEs[:i+1]})
	if err != nil {
		return nil, err
	}
	rec.Alone = through + "SELECT * FROM " + QuoteIdentifier(cte.Name.O)
	restrict := func(format string, code uint16) *RecursiveCTE {
		rec.refused = codedError(code, fmt.Sprintf(format, cte.Name.O))
		return rec
	}
	u, ok := cte.Query.Query.(*ast.SetOprStmt)
	if !ok || u.SelectList == nil {
		return restrict("No anchors for recursive WITH element '%s'", 4006), nil
	}
	if u.OrderBy != nil || u.Limit != nil || u.SelectList.OrderBy != nil || u.SelectList.Limit != nil {
		rec.refused = codedError(1235, "This version of MariaDB doesn't yet support 'global ORDER_BY/LIMIT in recursive CTE spec'")
		return rec, nil
	}
	anchors, union, ok, err := rec.splitBranches(p.mode, u, cte.Name.L)
	if err != nil {
		return nil, err
	}
	if !ok {
		return restrict("Restrictions imposed on recursive definitions are violated for table '%s'", 4008), nil
	}
	if len(anchors) == 0 {
		return restrict("No anchors for recursive WITH element '%s'", 4006), nil
	}
	if union[true] > 0 && union[false] > 0 {
		// MariaDB keeps the rows a UNION ALL after the last UNION
		// DISTINCT adds; rounds of that are not followed here.
		rec.refused = fmt.Errorf("the recursive CTE %s mixes UNION and UNION ALL; Strata follows a recursive CTE over sharded tables round by round with one of them: write UNION ALL or UNION between all its branches", cte.Name.O)
		return rec, nil
	}
	rec.Distinct = union[false] > 0
	op := " UNION ALL "
	if rec.Distinct {
		op = " UNION "
	}
	rec.Anchor = rec.prefix + joinBranches(anchors, op)
	return rec, nil
}

// splitBranches sorts the branches of a recursive CTE's union into its
// anchors (the texts of the branches that do not read the CTE itself) and
// its steps, and counts the UNION ALL (true) and UNION (false) operators
// between them. ok is false where a branch breaks MariaDB's restrictions
// on recursive definitions (error 4008).
func (rec *RecursiveCTE) splitBranches(m Mode, u *ast.SetOprStmt, self string) (anchors []string, union map[bool]int, ok bool, err error) {
	union = map[bool]int{}
	for k, n := range u.SelectList.Selects {
		sel, ok := n.(*ast.SelectStmt)
		if !ok || sel.Kind != ast.SelectStmtKindSelect {
			return nil, nil, false, nil
		}
		if k > 0 && sel.AfterSetOperator != nil {
			switch *sel.AfterSetOperator {
			case ast.UnionAll:
				union[true]++
			case ast.Union:
				union[false]++
			default: // EXCEPT, INTERSECT
				return nil, nil, false, nil
			}
		}
		refs := tableRefs(sel, self)
		if len(refs) == 0 {
			after := sel.AfterSetOperator
			sel.AfterSetOperator = nil
			text, err := m.restore(sel)
			sel.AfterSetOperator = after
			if err != nil {
				return nil, nil, false, err
			}
			anchors = append(anchors, text)
			continue
		}
		if len(refs) > 1 || aggregates(sel) {
			// MariaDB's standard_compliant_cte: one reference to itself
			// per branch, and no aggregate over it.
			return nil, nil, false, nil
		}
		rec.steps = append(rec.steps, sel)
		rec.refs = append(rec.refs, refs...)
	}
	return anchors, union, true, nil
}

// readsTable reports whether q names the table name (unqualified).
func readsTable(q ast.Node, name string) bool { return len(tableRefs(q, name)) > 0 }

// tableRefs lists where q reads the unqualified table name, in subqueries
// too.
func tableRefs(q ast.Node, name string) []*ast.TableSource {
	f := &tableRefFinder{name: name}
	q.Accept(f)
	return f.found
}

type tableRefFinder struct {
	name  string
	found []*ast.TableSource
}

func (f *tableRefFinder) Enter(n ast.Node) (ast.Node, bool) {
	if ts, ok := n.(*ast.TableSource); ok {
		if tn, ok := ts.Source.(*ast.TableName); ok && tn.Schema.L == "" && tn.Name.L == f.name {
			f.found = append(f.found, ts)
		}
	}
	return n, false
}

func (f *tableRefFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// aggregates reports whether a SELECT groups its rows or computes an
// aggregate or a window function of them.
func aggregates(sel *ast.SelectStmt) bool {
	return sel.GroupBy != nil || sel.WindowSpecs != nil || sel.Having != nil ||
		containsNode(sel.Fields, func(n ast.Node) bool { return isAggregate(n) || isWindowFunc(n) })
}

// Recursive returns the recursive CTE subquery i stands for (a
// PullRecursive), whose Anchor is Subqueries[i].
func (p *Pullout) Recursive(i int) *RecursiveCTE { return p.recursive[i] }
