package test

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// sjisHyo is 表 in sjis: 0x95 0x5C, a backslash as its second byte.
const sjisHyo = "\x95\x5c"

// A client whose character set is sjis (also cp932, gbk, big5) sends
// two-byte characters whose second byte may be a backslash. The server
// reads '表' as a whole string; Strata reads the statement the same way,
// so a read with such a character runs on a replica, and a write after a
// string that ends in one reaches the primary.
func TestMultibyteCharsetStatementsReadAsTheServerReadsThem(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.mb_sjis (id INT PRIMARY KEY, v VARCHAR(20) CHARACTER SET utf8mb4)")
	db := openStrata(t, "multiStatements=true", "charset=sjis")
	direct := openDirect(t, env.primary, "blog")
	ctx := ctxFor(t)
	conn := testenv.Conn(t, db)

	if _, err := conn.ExecContext(ctx, "INSERT INTO mb_sjis VALUES (1, '"+sjisHyo+"')"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, direct, "SELECT v FROM mb_sjis WHERE id = 1"); len(got) != 1 || got[0] != "表" {
		t.Fatalf("the row written in sjis reads %q on the primary, want 表", got)
	}
	if err := env.SB.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}

	// A read with 表 in a string is a read: a replica answers it.
	before, beforeReplicas := readsByServer(t, "mb_sjis")
	if got := queryStrings(t, conn, "SELECT COUNT(*) FROM mb_sjis WHERE v = '"+sjisHyo+"'"); len(got) != 1 || got[0] != "1" {
		t.Fatalf("SELECT COUNT(*) ... WHERE v = '表' = %v, want 1", got)
	}
	after, afterReplicas := readsByServer(t, "mb_sjis")
	if after != before || sum(afterReplicas) == sum(beforeReplicas) {
		t.Errorf("a read of '表' in sjis: rows read on the primary %d -> %d, on the replicas %d -> %d; want it on a replica",
			before, after, sum(beforeReplicas), sum(afterReplicas))
	}

	// Read byte by byte, the backslash escapes the quote and all that
	// follows is one string: a read. The server runs an INSERT.
	hidden := "SELECT '" + sjisHyo + "' AS a; INSERT INTO mb_sjis VALUES (2, NULL); -- '"
	if _, err := conn.ExecContext(ctx, hidden); err != nil {
		t.Fatalf("a SELECT of '表' and an INSERT: %v (a replica's 1290 means the INSERT was read as part of a string)", err)
	}
	if got := queryStrings(t, direct, "SELECT COUNT(*) FROM mb_sjis WHERE id = 2"); len(got) != 1 || got[0] != "1" {
		t.Fatalf("the INSERT after '表' is not on the primary: %v", got)
	}

	// CONNECTION_ID() after '表' is code to the server: it answers
	// Strata's id there too, not the backend connection's.
	own := queryStrings(t, conn, "SELECT CONNECTION_ID()")
	var a, id string
	if err := conn.QueryRowContext(ctx, "SELECT '"+sjisHyo+"' AS a, CONNECTION_ID()").Scan(&a, &id); err != nil || len(own) != 1 || id != own[0] {
		t.Errorf("SELECT '表', CONNECTION_ID() = %q, %v; want the session's id %v", id, err, own)
	}

	// The character set named in the handshake (a collation id) counts
	// as SET NAMES does.
	byHandshake := openStrata(t, "multiStatements=true", "collation=sjis_japanese_ci")
	hidden = "SELECT '" + sjisHyo + "' AS a; INSERT INTO mb_sjis VALUES (3, NULL); -- '"
	if _, err := byHandshake.ExecContext(ctx, hidden); err != nil {
		t.Fatalf("sjis from the handshake: a SELECT of '表' and an INSERT: %v", err)
	}
	if got := queryStrings(t, direct, "SELECT COUNT(*) FROM mb_sjis WHERE id = 3"); len(got) != 1 || got[0] != "1" {
		t.Fatalf("sjis from the handshake: the INSERT after '表' is not on the primary: %v", got)
	}
}

// A session variable whose value Strata reads from sjis text cannot be
// replayed on another connection: the session stays on the one that ran
// the SET, which must be the primary's, so its writes still work.
func TestSessionVariableSetInMultibyteText(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.mb_var (id INT PRIMARY KEY)")
	conn := testenv.Conn(t, openStrata(t, "charset=sjis"))
	ctx := ctxFor(t)
	queryStrings(t, conn, "SELECT COUNT(*) FROM mb_var") // a read: its replica's connection may serve the SET
	if _, err := conn.ExecContext(ctx, "SET SESSION time_zone = IF('"+sjisHyo+"' = '"+sjisHyo+"', '+01:00', '+00:00')"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO mb_var VALUES (1)"); err != nil {
		t.Fatalf("a write after a SET in sjis text: %v", err)
	}
	if got := queryStrings(t, conn, "SELECT @@time_zone"); len(got) != 1 || got[0] != "+01:00" {
		t.Fatalf("@@time_zone = %q, want +01:00", got)
	}
}
