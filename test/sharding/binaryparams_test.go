package sharding

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// Bytes that are not UTF-8 text (a hash, an image, a packed id), bound
// through server-side prepared statements as go-sql-driver binds a
// []byte, as a string parameter: a binary column stores them as given,
// also a 6 MB value the driver sends in pieces (COM_STMT_SEND_LONG_DATA),
// and a read by such a value finds its row; a text column refuses them
// as one server does. Before, every such statement over shards failed
// with error 1300 (Strata wrote the value as _utf8mb4 X'...', which the
// shard refused to read).
func TestBinaryParametersOverShards(t *testing.T) {
	got, want := learnedModTable(t, "bin_params", "id INT NOT NULL PRIMARY KEY, b LONGBLOB NULL, v VARBINARY(32) NULL, s VARCHAR(32) NULL")
	small := []byte("\x00\xff'\\\x80 hash")
	big := bytes.Repeat([]byte("0123456789\x00\xff'\\"), 450000) // over 6 MB: sent as long data
	samePreparedWrites(t, got, want, []boundWrite{
		{"INSERT INTO bin_params (id, b, v) VALUES (?, ?, ?), (?, ?, ?)", []any{1, small, small, 2, big, small[:3]}},
		{"INSERT INTO bin_params (id, b, v) VALUES (?, ?, ?)", []any{3, big[:1000], []byte{0xc3}}},
		{"UPDATE bin_params SET v = ? WHERE id = ?", []any{[]byte{0xfe, 0xff}, 3}},
		{"INSERT INTO bin_params (id, s) VALUES (?, ?)", []any{4, small}}, // not text: refused (1366)
		{"INSERT INTO bin_params (id, s) VALUES (?, ?)", []any{5, []byte("ünïcödé \\ '")}},
	})
	sameRowCount(t, got, want, "SELECT CONCAT_WS(' ', id, LENGTH(b), MD5(b), HEX(v), s) FROM bin_params ORDER BY id", 4)
	for _, c := range []struct {
		query string
		arg   []byte
		id    string
	}{
		{"SELECT id FROM bin_params WHERE b = ?", big, "2"},
		{"SELECT id FROM bin_params WHERE v = ? AND id IN (1, 2, 3)", small, "1"},
		{"SELECT id FROM bin_params WHERE v = ?", []byte{0xfe, 0xff}, "3"},
	} {
		if ids := testenv.Strings(t, &preparing{conn: got}, c.query, c.arg); len(ids) != 1 || ids[0] != c.id {
			t.Errorf("%s: %q, want [%s]", c.query, ids, c.id)
		}
	}
}

// boundWrite is a prepared write and its bound values.
type boundWrite struct {
	sql  string
	args []any
}

// samePreparedWrites runs each write as a prepared statement through
// Strata (got) and on the single server (want), one after another, and
// reports each whose outcome (rows affected, insert id, error) differs.
func samePreparedWrites(t *testing.T, got, want execer, writes []boundWrite) {
	t.Helper()
	ctx := testenv.Ctx(t)
	for _, w := range writes {
		gotRes, gotErr := execIn(ctx, got, w.sql, true, w.args...)
		wantRes, wantErr := execIn(ctx, want, w.sql, true, w.args...)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Errorf("%s: %s", w.sql, msg)
		}
	}
}

// sameRowCount reports where query reads other rows through Strata (got)
// than on the single server (want), or not n of them.
func sameRowCount(t *testing.T, got, want querier, query string, n int) {
	t.Helper()
	if g, w := testenv.Strings(t, got, query), testenv.Strings(t, want, query); !slices.Equal(g, w) || len(g) != n {
		t.Errorf("%s through Strata:\n%s\non one server:\n%s", query, strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}
