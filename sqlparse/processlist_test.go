package sqlparse

import (
	"reflect"
	"testing"
)

// ProcessListRefs finds information_schema.PROCESSLIST where a statement
// names it as a table, and only there.
func TestProcessListRefs(t *testing.T) {
	for _, tc := range []struct {
		sql      string
		inSchema bool
		want     []string // the names found, then "+alias" when one follows
	}{
		{"SELECT * FROM information_schema.PROCESSLIST", false, []string{"information_schema.PROCESSLIST"}},
		{"SELECT ID FROM `INFORMATION_SCHEMA`.`processlist` p WHERE p.INFO LIKE '%x%'", false, []string{"`INFORMATION_SCHEMA`.`processlist`+alias"}},
		{"SELECT id FROM information_schema . processlist AS pl", false, []string{"information_schema . processlist+alias"}},
		{"SELECT COUNT(*) FROM information_schema.processlist WHERE command <> 'Sleep'", false, []string{"information_schema.processlist"}},
		{"SELECT (SELECT COUNT(*) FROM information_schema.processlist), 1 FROM t JOIN information_schema.processlist USING (id)", false,
			[]string{"information_schema.processlist", "information_schema.processlist"}},
		{"SELECT * FROM processlist", true, []string{"processlist"}},
		{"SELECT * FROM processlist", false, nil},
		{"SELECT processlist FROM t", true, nil},
		{"SELECT information_schema.processlist.ID FROM information_schema.processlist", false, []string{"information_schema.processlist"}},
		{"SELECT * FROM app.processlist", true, nil},
		{"SELECT 'information_schema.processlist' /* information_schema.processlist */", false, nil},
	} {
		var got []string
		for _, r := range (Mode{}).ProcessListRefs(tc.sql, tc.inSchema) {
			name := tc.sql[r.Start:r.End]
			if r.Aliased {
				name += "+alias"
			}
			got = append(got, name)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ProcessListRefs(%q, %v) = %q, want %q", tc.sql, tc.inSchema, got, tc.want)
		}
	}
}
