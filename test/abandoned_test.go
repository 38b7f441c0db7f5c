package test

import (
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A client that disconnects inside a transaction, or holding a lock,
// leaves its server connection to Strata's pool: the server must not keep
// its row locks, GET_LOCK()s or LOCK TABLES for as long as that connection
// sits idle. Another client's statement that waits for them goes on as
// soon as the first client is gone, as it would with the server alone.
func TestLocksOfADisconnectedClientAreFreed(t *testing.T) {
	t.Parallel()
	setupTables(t,
		"CREATE TABLE blog.abandoned (id INT PRIMARY KEY, v INT NOT NULL)",
		"INSERT INTO blog.abandoned VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)")
	st := startSmallStrata(t, 4)
	dsn := testenv.DSN(st.MySQLAddr(), "app", "app", "blog")
	db := testenv.Open(t, dsn)
	cases := []struct {
		name string
		// leave runs on the client that disconnects; wait, on another
		// client, would wait for what leave left.
		leave []string
		wait  string
		want  string // wait's single value, when it returns one
	}{
		{"transaction", []string{"BEGIN", "UPDATE abandoned SET v = v + 1 WHERE id = 1"},
			"UPDATE abandoned SET v = v + 1 WHERE id = 1", ""},
		{"autocommit off", []string{"SET autocommit = 0", "UPDATE abandoned SET v = v + 1 WHERE id = 2"},
			"UPDATE abandoned SET v = v + 1 WHERE id = 2", ""},
		{"failed statement, autocommit off", []string{"SET autocommit = 0", "INSERT INTO abandoned VALUES (3, 0)"},
			"UPDATE abandoned SET v = v + 1 WHERE id = 3", ""},
		{"GET_LOCK", []string{"SELECT GET_LOCK('abandoned_lock', 0)"},
			"SELECT GET_LOCK('abandoned_lock', 3)", "1"},
		{"LOCK TABLES", []string{"LOCK TABLES abandoned WRITE"},
			"UPDATE abandoned SET v = v + 1 WHERE id = 5", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxFor(t)
			// The waiting client holds a connection of its own (a
			// GET_LOCK keeps it), so it cannot be handed the one the
			// leaver left: it sees what the pool left on the server.
			waiter := testenv.Conn(t, db)
			for _, q := range []string{
				"SET SESSION innodb_lock_wait_timeout = 3, lock_wait_timeout = 3",
				fmt.Sprintf("SELECT GET_LOCK('abandoned_waiter_%d', 0)", i),
			} {
				if _, err := waiter.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}

			leaverDB := testenv.Open(t, dsn)
			leaver := testenv.Conn(t, leaverDB)
			for _, q := range tc.leave {
				if _, err := leaver.ExecContext(ctx, q); err != nil && mysqlErr(err) != 1062 {
					t.Fatalf("%s: %v", q, err)
				}
			}
			leaver.Close()
			leaverDB.Close() // COM_QUIT, then the socket closes

			var got string
			if tc.want != "" {
				err := waiter.QueryRowContext(ctx, tc.wait).Scan(&got)
				if err != nil || got != tc.want {
					t.Fatalf("%s after the lock's holder disconnected: %q, %v; want %s (the lock stayed on a pooled connection)", tc.wait, got, err, tc.want)
				}
				return
			}
			if _, err := waiter.ExecContext(ctx, tc.wait); err != nil {
				t.Fatalf("%s after the lock's holder disconnected: %v (its lock stayed on a pooled connection)", tc.wait, err)
			}
		})
	}
	// What the operator sees: every one of those connections was reset
	// as it came back.
	testenv.Eventually(t, "/api/topology counts the primary's resets on return", func() bool {
		var topo struct {
			Clusters []struct {
				Primary struct {
					Connections struct {
						ResetOnReturn int `json:"reset_on_return"`
					} `json:"connections"`
				} `json:"primary"`
			} `json:"clusters"`
		}
		testenv.GetJSON(t, "http://"+st.AdminAddr()+"/api/topology", &topo)
		return len(topo.Clusters) == 1 && topo.Clusters[0].Primary.Connections.ResetOnReturn >= len(cases)
	})
}
