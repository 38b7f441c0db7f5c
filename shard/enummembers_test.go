package shard

import (
	"reflect"
	"testing"
)

func TestEnumMembers(t *testing.T) {
	for _, tc := range []struct {
		columnType string
		want       []string // nil: not an ENUM or SET
	}{
		{"enum('zeta','alpha','mid')", []string{"zeta", "alpha", "mid"}},
		{"set('b','a')", []string{"b", "a"}},
		{"ENUM('it''s','a,b','')", []string{"it's", "a,b", ""}},
		{"varchar(20)", nil},
		{"enum('open", nil},
		{"enum('a' 'b')", nil},
	} {
		got, ok := EnumMembers(tc.columnType)
		if ok != (tc.want != nil) || !reflect.DeepEqual(got, tc.want) && tc.want != nil {
			t.Errorf("EnumMembers(%q) = %q, %v; want %q", tc.columnType, got, ok, tc.want)
		}
	}
}
