package sqlparse

import (
	"strings"
	"testing"
)

// A hex or bit literal is written back as the client spelled it: MariaDB
// reads 0x41 and b'1' as numbers where numbers are wanted, X'41' always
// as a string, and b'0000000000000001' as two bytes.
func TestHexAndBitLiteralsKeepTheirSpelling(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"SELECT 0x03 + 0 FROM t", "0x03+0"},
		{"SELECT 0x3 FROM t", "SELECT 0x3 "},
		{"SELECT X'03' FROM t", "SELECT X'03' "},
		{"SELECT x'03' FROM t", "SELECT x'03' "},
		{"SELECT b'0000000000000001' FROM t", "b'0000000000000001'"},
		{"SELECT 0b101 FROM t", "SELECT 0b101 "},
		{"SELECT * FROM t WHERE id IN (0x03, b'101', X'05')", "IN (0x03,b'101',X'05')"},
		{"INSERT INTO t (a, b) VALUES (0x10, b'1'), (0x20, X'41')", "VALUES (0x10,b'1'),(0x20,X'41')"},
		{"UPDATE t SET a = CHAR(0x61) WHERE id = 0x01", "CHAR(0x61) WHERE `id`=0x01"},
		// An introducer makes the literal a string: it is kept, _binary too.
		{"SELECT _latin1 X'41', _binary 0x41, _utf8mb4 b'1' FROM t", "_latin1 X'41',_binary 0x41,_utf8mb4 b'1'"},
	} {
		stmts, err := Mode{}.parseAST(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		got, err := Mode{}.restore(stmts[0])
		if err != nil || !strings.Contains(got, c.want) {
			t.Errorf("%s written back as %s (%v), want %s in it", c.sql, got, err, c.want)
		}
	}
	// Where the grammar wants a string, a hex literal is its bytes.
	f, err := Classify("LOAD DATA LOCAL INFILE 'x' INTO TABLE t FIELDS TERMINATED BY 0x2C")
	if err != nil || f.Load == nil || f.Load.Format.FieldTerm != "," {
		t.Fatalf("LOAD DATA with a hex terminator: %+v, %v", f.Load, err)
	}
}
