package session

import (
	"context"
	"strings"

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
	if cl == nil || cl.Primary == nil {
		return false
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
			sources = append(sources, string(r[0]))
		}
		s.env.Cache.Learned(table, sources)
		todo = append(todo, s.env.Cache.Unlearned(sources)...)
	}
	return true
}

// cacheSourcesQuery lists, as schema.table (the schema lower-cased, as
// Session.qualify names tables), the tables a write to which may change
// table ("schema.name") without naming it: parents whose foreign key on
// table acts on delete or update, and tables with a trigger whose body
// mentions table's name (a superset of those that write it).
func cacheSourcesQuery(table string) string {
	schema, name, _ := strings.Cut(table, ".")
	return "SELECT CONCAT(LOWER(UNIQUE_CONSTRAINT_SCHEMA), '.', REFERENCED_TABLE_NAME)" +
		" FROM information_schema.REFERENTIAL_CONSTRAINTS" +
		" WHERE CONSTRAINT_SCHEMA = " + quoteLiteral([]byte(schema)) + " AND TABLE_NAME = " + quoteLiteral([]byte(name)) +
		" AND (DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION'))" +
		" UNION SELECT CONCAT(LOWER(EVENT_OBJECT_SCHEMA), '.', EVENT_OBJECT_TABLE)" +
		" FROM information_schema.TRIGGERS" +
		" WHERE LOCATE(" + quoteLiteral([]byte(name)) + ", ACTION_STATEMENT) > 0"
}
