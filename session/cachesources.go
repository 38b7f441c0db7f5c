package session

import (
	"context"
	"strings"

	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
)

// A cached read of a table is dropped when Strata routes a write to that
// table. A write to another table can change it too, without naming it:
// DELETE of a parent row whose foreign key cascades (ON DELETE CASCADE,
// SET NULL), or a statement whose trigger writes the table. Before the
// first fill of a table, Strata reads those sources from the primary's
// information_schema, so that writes to them invalidate the table as well
// (resultcache.Cache.Learned); a schema change through Strata makes it
// read them again.

// learnCacheSources learns the sources of tables, and theirs in turn,
// on cl's primary. false: they could not be read, and the read must not
// use the cache.
func (s *Session) learnCacheSources(ctx context.Context, cl *topology.Cluster, tables []string) bool {
	todo := s.env.Cache.Unlearned(tables)
	if len(todo) == 0 {
		return true
	}
	if cl == nil || cl.Primary == nil || !cl.Primary.Routable() {
		return false // the read runs uncached rather than wait for a primary that is down
	}
	c, _, err := s.connectPrimary(ctx, cl)
	if err != nil {
		return false
	}
	defer s.put(c)
	for len(todo) > 0 {
		table := todo[0]
		todo = todo[1:]
		rows, err := c.QueryRows(ctx, cacheSourcesQuery(table))
		if err != nil {
			return false
		}
		found, err := readAll(ctx, rows)
		if err != nil {
			return false
		}
		sources := make([]string, 0, len(found))
		for _, r := range found {
			switch string(r[0]) {
			case "source":
				sources = append(sources, string(r[1]))
			case "view":
				base, ok := viewTables(table, string(r[1]))
				if !ok {
					return false
				}
				sources = append(sources, base...)
			}
		}
		s.env.Cache.Learned(table, sources)
		todo = append(todo, s.env.Cache.Unlearned(sources)...)
	}
	return true
}

// cacheSourcesQuery lists the tables a write to which may change table
// ("schema.name") without naming it, as rows ('source', schema.table; the
// schema lower-cased, as Session.qualify names tables): parents whose
// foreign key on table acts on delete or update, tables with a trigger
// whose body mentions table's name, views that mention it (a write
// through them); and, when table is a view, the row ('view', its
// definition), whose tables are its sources too.
func cacheSourcesQuery(table string) string {
	schema, name, _ := strings.Cut(table, ".")
	qs, qn := quoteLiteral([]byte(schema)), quoteLiteral([]byte(name))
	return "SELECT 'source', CONCAT(LOWER(UNIQUE_CONSTRAINT_SCHEMA), '.', REFERENCED_TABLE_NAME)" +
		" FROM information_schema.REFERENTIAL_CONSTRAINTS" +
		" WHERE CONSTRAINT_SCHEMA = " + qs + " AND TABLE_NAME = " + qn +
		" AND (DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION'))" +
		" UNION ALL SELECT 'source', CONCAT(LOWER(EVENT_OBJECT_SCHEMA), '.', EVENT_OBJECT_TABLE)" +
		" FROM information_schema.TRIGGERS WHERE LOCATE(" + qn + ", ACTION_STATEMENT) > 0" +
		" UNION ALL SELECT 'source', CONCAT(LOWER(TABLE_SCHEMA), '.', TABLE_NAME)" +
		" FROM information_schema.VIEWS WHERE LOCATE(" + qn + ", VIEW_DEFINITION) > 0" +
		" UNION ALL SELECT 'view', VIEW_DEFINITION FROM information_schema.VIEWS" +
		" WHERE TABLE_SCHEMA = " + qs + " AND TABLE_NAME = " + qn
}

// viewTables is the tables a view's definition reads, as schema.table
// (the view's own schema where the definition names none).
func viewTables(view, definition string) ([]string, bool) {
	f, err := sqlparse.Classify(definition)
	if err != nil {
		return nil, false
	}
	schema, _, _ := strings.Cut(view, ".")
	out := make([]string, 0, len(f.Tables))
	for _, t := range f.Tables {
		s := t.Schema
		if s == "" {
			s = schema
		}
		out = append(out, strings.ToLower(s)+"."+t.Name)
	}
	return out, true
}
