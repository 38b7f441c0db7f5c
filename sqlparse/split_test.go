package sqlparse

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	cases := []struct {
		sql  string
		want []string
	}{
		{"", nil},
		{" ; ;; ", nil},
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1;", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 1;;SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 1; -- trailing comment", []string{"SELECT 1"}},
		{"SELECT ';' AS a, \";\" AS b, `;` FROM t; SELECT 2", []string{"SELECT ';' AS a, \";\" AS b, `;` FROM t", "SELECT 2"}},
		{`SELECT 'it''s;', 'a\';b'; SELECT 2`, []string{`SELECT 'it''s;', 'a\';b'`, "SELECT 2"}},
		{"SELECT 1 /* ; */ + 1; SELECT 2 # x;y\n; SELECT 3 -- ;\n", []string{"SELECT 1 /* ; */ + 1", "SELECT 2 # x;y", "SELECT 3 -- ;"}},
		{"/* strata:primary */ SELECT 1; /* strata:pool=b */ SELECT 2", []string{"/* strata:primary */ SELECT 1", "/* strata:pool=b */ SELECT 2"}},
		{"SELECT 1--1; SELECT 2", []string{"SELECT 1--1", "SELECT 2"}}, // -- without a space is minus minus
		{"/*!40101 SET NAMES utf8 */; SELECT 1", []string{"/*!40101 SET NAMES utf8 */", "SELECT 1"}},
		{"BEGIN; UPDATE t SET a = 1; COMMIT", []string{"BEGIN", "UPDATE t SET a = 1", "COMMIT"}},
		{"CREATE PROCEDURE p() BEGIN DECLARE x INT; SET x = 1; IF x THEN SELECT 1; END IF; END; CALL p()",
			[]string{"CREATE PROCEDURE p() BEGIN DECLARE x INT; SET x = 1; IF x THEN SELECT 1; END IF; END", "CALL p()"}},
		{"CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = CASE WHEN NEW.b THEN 1 ELSE 2 END; END; SELECT 1",
			[]string{"CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = CASE WHEN NEW.b THEN 1 ELSE 2 END; END", "SELECT 1"}},
		{"CREATE FUNCTION f() RETURNS INT BEGIN lbl: LOOP LEAVE lbl; END LOOP lbl; CASE 1 WHEN 1 THEN SET @a = 1; END CASE; RETURN 1; END; SELECT f()",
			[]string{"CREATE FUNCTION f() RETURNS INT BEGIN lbl: LOOP LEAVE lbl; END LOOP lbl; CASE 1 WHEN 1 THEN SET @a = 1; END CASE; RETURN 1; END", "SELECT f()"}},
		{"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3", []string{"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", "SELECT 3"}},
		{"CREATE TABLE event (id INT); SELECT 1", []string{"CREATE TABLE event (id INT)", "SELECT 1"}},
		{"SELECT CASE WHEN a THEN 1 END FROM t; SELECT 2", []string{"SELECT CASE WHEN a THEN 1 END FROM t", "SELECT 2"}},
		{"SELECT 'unterminated; SELECT 2", []string{"SELECT 'unterminated; SELECT 2"}},
	}
	for _, c := range cases {
		if got := SplitStatements(c.sql); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q\n got: %q\nwant: %q", c.sql, got, c.want)
		}
	}
}

// Where the parser accepts the text, the split must agree with it.
func TestSplitAgreesWithParser(t *testing.T) {
	for _, sql := range []string{
		"SELECT 1; SELECT 2",
		"SELECT ';'; SELECT \";\"; /* ; */ SELECT 3",
		"CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END; SELECT 3",
		"/*!40101 SET NAMES utf8 */; /*!40101 SET @x = 1 */; SELECT @x",
	} {
		facts, err := Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		split := SplitStatements(sql)
		if len(split) != len(facts) {
			t.Fatalf("%s: split %q, parser %d statements", sql, split, len(facts))
		}
		for i, f := range facts {
			if f.Text != split[i] {
				t.Errorf("%s: statement %d: parser %q, split %q", sql, i, f.Text, split[i])
			}
		}
	}
}
