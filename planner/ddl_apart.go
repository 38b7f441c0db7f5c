package planner

import (
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// refuseDDLApart refuses a schema change that names a placed table
// together with a table that lives elsewhere (other: its name), saying
// what to do instead. No server holds both, and each form needs its own
// way round: the generic message about joins would only mislead.
func refuseDDLApart(f *sqlparse.Facts, placed *shard.Table, other string) error {
	what := placedAs(placed)
	switch f.DDLForm {
	case "rename":
		return refuse("renaming %s, %s, is not supported: the config places the table by its name, and the new name would be a table of the default cluster. To rename it, stop writing to it, run the RENAME on each of its servers directly, change its name under tables: in the config and reload Strata (strata reload)", placed.Name, what)
	case "create-select":
		return refuse("CREATE TABLE %s ... SELECT from %s, %s, is not supported: the new table would live on the default cluster, which does not hold %[2]s's rows. Create %[1]s with CREATE TABLE, then fill it with INSERT INTO %[1]s SELECT ... FROM %[2]s, which Strata runs by reading the rows first", other, placed.Name, what)
	case "create-like":
		return refuse("CREATE TABLE %s LIKE %s, %s, is not supported: %[2]s is not on the default cluster, where %[1]s would be made. Copy its definition from SHOW CREATE TABLE %[2]s into a CREATE TABLE %[1]s", other, placed.Name, what)
	case "view":
		return refuse("a view over %s, %s, is not supported: a view lives on one server and reads only that server's tables, so it would not see %[1]s's rows. Query %[1]s through Strata instead, with the view's SELECT", placed.Name, what)
	case "create":
		return refuse("CREATE TABLE naming %s, %s, with %s (a FOREIGN KEY to a table on other servers?) is not supported: a server can only check keys of its own tables. Leave out the foreign key, or place both tables together", placed.Name, what, other)
	case "drop":
		return refuse("DROP TABLE of %s, %s, together with %s, which lives elsewhere: Strata drops a placed table on its own servers only. Drop the tables one by one", placed.Name, what, other)
	}
	return refuse("schema change naming %s, %s, and %s, which lives elsewhere: no one server holds both. Run it for each table by itself", placed.Name, what, other)
}

// refuseDDLApartIf refuses a schema change whose tables do not all live
// in one place (the shards, every shard as a reference table, one
// cluster), nil when they do. placed are its placed tables, unplaced the
// default cluster's.
func refuseDDLApartIf(l *shard.Layout, f *sqlparse.Facts, placed []*shard.Table, unplaced []string) error {
	homes := map[string]bool{}
	for _, t := range placed {
		homes[homeOf(t)] = true
	}
	if len(unplaced) > 0 {
		homes["cluster "+l.DefaultCluster()] = true
	}
	if len(placed) == 0 || len(homes) < 2 {
		return nil
	}
	for _, t := range placed {
		for _, o := range placed {
			if homeOf(o) != homeOf(t) {
				return refuseDDLApart(f, t, o.Name)
			}
		}
	}
	return refuseDDLApart(f, placed[0], unplaced[0])
}

// homeOf is where a placed table's rows live, as one name: sharded
// tables share one (a schema change runs on each of their shards), as do
// reference tables.
func homeOf(t *shard.Table) string {
	switch t.Placement {
	case shard.PlaceSharded, shard.PlaceReference:
		return t.Placement.String()
	}
	return "cluster " + t.Cluster
}

// placedAs says where a placed table lives, for a message.
func placedAs(t *shard.Table) string {
	switch t.Placement {
	case shard.PlaceSharded:
		return "a sharded table"
	case shard.PlaceReference:
		return "a reference table (a copy on every shard)"
	}
	return "a table of cluster " + t.Cluster
}
