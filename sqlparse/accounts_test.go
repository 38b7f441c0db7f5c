package sqlparse

import (
	"slices"
	"testing"
)

// An account statement names the accounts it creates, changes, renames,
// drops or revokes from, by user name, whether the parser reads it or
// not; GRANT, which only adds, names none, and CURRENT_USER is
// OwnAccount's.
func TestAccountsChanged(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"DROP USER 'strata'@'127.0.0.1', app@localhost", []string{"strata", "app"}},
		{"DROP USER IF EXISTS `strata`", []string{"strata"}},
		{"ALTER USER 'strata'@'localhost' IDENTIFIED BY 'x'", []string{"strata"}},
		{"ALTER USER 'strata'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('x')", []string{"strata"}},
		{"SET PASSWORD FOR 'strata'@'127.0.0.1' = PASSWORD('x')", []string{"strata"}},
		{"RENAME USER 'strata'@'%' TO 'old'@'%'", []string{"strata", "old"}},
		{"REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'strata'@'127.0.0.1'", []string{"strata"}},
		{"REVOKE SELECT ON strata.* FROM 'app'@'%'", []string{"app"}},
		{"CREATE OR REPLACE USER 'strata'@'127.0.0.1' IDENTIFIED BY 'x'", []string{"strata"}},
		{"GRANT SELECT ON *.* TO 'strata'@'127.0.0.1'", nil},
		{"DROP USER CURRENT_USER()", nil},
		{"SELECT 'strata'@'127.0.0.1'", nil},
	}
	for _, tt := range tests {
		fs, _ := Mode{}.ParseOrFallback(tt.sql)
		if got := fs[0].AccountsChanged; !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.sql, got, tt.want)
		}
	}
}
