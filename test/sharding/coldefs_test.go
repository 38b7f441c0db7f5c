package sharding

import (
	"context"
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/wire"
)

// The column definitions of a result name the table a column is read from
// (org_table) as one server holding the table names it: the date-sharded
// posts, not the period table a shard read (posts_2025_01), which mysqli's
// orgtable, JDBC's getTableName and the updatable result sets built on it
// would show. Before, every read of posts named its period tables. Also
// compared: the rest of each definition, for merged reads, aggregates and
// the other kinds of tables. (Not yet alike: the flags and decimals of
// some aggregates Strata merges in parts beside a COUNT(DISTINCT x) not
// grouped by the shard key, and that COUNT, which keeps x's table and
// column names; docs/sharding.md.)
func TestColumnDefinitionsAsOneServer(t *testing.T) {
	strataDB(t)
	ctx := context.Background()
	viaStrata, single := rawConn(t, strataAddr, "app", "app"), rawConn(t, clusterAddr["single"], "root", "")
	textDefs := func(c *backend.Conn, q string) []string {
		rows, err := c.QueryRows(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for {
			if _, err := rows.Next(ctx); err != nil {
				break
			}
		}
		return describeDefs(t, rows.ColumnPackets())
	}
	for _, q := range []string{
		"SELECT id, title, created_at FROM blog.posts WHERE created_at = (SELECT MIN(created_at) FROM blog.posts)", // one period table
		"SELECT p.id, p.title FROM blog.posts p ORDER BY p.id LIMIT 2",                                             // merged over periods
		"SELECT id, author, votes, created FROM blog.comments WHERE entry_id = 1",
		"SELECT c.id, c.author AS who FROM blog.comments c ORDER BY id LIMIT 3",
		"SELECT entry_id, COUNT(*), SUM(votes), AVG(votes), MIN(created), MAX(author), GROUP_CONCAT(id) FROM blog.comments GROUP BY entry_id ORDER BY entry_id LIMIT 2",
		"SELECT COUNT(*), SUM(votes), AVG(votes) FROM blog.comments",
		// Grouped by the shard key: each shard counts its groups' distinct
		// values itself (before, the shards sent them, and Strata's
		// counts were described otherwise).
		"SELECT entry_id, COUNT(*), SUM(votes), MAX(author), COUNT(DISTINCT author) FROM blog.comments GROUP BY entry_id ORDER BY entry_id LIMIT 2",
		"SELECT code, name FROM blog.countries ORDER BY code LIMIT 2",
		"SELECT username, age FROM blog.members ORDER BY username LIMIT 2",
	} {
		if got, want := textDefs(viaStrata, q), textDefs(single, q); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n  Strata: %v\n  single: %v", q, got, want)
		}
	}
	// A prepared read of one period table, answered in the binary
	// protocol as the shard's own answer relayed.
	var first string
	if err := singleBlog.QueryRow("SELECT MIN(created_at) FROM posts").Scan(&first); err != nil {
		t.Fatal(err)
	}
	prepared := func(c *backend.Conn) []string {
		sql := fmt.Sprintf("SELECT id, title FROM blog.posts WHERE created_at = '%s' AND id > ?", first)
		for _, p := range [][]byte{testenv.PrepareCmd(sql), testenv.ExecuteInt(testenv.LastStmt, 0)} {
			c.Seq = 0
			if err := c.WritePacket(p); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := testenv.ReadPrepareReply(t, c); got != "prepared" {
			t.Fatalf("PREPARE %s: %s", sql, got)
		}
		head, err := c.ReadPacket()
		if err != nil || head[0] == wire.HeaderErr {
			t.Fatalf("EXECUTE %s: %v %q", sql, err, head)
		}
		n, _ := wire.ReadLenEnc(head)
		var defs [][]byte
		for range n {
			p, err := c.ReadPacket()
			if err != nil {
				t.Fatal(err)
			}
			defs = append(defs, append([]byte(nil), p...))
		}
		// The rest: an EOF after the definitions (unless CLIENT_DEPRECATE_EOF),
		// binary rows (header 0x00), and the EOF or OK (0xfe) that ends them.
		ends := 2
		if c.Flavor.DeprecateEOF {
			ends = 1
		}
		for ends > 0 {
			p, err := c.ReadPacket()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case p[0] == wire.HeaderErr:
				t.Fatalf("EXECUTE %s: %v", sql, wire.ParseErr(p))
			case p[0] == wire.HeaderEOF && len(p) < 0xffffff:
				ends--
			}
		}
		return describeDefs(t, defs)
	}
	if got, want := prepared(viaStrata), prepared(single); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("prepared read of one period table:\n  Strata: %v\n  single: %v", got, want)
	}
}

// describeDefs writes each ColumnDefinition41 payload's names and fixed
// fields out.
func describeDefs(t *testing.T, defs [][]byte) []string {
	t.Helper()
	var out []string
	for _, p := range defs {
		var f []string
		pos := 0
		for range 6 { // catalog, schema, table, org_table, name, org_name
			l, n := wire.ReadLenEnc(p[pos:])
			if n == 0 || pos+n+int(l) > len(p) {
				t.Fatalf("truncated column definition %q", p)
			}
			f = append(f, string(p[pos+n:pos+n+int(l)]))
			pos += n + int(l)
		}
		fixed := p[pos+1:]
		f = append(f, fmt.Sprintf("cs=%d len=%d type=%d flags=%#x dec=%d", int(fixed[0])|int(fixed[1])<<8,
			uint32(fixed[2])|uint32(fixed[3])<<8|uint32(fixed[4])<<16|uint32(fixed[5])<<24, fixed[6], int(fixed[7])|int(fixed[8])<<8, fixed[9]))
		out = append(out, fmt.Sprint(f))
	}
	return out
}
