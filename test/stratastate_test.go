package test

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/twophase"
)

// XA RECOVER lists every prepared XA transaction of a server to every
// client of its account, Strata's own branches of transactions over
// several clusters too. A client that rolled one back (a cleanup script
// run through Strata after a crash) would take back writes its
// transaction committed elsewhere and acknowledged; committing one would
// keep writes the transaction rolled back. And a client's own XA
// transaction in Strata's format would be settled by Strata's resolver.
// So XA statements naming Strata's format id are refused with 1235; a
// client's XA transactions in any other format run as on the server.
func TestStratasXATransactionsAreNotTheClients(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	setupTables(t, "CREATE TABLE IF NOT EXISTS blog.xa_probe (id INT PRIMARY KEY)")
	// A branch a crashed Strata left prepared on the primary.
	x := twophase.XID{Gtrid: "strata-xatest-1", Coordinator: "main"}
	branch := openDirect(t, env.primary, "blog")
	branch.SetMaxIdleConns(0) // the branch outlives its connection, closed after
	dc, err := branch.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{twophase.Start(x), "INSERT INTO xa_probe VALUES (1)", twophase.End(x), twophase.Prepare(x)} {
		if _, err := dc.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	dc.Close()
	direct := openDirect(t, env.primary, "blog")
	t.Cleanup(func() { _, _ = direct.Exec("XA ROLLBACK " + x.SQL()) })

	c, err := openStrata(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{
		"XA ROLLBACK " + x.SQL(),
		"XA COMMIT " + x.SQL(),
		fmt.Sprintf("XA COMMIT X'%x', X'%x', 0x%x", x.Gtrid, x.Coordinator, twophase.FormatID),
		fmt.Sprintf("XA START 'mine', 'b', %d", twophase.FormatID),
	} {
		if _, err := c.ExecContext(ctx, q); mysqlErr(err) != 1235 || !strings.Contains(err.Error(), "Strata's own") {
			t.Errorf("%s: %v, want error 1235 saying the transaction is Strata's", q, err)
		}
	}
	if !recovered(t, direct, x.Gtrid) {
		t.Errorf("Strata's prepared branch %s is gone after the refused statements", x.Gtrid)
	}
	// The client's own XA transaction, in the default format.
	for _, q := range []string{"XA START 'mine'", "INSERT INTO xa_probe VALUES (2)", "XA END 'mine'", "XA PREPARE 'mine'", "XA COMMIT 'mine'"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s through Strata: %v", q, err)
		}
	}
	if got := queryStrings(t, direct, "SELECT id FROM xa_probe WHERE id = 2"); len(got) != 1 {
		t.Errorf("the client's own XA transaction committed rows %v, want id 2", got)
	}
}

// recovered reports whether XA RECOVER on db lists gtrid.
func recovered(t *testing.T, db *sql.DB, gtrid string) bool {
	t.Helper()
	rows, err := db.QueryContext(ctxFor(t), "XA RECOVER")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var format, glen, blen int64
		var data []byte
		if err := rows.Scan(&format, &glen, &blen, &data); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(data), gtrid) {
			return true
		}
	}
	return false
}

// Strata keeps its own state in schema strata on the servers: the
// decisions of transactions over several clusters, the id sequences'
// next blocks, the marks of online rebalances. Every client logs in to
// the servers as Strata's account, which may change them: a decision row
// deleted would let the resolver roll back a branch of a committed
// transaction, a sequence set back would hand out ids already used. So a
// client's write, lock or definition change of those tables, or a drop of
// their schema, gets MariaDB's error for a database the account may not
// use (1044); reads still work, and so does an application's own table
// in that schema.
func TestStratasSchemaIsNotTheClients(t *testing.T) {
	t.Parallel()
	setupTables(t, append(slices.Clone(twophase.CreateStatements),
		"INSERT IGNORE INTO strata.strata_twophase (gtrid, decision) VALUES ('strata-state-test', 'commit')")...)
	ctx := ctxFor(t)
	c, err := openStrata(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{
		"DELETE FROM strata.strata_twophase",
		"UPDATE strata.strata_twophase SET decision = 'abort'",
		"INSERT INTO strata.strata_twophase (gtrid, decision) VALUES ('x', 'abort')",
		"TRUNCATE TABLE strata.strata_twophase",
		"SELECT * FROM strata.strata_twophase FOR UPDATE",
		"LOCK TABLES strata.strata_twophase READ",
		"ALTER TABLE strata.strata_twophase ADD COLUMN note INT",
		"DROP TABLE strata.strata_sequences",
		"DROP DATABASE strata",
		"USE strata",
		"DELETE FROM strata_twophase", // the schema is strata now
	} {
		_, err := c.ExecContext(ctx, q)
		switch {
		case q == "USE strata":
			if err != nil {
				t.Fatalf("USE strata: %v", err)
			}
		case mysqlErr(err) != 1044 || !strings.Contains(err.Error(), "Strata keeps its own state"):
			t.Errorf("%s: %v, want error 1044 saying the schema is Strata's", q, err)
		}
	}
	if got := queryStrings(t, c, "SELECT decision FROM strata.strata_twophase WHERE gtrid = 'strata-state-test'"); len(got) != 1 || got[0] != "commit" {
		t.Errorf("reading Strata's schema through Strata: %v, want the decision row, unchanged", got)
	}
	// An application's own table in a schema of that name is its own.
	for _, q := range []string{"CREATE TABLE IF NOT EXISTS strata.app_own (id INT)", "INSERT INTO strata.app_own VALUES (1)", "DROP TABLE strata.app_own"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
