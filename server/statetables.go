package server

import (
	"slices"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/twophase"
)

// stateTables are the tables where Strata keeps its own state on the
// servers, which clients may read through it but not change
// (session.Env.SetStateTables): the decisions of transactions over
// several clusters, the marks of online rebalances, and every sequence's
// table (the default one even when no sequence is configured yet: a
// reload may add one).
func stateTables(cfg *config.Config) []sqlparse.TableRef {
	tables := []sqlparse.TableRef{
		{Schema: twophase.Schema, Name: twophase.Table},
		{Schema: shardops.MarksSchema, Name: shardops.MarksTable},
	}
	add := func(table string) {
		schema, name := shardops.SequenceTable(table)
		if t := (sqlparse.TableRef{Schema: schema, Name: name}); !slices.Contains(tables, t) {
			tables = append(tables, t)
		}
	}
	add("")
	for _, sc := range cfg.Sequences {
		add(sc.Table)
	}
	return tables
}

// toolAccounts are the server accounts of Strata's switchover: its own
// and the one replicas log in to their primary with
// (session.Env.SetToolAccounts).
func toolAccounts(cfg *config.Config) []string {
	var names []string
	for _, name := range []string{cfg.Switchover.User, cfg.Switchover.ReplicationUser} {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}
