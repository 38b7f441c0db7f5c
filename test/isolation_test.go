package test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

// Sessions never see each other's connection state, however Strata shares
// its backend connections between them: several clients at once set
// session variables and autocommit, open, commit and roll back
// transactions and write in random order (a seeded random walk; the seed
// is logged, STRATA_ISOLATION_SEED replays one). Each checks that it sees
// its own settings, and at the end exactly the rows each one committed are
// on the primary — none lost, none that was rolled back.
func TestSessionStateNeverLeaks(t *testing.T) {
	t.Parallel()
	setupTables(t, "DROP TABLE IF EXISTS blog.iso_rows",
		"CREATE TABLE blog.iso_rows (id INT AUTO_INCREMENT PRIMARY KEY, session INT NOT NULL, step INT NOT NULL)")
	seed := time.Now().UnixNano()
	if s := os.Getenv("STRATA_ISOLATION_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (STRATA_ISOLATION_SEED=%d replays it)", seed, seed)
	// Two connections per server for six clients: every connection serves
	// several sessions in turn.
	db := openSmallStrata(t, 2)
	const sessions, steps = 6, 80
	committed := make([][]int, sessions)
	var wg sync.WaitGroup
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			committed[i] = randomSession(t, db, i, rand.New(rand.NewSource(seed+int64(i))), steps)
		}()
	}
	wg.Wait()
	for i := range sessions {
		got := queryStrings(t, openDirect(t, env.primary, "blog"), "SELECT step FROM iso_rows WHERE session = ? ORDER BY step", i)
		want := make([]string, len(committed[i]))
		for j, s := range committed[i] {
			want[j] = strconv.Itoa(s)
		}
		if !slices.Equal(got, want) {
			t.Errorf("session %d: the primary has steps %v, it committed %v", i, got, want)
		}
	}
}

// sessionModel is what one client has set and written, as MariaDB
// defines it.
type sessionModel struct {
	timeZone   string
	sqlMode    string
	isolation  string
	charset    string
	schema     string
	lastID     int64 // LAST_INSERT_ID(): the id of its last insert, kept across rollbacks
	autocommit bool
	inTx       bool  // BEGIN issued, not yet ended
	pending    []int // steps written in the open transaction
	committed  []int
}

// inTransaction: writes wait for COMMIT (BEGIN, or autocommit off).
func (m *sessionModel) inTransaction() bool { return m.inTx || !m.autocommit }

func (m *sessionModel) commit() {
	m.committed = append(m.committed, m.pending...)
	m.pending, m.inTx = nil, false
}

