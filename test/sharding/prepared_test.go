package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// runPrepared runs query with args as a server-side prepared statement
// (go-sql-driver prepares when it is given arguments and does not
// interpolate): COM_STMT_PREPARE, then COM_STMT_EXECUTE with binary values,
// answered in the binary protocol.
func runPrepared(ctx context.Context, q querier, query string, args ...any) (*result, error) {
	return runQueryArgs(ctx, q, query, args...)
}

// Prepared statements over sharded tables route by their bound values and
// answer exactly what one server answers, in the binary protocol.
func TestPreparedStatementsMatchOneServer(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	ctx := context.Background()
	monthStart := times.since.AddDate(0, 20, 0)
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"keyed hash lookup", "SELECT id, title, score, rating, published FROM entries WHERE id = ?", []any{ds.tables["entries"].rows[7][0]}},
		{"IN list over range shards", "SELECT id, kind, amount, happened FROM events WHERE id IN (?, ?, ?) ORDER BY id", []any{5, 1500, 2999}},
		{"scatter aggregate with a bound filter", "SELECT kind, COUNT(*), SUM(amount), AVG(qty), MIN(happened) FROM events WHERE id >= ? GROUP BY kind ORDER BY kind", []any{200}},
		{"date walk with a time parameter and LIMIT ?", "SELECT id, created_at, title FROM posts WHERE created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?", []any{monthStart, 7}},
		{"string key", "SELECT username, country, joined FROM members WHERE username = ?", []any{ds.tables["members"].rows[3][0]}},
		{"NULL key matches nothing", "SELECT COUNT(*) FROM comments WHERE entry_id = ?", []any{nil}},
		{"co-sharded join by key", "SELECT e.id, COUNT(*) FROM entries e JOIN entry_likes l ON e.id = l.entry_id WHERE e.id IN (?, ?) GROUP BY e.id ORDER BY e.id", []any{ds.tables["entries"].rows[1][0], ds.tables["entries"].rows[2][0]}},
		// Whole groups over several shards: a STDDEV goes in full, as one
		// server's binary row has it (the shards' text prints 4 decimals).
		// One shard, prepared there with the client's values as they
		// come: the count's placeholder before the offset's, as written.
		// Before, the shard's statement read LIMIT ?, ?, and the values
		// went to each other's places (29 rows for LIMIT 10 OFFSET 29).
		{"one shard, LIMIT ? OFFSET ?", "SELECT id, kind, amount FROM events WHERE id BETWEEN ? AND ? ORDER BY kind DESC, id LIMIT ? OFFSET ?", []any{805, 927, 10, 29}},
		{"one shard, LIMIT ?, ?", "SELECT id, kind, amount FROM events WHERE id BETWEEN ? AND ? ORDER BY kind DESC, id LIMIT ?, ?", []any{805, 927, 29, 10}},
		{"one shard, derived table's LIMIT ? OFFSET ?", "SELECT d.id, d.qty FROM (SELECT id, qty FROM events WHERE id < ? ORDER BY id LIMIT ? OFFSET ?) d WHERE d.id > ? ORDER BY d.id LIMIT ?", []any{300, 6, 2, 0, 4}},
		{"whole groups' STDDEV and VARIANCE", "SELECT entry_id, COUNT(*), STDDEV_SAMP(id) AS sd, VAR_POP(votes) FROM comments WHERE entry_id < ? GROUP BY entry_id HAVING COUNT(*) > 1 ORDER BY sd DESC, entry_id LIMIT 12", []any{321}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runPrepared(ctx, db, tt.query, tt.args...)
			if err != nil {
				t.Fatalf("through Strata: %v", err)
			}
			want, err := runPrepared(ctx, singleBlog, tt.query, tt.args...)
			if err != nil {
				t.Fatalf("on single: %v", err)
			}
			if !slices.Equal(got.cols, want.cols) || !slices.EqualFunc(got.rows, want.rows, slices.Equal[[]string]) {
				t.Fatalf("%s %v\nStrata: %v %v\nsingle: %v %v", tt.query, tt.args, got.cols, got.rows, want.cols, want.rows)
			}
		})
	}
}

