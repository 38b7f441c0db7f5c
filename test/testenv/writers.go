package testenv

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-proxy/strata/topology"
)

// Writers insert rows into blog.events (id BIGINT PRIMARY KEY, body) through
// a handle until halted, half of them in autocommit and half in
// two-statement transactions, and remember every id whose write was
// acknowledged: what tests of switchovers and failovers check for on the
// new primary.
type Writers struct {
	acked sync.Map // id -> true
	n     atomic.Int64
	errs  atomic.Int64
	last  atomic.Value
	all   sync.Map // error text -> *atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
}

// nextID numbers the rows of every writer of the test binary.
var nextID atomic.Int64

func init() { nextID.Store(1_000_000) }

// StartWriters starts n writers on db.
func StartWriters(db *sql.DB, n int) *Writers {
	w := &Writers{stop: make(chan struct{})}
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go w.loop(db, i%2 == 1)
	}
	return w
}

func (w *Writers) loop(db *sql.DB, tx bool) {
	defer w.wg.Done()
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		id := nextID.Add(1)
		var err error
		if tx {
			err = txInsert(db, id)
		} else {
			_, err = db.Exec("INSERT INTO blog.events (id, body) VALUES (?, 'auto')", id)
		}
		if err != nil {
			w.errs.Add(1)
			w.last.Store(err.Error())
			n, _ := w.all.LoadOrStore(err.Error(), new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			continue
		}
		w.acked.Store(id, true)
		w.n.Add(1)
		if tx {
			w.acked.Store(-id, true)
		}
	}
}

// txInsert writes id and -id in one transaction.
func txInsert(db *sql.DB, id int64) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if _, err := tx.Exec("INSERT INTO blog.events (id, body) VALUES (?, 'tx')", id); err != nil {
		tx.Rollback()
		return err
	}
	if _, err := tx.Exec("INSERT INTO blog.events (id, body) VALUES (?, 'tx')", -id); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Halt stops the writers and waits for them.
func (w *Writers) Halt() {
	close(w.stop)
	w.wg.Wait()
}

// Acked is how many writes (statements or transactions) were acknowledged.
func (w *Writers) Acked() int64 { return w.n.Load() }

// Errors is how many failed, and the last error.
func (w *Writers) Errors() (int64, any) { return w.errs.Load(), w.last.Load() }

// ErrorTexts counts the failed writes by error message.
func (w *Writers) ErrorTexts() map[string]int64 {
	out := map[string]int64{}
	w.all.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// MissingOn lists the acknowledged ids absent from the server behind db.
func (w *Writers) MissingOn(t testing.TB, db *sql.DB) (acked int, missing []int64) {
	t.Helper()
	have := map[int64]bool{}
	rows, err := db.Query("SELECT id FROM blog.events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	w.acked.Range(func(k, _ any) bool {
		acked++
		if id := k.(int64); !have[id] {
			missing = append(missing, id)
		}
		return true
	})
	return acked, missing
}

// MasterOf is where the server behind db replicates from, host:port
// ("" when it does not replicate).
func MasterOf(t testing.TB, db *sql.DB) string {
	t.Helper()
	st, err := topology.ShowReplicaStatus(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if st == nil {
		return ""
	}
	return st["Master_Host"].String + ":" + st["Master_Port"].String
}

// directDBs holds one handle per server for Direct.
var directDBs sync.Map // addr -> *sql.DB

// Direct is a handle on one server as root, bypassing Strata, shared by
// the whole test binary: tests that poll a server in a loop must not open
// a connection per poll (a server has max_connections).
func Direct(t testing.TB, addr string) *sql.DB {
	t.Helper()
	if db, ok := directDBs.Load(addr); ok {
		return db.(*sql.DB)
	}
	db, err := sql.Open("mysql", DSN(addr, "root", "", "blog"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	if prev, loaded := directDBs.LoadOrStore(addr, db); loaded {
		db.Close()
		return prev.(*sql.DB)
	}
	return db
}

// PostJSON sends body to an admin API url and decodes the JSON object it
// answers.
func PostJSON(t testing.TB, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %d, not a JSON object: %s", url, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// GetText is what url answers (the /metrics text, say).
func GetText(t testing.TB, url string) string {
	t.Helper()
	_, body := GetAs(t, url, "", "")
	return body
}

// GetAs is the status and body url answers to a GET with user's HTTP
// Basic credentials (none when user is empty: admin_auth).
func GetAs(t testing.TB, url, user, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// GetJSON decodes what an admin API url answers into v.
func GetJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s answered %d: %s", url, resp.StatusCode, raw)
	}
}

// Eventually polls cond for up to 10 s and fails the test if it never holds.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("after 10s: %s", what)
}

// WaitApplied waits up to 60 s until the server at replica has applied
// everything the server at primary has written (its gtid_binlog_pos now):
// applying may take a while on a loaded machine, so tests wait for the
// position, not for a fixed time.
func WaitApplied(t testing.TB, primary, replica string) error {
	t.Helper()
	var pos string
	if err := Direct(t, primary).QueryRow("SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
		return fmt.Errorf("reading %s's position: %w", primary, err)
	}
	var res sql.NullInt64
	if err := Direct(t, replica).QueryRow("SELECT MASTER_GTID_WAIT(?, 60)", pos).Scan(&res); err != nil || res.Int64 != 0 {
		return fmt.Errorf("%s did not apply %s's position %s within 60s (%v)", replica, primary, pos, err)
	}
	return nil
}

// FreePort is a loopback port nothing listens on now, for a Strata that
// must keep its port across a handover.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
