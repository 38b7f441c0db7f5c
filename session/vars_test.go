package session

import (
	"slices"
	"testing"

	"github.com/strata-proxy/strata/sqlparse"
)

// Settings that set one another keep only what the last one left, since
// they are replayed in name order on the next connection.
func TestVarSetKeepsTheLastOfSettingsThatSetEachOther(t *testing.T) {
	for _, tc := range []struct {
		sets []string // variable names, in the client's order
		want []string // what is replayed, in order
	}{
		{[]string{"character_set_results", "names"}, []string{namesVar}},
		{[]string{"names", "character_set_results"}, []string{namesVar, "character_set_results"}},
		{[]string{"character_set_client", "collation_connection", "character set"}, []string{namesVar}},
		{[]string{"collation_connection", "character_set_connection"}, []string{namesVar, "character_set_connection"}},
		{[]string{"character_set_connection", "collation_connection", "time_zone"}, []string{namesVar, "collation_connection", "time_zone"}},
		{[]string{"collation_server", "character_set_server"}, []string{namesVar, "character_set_server"}},
		{[]string{"character_set_database", "collation_database"}, []string{namesVar, "collation_database"}},
		{[]string{"character_set_results", "character_set_client"}, []string{namesVar, "character_set_client", "character_set_results"}},
	} {
		var v varSet
		v.init(backendCollation)
		for _, name := range tc.sets {
			v.sortedNames() // a cached order must not survive a forgotten name
			v.set(name, "SET "+name)
		}
		if got := v.sortedNames(); !slices.Equal(got, tc.want) {
			t.Errorf("after setting %q: replayed %q, want %q", tc.sets, got, tc.want)
		}
	}
}

// The character set a client reads results in follows SET NAMES until it
// sets character_set_results apart.
func TestResultsCharsetFollowsTheLastSetting(t *testing.T) {
	for _, tc := range []struct {
		sets []sqlparse.SessionVar
		want string
	}{
		{[]sqlparse.SessionVar{{Name: "character_set_results", Value: "latin1"}}, "latin1"},
		{[]sqlparse.SessionVar{{Name: "character_set_results", Value: "latin1"}, {Name: "names", Value: "utf8mb4"}}, ""},
		{[]sqlparse.SessionVar{{Name: "character_set_results", Value: "NULL"}}, "binary"},
		{[]sqlparse.SessionVar{{Name: "character_set_results", Value: "'UTF8'"}}, "utf8mb3"},
		{[]sqlparse.SessionVar{{Name: "character_set_results", Value: "DEFAULT"}}, "unknown"},
		{[]sqlparse.SessionVar{{Name: "character_set_results", Value: "cp1251"}, {Name: "character_set_client", Value: "latin1"}}, "cp1251"},
		{[]sqlparse.SessionVar{{Name: "character_set_results", Value: "cp1251"}, {Name: "character set", Value: "latin1"}}, ""},
	} {
		s := &Session{}
		for _, v := range tc.sets {
			s.learnCharset(v)
		}
		if s.results != tc.want {
			t.Errorf("after %+v: results %q, want %q", tc.sets, s.results, tc.want)
		}
	}
}
