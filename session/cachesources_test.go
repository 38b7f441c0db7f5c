package session

import (
	"context"
	"slices"
	"testing"

	"github.com/strata-proxy/strata/resultcache"
	"github.com/strata-proxy/strata/topology"
)

func TestViewTables(t *testing.T) {
	for _, tc := range []struct {
		view, definition string
		want             []string
		ok               bool
	}{
		{"blog.v", "select `blog`.`t`.`a` AS `a` from `blog`.`t`", []string{"blog.t"}, true},
		{"blog.v", "select `a` from `t` join `Other`.`u` on 1", []string{"blog.t", "other.u"}, true},
		{"blog.v", "select 1 AS `1`", []string{}, true},
		{"blog.v", "select from where", nil, false},
	} {
		got, ok := viewTables(tc.view, tc.definition)
		if ok != tc.ok || ok && !slices.Equal(got, tc.want) {
			t.Errorf("viewTables(%q, %q) = %v, %v; want %v, %v", tc.view, tc.definition, got, ok, tc.want, tc.ok)
		}
	}
}

// While the primary is down, a cached read of a table whose sources are
// unknown runs uncached at once: it neither waits for the primary nor
// stores an answer that writes Strata could not link to it would leave.
func TestCacheSourcesWithThePrimaryDown(t *testing.T) {
	s := &Session{env: &Env{Cache: resultcache.New(1<<20, 1<<10)}} // no pools: a connection attempt would panic
	down := &topology.Cluster{Name: "main", Primary: &topology.Server{Addr: "127.0.0.1:1", State: topology.StateDown}}
	if s.learnCacheSources(context.Background(), down, []string{"blog.t"}) {
		t.Fatal("learnCacheSources with the primary down = true: the read would be cached without its sources")
	}
	s.env.Cache.Learned("blog.t", nil)
	if !s.learnCacheSources(context.Background(), down, []string{"blog.t"}) {
		t.Fatal("sources already learned: the read may use the cache whatever the primary's state")
	}
}
