package session

import (
	"slices"
	"testing"
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