// randomSession runs steps random actions on one connection and returns
// the steps it committed.
func randomSession(t *testing.T, db *sql.DB, id int, rnd *rand.Rand, steps int) []int {
	// A write left uncommitted on a shared connection holds row locks:
	// with a short lock wait and an overall bound the test fails fast.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer conn.Close()
	m := &sessionModel{timeZone: "SYSTEM", sqlMode: defaultSQLMode(t, conn), autocommit: true,
		isolation: "REPEATABLE-READ", charset: "utf8mb4", schema: "blog"}
	exec := func(q string, args ...any) bool {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Errorf("session %d: %s: %v", id, q, err)
			return false
		}
		return true
	}
	if !exec("SET innodb_lock_wait_timeout = 2") {
		return nil
	}
	// The settings are read with a text query or with a server-side
	// prepared statement, which Strata prepares on whichever connection
	// runs it.
	const settings = "SELECT @@time_zone, @@sql_mode, @@autocommit, @@tx_isolation, @@character_set_client, DATABASE()"
	prepared, err := conn.PrepareContext(ctx, settings)
	if err != nil {
		t.Errorf("session %d: preparing: %v", id, err)
		return nil
	}
	defer prepared.Close()
	zones := []string{"+01:00", "-03:30", "SYSTEM", "+09:00"}
	modes := []string{"ANSI_QUOTES", "STRICT_TRANS_TABLES", "NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO", m.sqlMode}
	levels := []string{"READ-COMMITTED", "REPEATABLE-READ", "SERIALIZABLE", "READ-UNCOMMITTED"}
	charsets := []string{"utf8mb4", "latin1", "utf8mb3"}
	schemas := []string{"blog", "information_schema"}
	for step := 0; step < steps; step++ {
		switch rnd.Intn(13) {
		case 12:
			var got int64
			if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&got); err != nil {
				t.Errorf("session %d: LAST_INSERT_ID(): %v", id, err)
			} else if got != m.lastID {
				t.Errorf("session %d step %d: LAST_INSERT_ID() = %d, its last insert made %d", id, step, got, m.lastID)
			}
		case 11:
			schema := schemas[rnd.Intn(len(schemas))]
			if exec("USE " + schema) {
				m.schema = schema
			}
		case 9:
			level := levels[rnd.Intn(len(levels))]
			if exec("SET SESSION TRANSACTION ISOLATION LEVEL " + strings.ReplaceAll(level, "-", " ")) {
				m.isolation = level
			}
		case 10:
			cs := charsets[rnd.Intn(len(charsets))]
			if exec("SET NAMES " + cs) {
				m.charset = cs
			}
		case 0:
			z := zones[rnd.Intn(len(zones))]
			if exec("SET time_zone = '" + z + "'") {
				m.timeZone = z
			}
		case 1:
			mode := modes[rnd.Intn(len(modes))]
			if exec("SET sql_mode = '" + mode + "'") {
				m.sqlMode = mode
			}
		case 2:
			on := rnd.Intn(2) == 0
			if exec(fmt.Sprintf("SET autocommit = %d", map[bool]int{true: 1, false: 0}[on])) {
				if on && !m.autocommit {
					m.commit() // turning autocommit on commits the open transaction
				}
				m.autocommit = on
			}
		case 3:
			if !m.inTx && exec("BEGIN") {
				m.commit() // BEGIN commits what autocommit-off left open
				m.inTx = true
			}
		case 4:
			if exec("COMMIT") {
				m.commit()
			}
		case 5:
			if exec("ROLLBACK") {
				m.pending, m.inTx = nil, false
			}
		case 6, 7:
			res, err := conn.ExecContext(ctx, "INSERT INTO blog.iso_rows (session, step) VALUES (?, ?)", id, step)
			if err != nil {
				t.Errorf("session %d: INSERT: %v", id, err)
			} else {
				m.lastID, _ = res.LastInsertId()
				if m.inTransaction() {
					m.pending = append(m.pending, step)
				} else {
					m.committed = append(m.committed, step)
				}
			}
		case 8:
			var tz, mode, level, cs, schema string
			var ac int
			var row *sql.Row
			wantSchema := m.schema
			if rnd.Intn(2) == 0 {
				row = prepared.QueryRowContext(ctx)
				wantSchema = "blog" // a prepared statement keeps the database it was prepared in
			} else {
				row = conn.QueryRowContext(ctx, settings)
			}
			if err := row.Scan(&tz, &mode, &ac, &level, &cs, &schema); err != nil {
				t.Errorf("session %d: reading its settings: %v", id, err)
				continue
			}
			if tz != m.timeZone || mode != m.sqlMode || (ac == 1) != m.autocommit || level != m.isolation || cs != m.charset || schema != wantSchema {
				t.Errorf("session %d step %d sees time_zone %s, sql_mode %s, autocommit %d, isolation %s, charset %s, schema %s; want %s, %s, %v, %s, %s, %s",
					id, step, tz, mode, ac, level, cs, schema, m.timeZone, m.sqlMode, m.autocommit, m.isolation, m.charset, wantSchema)
			}
		}
	}
	if exec("COMMIT") {
		m.commit()
	}
	return m.committed
}

func defaultSQLMode(t *testing.T, conn *sql.Conn) string {
	var mode string
	if err := conn.QueryRowContext(context.Background(), "SELECT @@sql_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}

// openSmallStrata starts a Strata of its own in front of the package's
// servers with conns backend connections per server, so its clients'
// sessions take turns on the same connections.
func openSmallStrata(t *testing.T, conns int) *sql.DB {
	t.Helper()
	st := startSmallStrata(t, conns)
	return testenv.Open(t, testenv.DSN(st.MySQLAddr(), "app", "app", "blog"))
}

// startSmallStrata starts the package's Strata with at most conns
// connections per server.
func startSmallStrata(t *testing.T, conns int) *server.Strata {
	t.Helper()
	yaml := strings.Replace(topologyYAML, "limits: {", fmt.Sprintf("limits: {max_conns_per_server: %d, max_idle_per_server: %d, ", conns, conns), 1)
	if yaml == topologyYAML {
		t.Fatal("the package's topology changed: no limits to shrink")
	}
	st, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}
