package planner

import (
	"context"
	"fmt"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// MovePlan is how an UPDATE that sets its rows' shard key moves the rows
// whose new key another shard owns. On every shard but Dest the matched
// rows are read and locked (Select); Dest's own matched rows are updated
// in place (its route's SQL); then the others are inserted on Dest as they
// are, updated there by the statement's own SET (Update, by primary key,
// so MariaDB evaluates every assignment on the row's old values as it
// would have in place, and no row is updated twice) and deleted where
// they were. The executor runs
// it all in one transaction per shard, committed together; rows move only
// with two-phase commit (committed one shard after another, a failure
// between the commits would leave a row on both shards or on neither), so
// without it the executor refuses the statement once it finds rows to move.
type MovePlan struct {
	// Table is the target as named (lower-case), for its columns; Name
	// is the target as the statement spells it, quoted, for the DELETE
	// and INSERT Strata adds.
	Table sqlparse.TableRef
	Name  string
	// Key is the shard key column; Dest the cluster that owns its new
	// value.
	Key  string
	Dest string
	// Update is the statement without its WHERE clause, with its bound
	// values: Strata appends the moved rows' primary keys.
	Update string

	st      *sqlparse.ShardStmt
	sources map[string]sqlparse.Rewrite
}

// Sources lists the clusters whose matched rows move to Dest.
func (m *MovePlan) Sources(p *ShardPlan) []string {
	var out []string
	for _, c := range p.Clusters() {
		if _, ok := m.sources[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// Select renders the SELECT ... FOR UPDATE of the rows that leave
// cluster, with these select items (SQL).
func (m *MovePlan) Select(cluster string, items []string) (string, error) {
	rw, ok := m.sources[cluster]
	if !ok {
		return "", fmt.Errorf("no rows of %s move from %s", m.Table, cluster)
	}
	rw.MoveSelect = items
	if items == nil {
		rw.MoveSelect = []string{} // SELECT *: nil would render the UPDATE
	}
	return m.st.Render(rw)
}

// keyDestination is the shard that owns the new shard key an UPDATE
// assigns, or a refusal naming why Strata cannot move rows there.
func (s *Sharding) keyDestination(ctx context.Context, st *sqlparse.ShardStmt, t *shard.Table, args []string, charset string) (string, error) {
	key := t.Method.Key()
	if st.NewKey == nil {
		return "", refuse("this UPDATE changes %s, the shard key of %s: %s", key, t.Name, st.MoveBlocker)
	}
	if _, ok := t.Method.(shard.Periodic); ok {
		return "", refuse("this UPDATE changes %s, the shard key of date table %s; a row cannot move between period tables: DELETE it and INSERT it again", key, t.Name)
	}
	v, ok := storedKey(*st.NewKey, args, t, charset)
	if !ok || v.IsNull() {
		return "", refuse("this UPDATE sets %s, the shard key of %s, to an expression or NULL; Strata moves rows between shards only to a constant key (a literal or a bound ?): %s", key, t.Name, unroutableKey(t))
	}
	dest, err := s.RowShard(ctx, t, v)
	if err != nil {
		return "", fmt.Errorf("placing the new %s of %s: %w", key, t.Name, err)
	}
	return dest, nil
}

// planMove makes p, the UPDATE's plan over targets, move the rows that
// leave their shards for dest.
func (s *Sharding) planMove(p *ShardPlan, st *sqlparse.ShardStmt, lead int, t *shard.Table, targets []target, dest string, args []string) (*ShardPlan, error) {
	if st.HasLimit {
		return nil, refuse("this UPDATE changes %s, the shard key of %s, with ORDER BY or LIMIT; rows that move between shards cannot be limited: name them in the WHERE clause", t.Method.Key(), t.Name)
	}
	update, err := st.Render(sqlparse.Rewrite{Args: args, NoWhere: true})
	if err != nil {
		return nil, err
	}
	m := &MovePlan{Table: st.Uses[lead].Ref, Name: st.TargetName(), Key: t.Method.Key(), Dest: dest, Update: update, st: st, sources: map[string]sqlparse.Rewrite{}}
	stays := false
	for _, tg := range targets {
		if tg.shard == dest {
			stays = true
			continue
		}
		m.sources[tg.shard] = rewrite(st, lead, t, tg, args, true)
	}
	for i, r := range p.Routes {
		if _, ok := m.sources[r.Cluster]; ok {
			// What runs there first; EXPLAIN shows it.
			if p.Routes[i].SQL, err = m.Select(r.Cluster, nil); err != nil {
				return nil, err
			}
		}
	}
	if !stays {
		// Dest's route runs no statement of the client's: the moved rows'
		// INSERT and UPDATE are Strata's.
		p.Routes = append(p.Routes, ShardRoute{Cluster: dest, Tables: []string{t.Name}})
	}
	p.Kind, p.Move = PlanWrite, m
	p.Reason += fmt.Sprintf("; the new %s belongs to %s: rows matched on other shards move there", t.Method.Key(), dest)
	return p, nil
}
