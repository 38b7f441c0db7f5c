package sharding

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB numbers an AUTO_INCREMENT column given 0 (unless sql_mode has
// NO_AUTO_VALUE_ON_ZERO) or DEFAULT as it numbers NULL. Where a sequence
// hands out the column's ids (zero_seq), such rows take the sequence's
// next id and are placed by it. Where the column is the shard key
// without a sequence (zero_keyed: the row would sit on the shard that
// owns 0, under a number another shard owns) or each shard would number
// it alone for a unique key (zero_notes), the INSERT or LOAD DATA is
// refused and nothing is written. Under NO_AUTO_VALUE_ON_ZERO a 0 is
// stored as 0, on the shard that owns it.
func TestIDsTheServerWouldNumberAreFilledOrRefused(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.zero_seq (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, body VARCHAR(40))", "blog.zero_seq", shardNames...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.zero_keyed (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, body VARCHAR(40))", "blog.zero_keyed", shardNames...)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.zero_notes (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, entry_id BIGINT NOT NULL, body VARCHAR(40))", "blog.zero_notes", shardNames...)
	for _, sh := range shardNames {
		for _, table := range []string{"zero_seq", "zero_keyed", "zero_notes"} {
			mustExec(t, direct[sh], "DELETE FROM blog."+table)
		}
	}
	s := startOwn(t, ownConfig(t, "zero_seq: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3], sequence: {column: id, name: entries_seq}}\n"+
		"  zero_keyed: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}\n  zero_notes: {shard_key: entry_id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	for _, name := range []string{"zero_seq", "zero_keyed", "zero_notes"} {
		testenv.Eventually(t, "the AUTO_INCREMENT column of "+name+" is learned", func() bool {
			return s.Env.Sharding.Layout().Table(name).AutoIncrement == "id"
		})
	}
	db := openStrata(t, s.MySQLAddr())
	conn := testenv.Conn(t, db)
	ctx := testenv.Ctx(t)

	// zero_seq: its sequence numbers a 0 and DEFAULT, text and bound, and
	// each row goes to the shard of the id it got.
	res := mustExec(t, conn, "INSERT INTO zero_seq (id, body) VALUES (0, 'r0'), (DEFAULT, 'r1')")
	first, _ := res.LastInsertId()
	if _, err := conn.ExecContext(ctx, "INSERT INTO zero_seq (id, body) VALUES (?, 'r2')", 0); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for i := range 3 {
		body := fmt.Sprintf("r%d", i)
		var id int64
		if err := conn.QueryRowContext(ctx, "SELECT id FROM zero_seq WHERE body = ?", body).Scan(&id); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if id == 0 || seen[id] || id < first {
			t.Errorf("row %s has id %d: not a new id of the sequence (first %d, seen %v)", body, id, first, seen)
		}
		seen[id] = true
		if got, want := holders(t, "zero_seq", fmt.Sprintf("id = %d AND body = '%s'", id, body)), fmt.Sprintf("s%d", id%4); !slices.Equal(got, []string{want}) {
			t.Errorf("row %s (id %d) is on %v, want %s", body, id, got, want)
		}
	}

	load := func(name, file, stmt string) error {
		mysql.RegisterReaderHandler(name, func() io.Reader { return strings.NewReader(file) })
		defer mysql.DeregisterReaderHandler(name)
		_, err := db.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' "+stmt)
		return err
	}
	refused := func(what, says string, err error) {
		t.Helper()
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: %v, want error 1235 saying %q", what, err, says)
		}
	}
	for _, q := range []struct {
		sql  string
		args []any
		says string
	}{
		{"INSERT INTO zero_keyed (id, body) VALUES (0, 'a')", nil, "the value 0"},
		{"INSERT INTO zero_keyed (id, body) VALUES (5, 'a'), ('0', 'b')", nil, "row 2"},
		{"INSERT INTO zero_keyed (id, body) VALUES (?, 'a')", []any{0}, "the value 0"},
		{"INSERT INTO zero_notes (id, entry_id, body) VALUES (0, 1, 'a')", nil, "each shard's AUTO_INCREMENT"},
		{"INSERT INTO zero_notes (id, entry_id, body) VALUES (DEFAULT, 1, 'a')", nil, "each shard's AUTO_INCREMENT"},
		{"INSERT INTO zero_notes (id, entry_id, body) VALUES (?, ?, 'a')", []any{0, 2}, "each shard's AUTO_INCREMENT"},
	} {
		_, err := db.ExecContext(ctx, q.sql, q.args...)
		refused(fmt.Sprint(q.sql, q.args), q.says, err)
	}
	refused("LOAD DATA of a 0 key", "its id is 0", load("zk", "0,a\n", "INTO TABLE zero_keyed FIELDS TERMINATED BY ',' (id, body)"))
	refused("LOAD DATA of a \\N id", "its id is NULL", load("zn1", "5,1,a\n\\N,2,b\n", "INTO TABLE zero_notes FIELDS TERMINATED BY ',' (id, entry_id, body)"))
	refused("LOAD DATA of a 0 id", "row 2 of the LOAD DATA file for zero_notes: its id is 0", load("zn2", "5,1,a\n0,2,b\n", "INTO TABLE zero_notes FIELDS TERMINATED BY ',' (id, entry_id, body)"))
	refused("LOAD DATA of a 0 id in the table's order", "its id is 0", load("zn3", "6\t1\ta\n0\t2\tb\n", "INTO TABLE zero_notes"))
	for _, table := range []string{"zero_keyed", "zero_notes"} {
		if got := holders(t, table, "1 = 1"); len(got) != 0 {
			t.Fatalf("%s has rows on %v after the refused writes, want none", table, got)
		}
	}

	// Given ids are written; NO_AUTO_VALUE_ON_ZERO makes 0 one of them.
	mustExec(t, conn, "INSERT INTO zero_keyed (id, body) VALUES (5, 'five')")
	if err := load("zn4", "7,1,a\n8,2,b\n", "INTO TABLE zero_notes FIELDS TERMINATED BY ',' (id, entry_id, body)"); err != nil {
		t.Errorf("LOAD DATA with the ids: %v", err)
	}
	mustExec(t, conn, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
	mustExec(t, conn, "INSERT INTO zero_keyed (id, body) VALUES (0, 'zero')")
	if got := holders(t, "zero_keyed", "id = 0 AND body = 'zero'"); !slices.Equal(got, []string{"s0"}) {
		t.Errorf("id 0 under NO_AUTO_VALUE_ON_ZERO is on %v, want s0 (0 mod 4)", got)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO zero_notes (id, entry_id, body) VALUES (?, 3, 'kept')", 0); err != nil {
		t.Errorf("a bound 0 under NO_AUTO_VALUE_ON_ZERO: %v", err)
	}
	if got := holders(t, "zero_notes", "id = 0 AND entry_id = 3"); !slices.Equal(got, []string{"s3"}) {
		t.Errorf("zero_notes id 0 of entry 3 is on %v, want s3", got)
	}
	mustExec(t, conn, "SET SESSION sql_mode = DEFAULT")
	if _, err := conn.ExecContext(ctx, "INSERT INTO zero_keyed (id, body) VALUES (0, 'again')"); testenv.MySQLErr(err) != 1235 {
		t.Errorf("a 0 key after sql_mode = DEFAULT: %v, want error 1235", err)
	}
}