// A prepared INSERT lands on the shard its bound key names.
func TestPreparedInsertRoutesByBoundKey(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	const id = 9100001
	defer cleanup(t, "comments", "id = 9100001")
	for _, entry := range []int64{41, 42} {
		cond := "id = 9100001 AND entry_id = " + itoa64(entry)
		if _, err := db.Exec("INSERT INTO comments (id, entry_id, author, body, created) VALUES (?, ?, ?, ?, ?)", id, entry, "pat", "bound", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		want := shardNames[entry%4]
		if got := holders(t, "comments", cond); !slices.Equal(got, []string{want}) {
			t.Fatalf("row with entry_id %d on %v, want [%s] (modulo 4)", entry, got, want)
		}
		cleanup(t, "comments", cond)
	}
}

func itoa64(n int64) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// An EXECUTE with a bound key runs on the owning shard only.
func TestPreparedKeyedSelectTouchesOneShard(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	stmt, err := db.Prepare("SELECT id, amount FROM events WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	for _, s := range shardNames {
		id := keysOn(ds.tables["events"], s, 1)[0]
		// Relayed as a prepared statement: the shard itself executes it.
		expectTouched(t, "Com_stmt_execute", 10, []string{s}, func() {
			for range 10 {
				var got string
				var amount any
				if err := stmt.QueryRow(id).Scan(&got, &amount); err != nil || got != id {
					t.Fatalf("EXECUTE with id %s: %s, %v", id, got, err)
				}
			}
		})
		expectTouched(t, "Com_select", 10, []string{s}, func() {
			for range 10 {
				var got string
				var amount any
				if err := stmt.QueryRow(id).Scan(&got, &amount); err != nil || got != id {
					t.Fatalf("EXECUTE with id %s: %s, %v", id, got, err)
				}
			}
		})
	}
}

// Aggregates Strata computes from the shards' partials are described to
// the client with the types one server gives them (a COUNT(DISTINCT x) is
// a BIGINT whatever x is; AVG has 4 more decimals), in the text and in the
// binary protocol.
func TestMergedAggregateColumnTypesMatchOneServer(t *testing.T) {
	db := strataDB(t)
	ctx := context.Background()
	describe := func(q querier, args ...any) []string {
		t.Helper()
		return describeColumns(ctx, t, q, func(ct *sql.ColumnType) string {
			p, s, _ := ct.DecimalSize()
			return fmt.Sprintf("%s:%s:%d.%d", ct.Name(), ct.DatabaseTypeName(), p, s)
		}, q2(args), args...)
	}
	for _, args := range [][]any{nil, {0}} { // text, then a prepared statement
		got, want := describe(db, args...), describe(singleBlog, args...)
		for i := range want {
			name := strings.Split(want[i], ":")[0]
			if name == "kind" {
				continue // a plain column: the shards' own definition
			}
			// The precision (display size) of a computed column may differ;
			// the type and the scale must not.
			if typeAndScale(got[i]) != typeAndScale(want[i]) {
				t.Errorf("args %v: column %s is %s through Strata, %s on one server", args, name, got[i], want[i])
			}
		}
	}
}

// q2 is the statement with its placeholder, or the same with a literal
// when there are no arguments (text protocol).
func q2(args []any) string {
	const q = "SELECT kind, COUNT(DISTINCT kind) AS kinds, COUNT(DISTINCT qty) AS qtys, SUM(DISTINCT qty) AS sd, AVG(qty) AS a, AVG(DISTINCT amount) AS ad, COUNT(*) AS n FROM events WHERE id > %s GROUP BY kind ORDER BY kind"
	if len(args) == 0 {
		return fmt.Sprintf(q, "0")
	}
	return fmt.Sprintf(q, "?")
}

func typeAndScale(d string) string {
	parts := strings.Split(d, ":")
	scale := parts[2][strings.Index(parts[2], ".")+1:]
	return parts[1] + ":" + scale
}

// Strata offers MariaDB's bulk execution in front of sharded tables too,
// and splits a batch by shard: an INSERT's rows each land on the shard
// their key names, in one statement (a duplicate key in any row leaves
// none of them, as on one server), and an UPDATE's rows each run where
// their key is, with one OK for the batch that counts them all.
func TestBulkExecuteSplitsOverShards(t *testing.T) {
	strataDB(t) // Strata runs
	c := rawConn(t, strataAddr, "app", "app")
	if !c.Bulk {
		t.Fatal("Strata does not offer COM_STMT_BULK_EXECUTE in front of sharded tables")
	}
	defer func() {
		for _, s := range shardNames {
			_, _ = direct[s].Exec("DELETE FROM blog.comments WHERE author = 'bulk'")
		}
	}()
	str := func(v string) *string { return &v }
	row := func(id, entry, body string) []*string { return []*string{str(id), str(entry), str(body)} }
	insert := testenv.PrepareCmd("INSERT INTO blog.comments (id, entry_id, author, body) VALUES (?, ?, 'bulk', ?)")
	got := testenv.Pipeline(t, c, [][]byte{insert,
		testenv.BulkRows(testenv.LastStmt, row("9100002", "41", "a"), row("9100003", "42", "b"), row("9100004", "43", "c"), row("9100005", "44", "d"))})
	if fmt.Sprint(got) != "[prepared ok 4]" {
		t.Fatalf("a bulk insert of four rows into a sharded table: %v, want it prepared, then OK with 4 rows", got)
	}
	for entry, id := range map[string]string{"41": "9100002", "42": "9100003", "43": "9100004", "44": "9100005"} {
		want := holders(t, "comments", "entry_id = "+entry+" AND author <> 'bulk'")
		if at := holders(t, "comments", "id = "+id); fmt.Sprint(at) != fmt.Sprint(want) {
			t.Errorf("row %s of entry %s is on %v, want %v with the entry's other comments", id, entry, at, want)
		}
	}
	// A duplicate id in the third row: no row of the batch is written.
	got = testenv.Pipeline(t, c, [][]byte{insert,
		testenv.BulkRows(testenv.LastStmt, row("9100006", "41", "e"), row("9100007", "42", "f"), row("9100002", "41", "dup"))})
	if fmt.Sprint(got) != "[prepared error 1062]" {
		t.Errorf("a bulk insert with a duplicate key: %v, want it refused with 1062", got)
	}
	if rows := holders(t, "comments", "id IN (9100006, 9100007)"); len(rows) != 0 {
		t.Errorf("the refused bulk insert left rows on %v", rows)
	}
	// A batch whose statement would pass maxBulkStatement (4 MB) runs as
	// several: every row lands, where its key says.
	var many [][]*string
	body := strings.Repeat("b", 100)
	for i := range 40000 {
		many = append(many, row(fmt.Sprint(9200000+i), fmt.Sprint(1+i%400), body))
	}
	got = testenv.Pipeline(t, c, [][]byte{insert, testenv.BulkRows(testenv.LastStmt, many...)})
	if fmt.Sprint(got) != "[prepared ok 40000]" {
		t.Errorf("a bulk insert of 40000 rows: %v, want it prepared, then OK with 40000 rows", got)
	}
	for _, s := range shardNames {
		// comments is sharded by entry_id modulo 4: each shard holds one
		// remainder, the loaded rows' and the batch's alike.
		q := "SELECT GROUP_CONCAT(DISTINCT entry_id %% 4) FROM blog.comments WHERE author %s 'bulk'"
		loaded := testenv.Strings(t, direct[s], fmt.Sprintf(q, "<>"))
		batch := testenv.Strings(t, direct[s], fmt.Sprintf(q, "=")+" AND id >= 9200000")
		if len(loaded[0]) != 1 || !slices.Equal(batch, loaded) {
			t.Errorf("%s holds the long batch's entries modulo 4 %v, its loaded rows' %v", s, batch, loaded)
		}
	}
	if n := len(holders(t, "comments", "author = 'bulk' AND id >= 9200000")); n != len(shardNames) {
		t.Errorf("the long batch's rows are on %d shards, want all %d", n, len(shardNames))
	}
	var total int
	for _, s := range shardNames {
		var n int
		if err := direct[s].QueryRow("SELECT COUNT(*) FROM blog.comments WHERE author = 'bulk' AND id >= 9200000").Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 40000 {
		t.Errorf("the shards hold %d rows of the long batch, want 40000", total)
	}
	for _, s := range shardNames {
		if _, err := direct[s].Exec("DELETE FROM blog.comments WHERE author = 'bulk' AND id >= 9200000"); err != nil {
			t.Fatal(err)
		}
	}
	// Updates by key, each on its shard; the row of no comment counts none.
	got = testenv.Pipeline(t, c, [][]byte{
		testenv.PrepareCmd("UPDATE blog.comments SET body = ? WHERE entry_id = ? AND id = ?"),
		testenv.BulkRows(testenv.LastStmt, row("x", "41", "9100002"), row("y", "43", "9100004"), row("x", "43", "1"))})
	if fmt.Sprint(got) != "[prepared ok 2]" {
		t.Errorf("a bulk update of two rows: %v, want it prepared, then OK with 2 rows", got)
	}
	var bodies []string
	for _, s := range shardNames {
		bodies = append(bodies, testenv.Strings(t, direct[s], "SELECT CONCAT(id, ':', body) FROM blog.comments WHERE author = 'bulk'")...)
	}
	slices.Sort(bodies)
	if want := "[9100002:x 9100003:b 9100004:y 9100005:d]"; fmt.Sprint(bodies) != want {
		t.Errorf("after the bulk update: %v, want %s", bodies, want)
	}

	// KILL QUERY stops a batch run a row at a time: the row it meets is
	// interrupted and no later row runs.
	killer := strataDB(t)
	go func() {
		time.Sleep(700 * time.Millisecond)
		_, _ = killer.Exec(fmt.Sprintf("KILL QUERY %d", c.ThreadID))
	}()
	got = testenv.Pipeline(t, c, [][]byte{
		testenv.PrepareCmd("UPDATE blog.comments SET votes = 7 + SLEEP(?) WHERE entry_id = ? AND id = ?"),
		testenv.BulkRows(testenv.LastStmt, row("0.5", "41", "9100002"), row("0.5", "42", "9100003"), row("0.5", "43", "9100004"), row("0.5", "44", "9100005"))})
	if fmt.Sprint(got) != "[prepared error 1317]" {
		t.Errorf("a batch of updates killed in its second row: %v, want it prepared, then refused with 1317", got)
	}
	if rows := holders(t, "comments", "author = 'bulk' AND id IN (9100004, 9100005) AND votes IS NOT NULL"); len(rows) != 0 {
		t.Errorf("rows after the killed one were updated, on %v", rows)
	}
}

// Prepared statements a server cannot prepare alone, or that Strata used
// to answer itself, answer as one server: a statement over tables that
// live apart (a subquery or a join across clusters) prepares — before,
// its PREPARE went to the first table's cluster, which lacks the other
// table, and failed with error 1146 — and FOUND_ROWS() after an EXECUTE
// one shard answers whole, with or without placeholders, is that
// shard's count (before, the rows Strata had sent). An EXECUTE without
// placeholders that one shard answers is prepared there, as one with
// them is.
func TestPreparedStatementsOverTablesApart(t *testing.T) {
	shardedData(t)
	db := strataDB(t)
	ctx := context.Background()
	for _, tt := range []struct {
		query string
		args  []any
	}{
		{"SELECT COUNT(*), COUNT(karma) FROM users WHERE karma >= ANY (SELECT votes FROM comments WHERE entry_id < ?)", []any{104}},
		{"SELECT u.id, u.name FROM users u WHERE u.id IN (SELECT entry_id FROM comments WHERE votes > ?) ORDER BY u.id", []any{3}},
		{"SELECT COUNT(*) FROM comments c JOIN users u ON c.entry_id = u.id WHERE u.id < ?", []any{50}},
		{"SELECT COUNT(*) FROM comments WHERE votes IN (SELECT karma FROM users)", nil},
		// LIMIT NULL is no statement: its PREPARE describes no columns,
		// and each EXECUTE's rows carry their own.
		{"SELECT u.id, u.name FROM users u WHERE u.id IN (SELECT entry_id FROM comments) ORDER BY u.id LIMIT ?", []any{3}},
		// Once the subquery is read, a join of tables that live apart is
		// left, whose rows are read first in turn (before: refused).
		{"SELECT COUNT(*), COUNT(l.id) FROM entry_likes l LEFT JOIN events ev ON ev.id = l.user_id WHERE l.weight > ANY (SELECT id FROM orders WHERE customer_id = ?)", []any{154}},
		// One shard, no placeholder: prepared there and its binary rows
		// relayed, a DOUBLE in all its digits (run as text and converted,
		// it had the text's 4 decimals).
		{"SELECT entry_id, STDDEV_SAMP(id), VAR_POP(votes) FROM comments WHERE entry_id = 2 GROUP BY entry_id", nil},
	} {
		conn := &preparing{conn: testenv.Conn(t, db)}
		ref := &preparing{conn: testenv.Conn(t, singleBlog)}
		got, err := runQueryArgs(ctx, conn, tt.query, tt.args...)
		if err != nil {
			t.Errorf("%s: through Strata: %v", tt.query, err)
			continue
		}
		want, err := runQueryArgs(ctx, ref, tt.query, tt.args...)
		if err != nil {
			t.Fatalf("%s: on single: %v", tt.query, err)
		}
		if !slices.Equal(got.cols, want.cols) || !slices.EqualFunc(got.rows, want.rows, slices.Equal[[]string]) {
			t.Errorf("%s %v\nStrata: %v %v\nsingle: %v %v", tt.query, tt.args, got.cols, got.rows, want.cols, want.rows)
		}
	}
	for _, tt := range []struct {
		query string
		args  []any
	}{
		{"SELECT SQL_CALC_FOUND_ROWS qty, id, amount FROM events WHERE id BETWEEN 1029 AND 1787 ORDER BY amount, id LIMIT 3", nil},
		{"SELECT SQL_CALC_FOUND_ROWS qty, id, amount FROM events WHERE id BETWEEN ? AND ? ORDER BY amount, id LIMIT 3", []any{1029, 1787}},
		{"SELECT ev.amount, l.weight, l.id AS lid FROM entry_likes l LEFT JOIN events ev ON ev.id = l.user_id ORDER BY l.weight, lid DESC LIMIT 20 OFFSET 35", nil},
	} {
		var counts []string
		for _, q := range []*sql.DB{db, singleBlog} {
			conn := &preparing{conn: testenv.Conn(t, q)}
			if _, err := runQueryArgs(ctx, conn, tt.query, tt.args...); err != nil {
				t.Fatalf("%s: %v", tt.query, err)
			}
			found, err := runQueryArgs(ctx, conn, "SELECT FOUND_ROWS()")
			if err != nil {
				t.Fatalf("FOUND_ROWS() after %s: %v", tt.query, err)
			}
			counts = append(counts, fmt.Sprint(found.rows))
		}
		if counts[0] != counts[1] {
			t.Errorf("FOUND_ROWS() after the prepared %s: %s through Strata, %s on one server", tt.query, counts[0], counts[1])
		}
	}
}
