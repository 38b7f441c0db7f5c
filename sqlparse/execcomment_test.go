package sqlparse

import "testing"

func TestExecComments(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT * FROM t /*M! FOR UPDATE */", "SELECT * FROM t /*!  FOR UPDATE */"},
		{"/*M!100616 SET NOTE_VERBOSITY=0 */", "/*!        SET NOTE_VERBOSITY=0 */"},
		{"/*M!999999\\- enable the sandbox mode */", "/*M!999999\\- enable the sandbox mode */"}, // no server runs it
		{"SELECT '/*M! x */', \"/*M!\" /* /*M! */", "SELECT '/*M! x */', \"/*M!\" /* /*M! */"},   // in strings and comments
		{"SELECT 1 /*! , 2 */", "SELECT 1 /*! , 2 */"},
	}
	for _, tc := range tests {
		if got := (Mode{}).execComments(tc.in); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// What MariaDB runs in /*M! ... */ is read as code: a locking read goes
// to the primary, a write after a read is seen.
func TestMariaDBExecutableCommentsAreCode(t *testing.T) {
	f, err := Parse("SELECT * FROM t /*M! FOR UPDATE */")
	if err != nil || len(f) != 1 || !f[0].Locking || f[0].ReadOnly {
		t.Errorf("SELECT ... /*M! FOR UPDATE */: %+v, %v; want a locking read", f, err)
	}
	f, err = Parse("SELECT 1; /*M!100000 INSERT INTO t VALUES (1) */")
	if err != nil || len(f) != 2 || f[1].Kind != KindInsert {
		t.Errorf("SELECT 1; /*M!100000 INSERT ... */: %d statements, %v; want a SELECT and an INSERT", len(f), err)
	}
	f, err = Parse("/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */")
	if err != nil || len(f) != 1 || !f[0].SetsUserVars || len(f[0].SessionVars) != 1 {
		t.Errorf("mariadb-dump's SET: %+v, %v; want a user variable and a session variable set", f, err)
	}
}
