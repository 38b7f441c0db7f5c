package sqlparse

import (
	"strings"
	"testing"
)

func TestExecComments(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT * FROM t /*M! FOR UPDATE */", "SELECT * FROM t /*!  FOR UPDATE */"},
		{"/*M!100616 SET NOTE_VERBOSITY=0 */", "/*!        SET NOTE_VERBOSITY=0 */"},
		{"/*M!999999\\- enable the sandbox mode */", "/*M!999999\\- enable the sandbox mode */"}, // no server runs it
		{"SELECT '/*M! x */', \"/*M!\" /* /*M! */", "SELECT '/*M! x */', \"/*M!\" /* /*M! */"},   // in strings and comments
		{"SELECT 1 /*! , 2 */", "SELECT 1 /*! , 2 */"},
		{"SELECT 1 /*!40101 , 2 */", "SELECT 1 /*!40101 , 2 */"}, // read alike by the parser
		{"SELECT 1 /*!50700 , 2 */", "SELECT 1 /*       , 2 */"}, // MySQL 5.7 and later only
		{"SELECT 1 /*!99999 , 2 */", "SELECT 1 /*       , 2 */"},
		{"SELECT 1 /*M!50700 , 2 */", "SELECT 1 /*!       , 2 */"},   // MariaDB's own
		{"SELECT 1 /*!1001001 , 2 */", "SELECT 1 /*!      1 , 2 */"}, // six digits of a version at most
		{"SELECT 1 /*!1234 , 2 */", "SELECT 1 /*!1234 , 2 */"},       // fewer than five: code
		{"SELECT 1 /*!999999 , 2 */", "SELECT 1 /*        , 2 */"},
		{"SELECT 1 /*T![clustered_index] , 2 */", "SELECT 1 /*T [clustered_index] , 2 */"}, // TiDB's, a comment to MariaDB
		{"SELECT '/*T!', 1 /*T! , 2 */", "SELECT '/*T!', 1 /*T  , 2 */"},
	}
	for _, tc := range tests {
		if got := (Mode{}).execComments(tc.in); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Executable comments read as MariaDB reads them: what it runs is code,
// what it skips a comment, whichever reads the text (the parser, or
// Strata's scanner for statement shapes).
func TestExecCommentsReadAsMariaDBReadsThem(t *testing.T) {
	tests := []struct {
		sql     string
		locking bool
	}{
		{"SELECT * FROM t WHERE id = 1 /*!50699 FOR UPDATE */", true},
		{"SELECT * FROM t WHERE id = 1 /*!50700 FOR UPDATE */", false},
		{"SELECT * FROM t WHERE id = 1 /*!80016 FOR UPDATE */", false},
		{"SELECT * FROM t WHERE id = 1 /*!100000 FOR UPDATE */", true},
		{"SELECT * FROM t WHERE id = 1 /*M!80016 FOR UPDATE */", true},
		{"SELECT * FROM t WHERE id = 1 /*M!999999 FOR UPDATE */", false},
		{"SELECT * FROM t WHERE id = 1 /*T! FOR UPDATE */", false},
		{"SELECT * FROM t WHERE id = 1 /*T![clustered_index] FOR UPDATE */", false},
	}
	for _, tc := range tests {
		f, err := Parse(tc.sql)
		if err != nil || len(f) != 1 || f[0].Locking != tc.locking {
			t.Errorf("%s: %+v, %v; want locking %v", tc.sql, f, err, tc.locking)
		}
		// The scanner agrees: a value in a skipped comment is no
		// literal of the shape.
		variant := strings.Replace(tc.sql, "id = 1", "id = 2", 1)
		a, _ := AppendShapeKey(nil, tc.sql)
		b, _ := AppendShapeKey(nil, variant)
		if string(a) != string(b) {
			t.Errorf("%s and %s have shapes %q and %q", tc.sql, variant, a, b)
		}
	}
	for _, sql := range []string{"SELECT a FROM t WHERE id = 5 /*!50700 AND b = 7 */", "SELECT a FROM t WHERE id = 5 /*M!999999 AND b = 7 */"} {
		f, err := Classify(sql)
		if err != nil || f.Prepared == nil || f.Prepared.Params != 1 {
			t.Errorf("%s: prepared form %+v, %v; want one parameter, the comment's value not one", sql, f.Prepared, err)
		}
		if v, ok := f.Prepared.Values(nil, sql); !ok || len(v) != 1 || v[0].Text != "5" {
			t.Errorf("%s: values %v, %v; want 5 alone", sql, v, ok)
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
