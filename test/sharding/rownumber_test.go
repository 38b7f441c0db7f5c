package sharding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// A shard that gets some of the rows of an INSERT or a LOAD DATA numbers
// them from 1. The errors and warnings Strata relays name the client's
// row, as one server's do ("Out of range value for column 'n' at row 7",
// "Row 3 doesn't contain data for all columns"), so they point at the
// row to fix, and SHOW WARNINGS lists them in the order of the rows;
// where several shards fail a load, the error is about the file's first
// bad row, where one server stops.
func TestErrorsAndWarningsNameTheClientsRow(t *testing.T) {
	strataDB(t)
	createOn(t, "CREATE TABLE IF NOT EXISTS blog.rownum (id INT NOT NULL PRIMARY KEY, n TINYINT NOT NULL, s VARCHAR(3) NOT NULL)",
		"blog.rownum", append([]string{"single"}, shardNames...)...)
	for _, c := range append([]string{"single"}, shardNames...) {
		if _, err := direct[c].Exec("DELETE FROM blog.rownum"); err != nil {
			t.Fatal(err)
		}
	}
	s := startOwn(t, ownConfig(t, "rownum: {shard_key: id, method: modulo, shards: [s0, s1, s2, s3]}", ""))
	got := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	want := testenv.Conn(t, singleBlog)
	ctx := testenv.Ctx(t)
	load := func(name, file, how string) string {
		return "LOAD DATA LOCAL INFILE '" + registerFile(t, name, file) + "' " + how + " INTO TABLE rownum FIELDS TERMINATED BY ','"
	}
	// Rows go to s<id mod 4>: id 7 is s3's second row, id 3 its first,
	// id 6 s2's second.
	failing := []string{
		"INSERT INTO rownum (id, n, s) VALUES (1, 1, 'a'), (2, 1, 'a'), (3, 1, 'a'), (4, 1, 'a'), (5, 1, 'a'), (6, 1, 'a'), (7, 1000, 'a')",
		"INSERT INTO rownum (id, n, s) VALUES (1, 1, 'a'), (2, 1, 'a'), (6, 1, 'abcd')",
		// Two bad rows: s2's (file row 6) answers before s3's (file
		// row 3), which one server meets first.
		load("rownum1", "1,1,a\n2,1,a\n3,1000,a\n4,1,a\n5,1,a\n6,1,abcd\n", "REPLACE"),
		load("rownum2", "1,1,a\n2,1,a\n3,1,a\n4,1,a\n5,1,a\n6,1\n", "REPLACE"),
		load("rownum3", "id,n,s\n1,1,a\n2,1,a\n3,1,a\n4,1,a\n5,1,a\n6,1\n", "REPLACE") + " IGNORE 1 LINES",
	}
	for _, db := range []*sql.Conn{got, want} {
		mustExec(t, db, "SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
	}
	for _, q := range failing {
		_, gotErr := got.ExecContext(ctx, q)
		_, wantErr := want.ExecContext(ctx, q)
		if g, w := errorText(gotErr), errorText(wantErr); g != w || w == "" {
			t.Errorf("%s:\n  Strata: %v\n  single: %v\nwant the same error", q, gotErr, wantErr)
		}
	}
	// Not strict: the same rows are stored with warnings.
	for _, db := range []*sql.Conn{got, want} {
		mustExec(t, db, "SET SESSION sql_mode = ''")
	}
	for _, q := range []string{
		// Rows 3 and 7 on s3, 5 on s1: each shard's list alone is not in
		// the rows' order.
		"INSERT INTO rownum (id, n, s) VALUES (1, 1, 'a'), (2, 1, 'a'), (3, 1000, 'a'), (4, 1, 'a'), (5, 1, 'abcd'), (6, 1, 'a'), (7, 1, 'abcd')",
		load("rownum4", "11,1,a\n12,1\n13,1,a,x\n14,1000,a\n", ""),
	} {
		_, gotErr := got.ExecContext(ctx, q)
		_, wantErr := want.ExecContext(ctx, q)
		if gotErr != nil || wantErr != nil {
			t.Fatalf("%s:\n  Strata: %v\n  single: %v\nwant both to run", q, gotErr, wantErr)
		}
		// In the order of the rows, as one server lists them.
		g, w := warnings(t, got), warnings(t, want)
		if !slices.Equal(g, w) || len(w) < 2 {
			t.Errorf("%s:\n  SHOW WARNINGS through Strata %q\n  on the single server %q", q, g, w)
		}
	}
}

// onShard is the shard Strata names at the end of a shard's message.
var onShard = regexp.MustCompile(` \(on shard s[0-9]\)$`)

// errorText is an error's code and message without the shard Strata
// names; "" where err is not a server's error.
func errorText(err error) string {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return ""
	}
	return fmt.Sprintf("%d %s", me.Number, onShard.ReplaceAllString(me.Message, ""))
}

// showWarnings are SHOW WARNINGS' rows on db, as "level code message".
func showWarnings(t *testing.T, db *sql.Conn) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SHOW WARNINGS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %s", level, code, msg))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// warnings are SHOW WARNINGS' rows on db without the shard Strata names.
func warnings(t *testing.T, db *sql.Conn) []string {
	t.Helper()
	out := showWarnings(t, db)
	for i, w := range out {
		out[i] = onShard.ReplaceAllString(w, "")
	}
	return out
}
