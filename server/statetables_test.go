package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sqlparse"
)

// Strata's own state on the servers is the two-phase decision log, the
// rebalance marks and each sequence's table, wherever the config puts it.
func TestStateTables(t *testing.T) {
	cfg := &config.Config{Sequences: map[string]*config.Sequence{
		"a": {}, "b": {Table: "ids"}, "c": {Table: "blog.ids"}, "d": {Table: "strata_sequences"},
	}}
	got := stateTables(cfg)
	want := []sqlparse.TableRef{
		{Schema: "strata", Name: "strata_twophase"}, {Schema: "strata", Name: "rebalance_marks"},
		{Schema: "strata", Name: "strata_sequences"}, {Schema: "strata", Name: "ids"}, {Schema: "blog", Name: "ids"},
	}
	byName := func(a, b sqlparse.TableRef) int { return strings.Compare(a.String(), b.String()) }
	slices.SortFunc(got, byName)
	slices.SortFunc(want, byName)
	if !slices.Equal(got, want) {
		t.Fatalf("state tables %v, want %v", got, want)
	}
}

// The switchover's accounts, its own and the replicas', are Strata's too.
func TestToolAccounts(t *testing.T) {
	cfg := &config.Config{Switchover: config.Switchover{User: "switcher", ReplicationUser: "repl"}}
	if got := toolAccounts(cfg); !slices.Equal(got, []string{"switcher", "repl"}) {
		t.Fatalf("tool accounts %v", got)
	}
	if got := toolAccounts(&config.Config{}); len(got) != 0 {
		t.Fatalf("tool accounts without a switchover: %v", got)
	}
}
