package sharding

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
)

const (
	movesDDL    = "CREATE TABLE IF NOT EXISTS blog.moves (id BIGINT PRIMARY KEY, owner INT NOT NULL, v INT NOT NULL)"
	movesRows   = 2000
	movesBefore = `moves: {shard_key: id, method: hash, shards: {s0: "-80", s1: "80-"}}`
	movesAfter  = `moves: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
)

// movesConfig writes a config file for a Strata of the test's own with
// the moves table placed by line, and returns its path and YAML.
func movesConfig(t *testing.T, dir, line string) string {
	t.Helper()
	yaml := strings.Replace(times.strataYAML("127.0.0.1:0", "127.0.0.1:0"), "monitor: {interval: 10s}", "monitor: {interval: 1h}", 1)
	yaml = strings.Replace(yaml, "tables:\n", "tables:\n  "+line+"\n", 1)
	path := filepath.Join(dir, "strata.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return yaml
}

// resetMoveTable drops a test table and its move's marks left by an
// earlier run, and creates it on every shard for the test.
func resetMoveTable(t *testing.T, table, ddl string) {
	t.Helper()
	for _, sh := range shardNames {
		direct[sh].Exec("DROP TABLE IF EXISTS blog." + table)
		direct[sh].Exec("DELETE FROM strata.rebalance_marks WHERE schema_name = 'blog' AND table_name = ?", table)
	}
	createOn(t, ddl, "blog."+table, shardNames...)
}

// insertIDs writes rows 1..n with v = id through db.
func insertIDs(t *testing.T, db *sql.DB, table string, n int) {
	t.Helper()
	var values []string
	for id := 1; id <= n; id++ {
		values = append(values, fmt.Sprintf("(%d, %d)", id, id))
	}
	if _, err := db.Exec("INSERT INTO " + table + " (id, v) VALUES " + strings.Join(values, ", ")); err != nil {
		t.Fatal(err)
	}
}

// waitKeyType waits until s has learned table's key type.
func waitKeyType(t *testing.T, s *server.Strata, table string, want shard.KeyType) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); s.Env.Sharding.Layout().Table(table).KeyType != want; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the key type of %s was not learned within 15 s", table)
		}
	}
}

// moveStatus is GET /api/rebalance of the admin API at admin.
func moveStatus(t *testing.T, admin string) shardops.MoveStatus {
	t.Helper()
	var st shardops.MoveStatus
	_, raw := testenv.GetAs(t, admin+"/api/rebalance", "", "")
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatalf("GET /api/rebalance: %v: %s", err, raw)
	}
	return st
}

// awaitMove polls the move's status until it is no longer running,
// calling during (if set) before each look.
func awaitMove(t *testing.T, admin string, during func()) shardops.MoveStatus {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if during != nil {
			during()
		}
		st := moveStatus(t, admin)
		if st.State != shardops.MoveRunning {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the move still runs after 90 s: %+v", st)
		}
	}
}

// moveConfig writes the config file of movesConfig into dir and loads it
// (so the Strata it starts has a file to re-read).
func moveConfig(t *testing.T, dir, line string) *config.Config {
	t.Helper()
	movesConfig(t, dir, line)
	cfg, err := config.Load(filepath.Join(dir, "strata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// movesLedger is what the writers know they did: each row's expected v,
// and the rows they inserted and deleted.
type movesLedger struct {
	mu   sync.Mutex
	v    map[int64]int
	errs []error
}

func (l *movesLedger) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 5 {
		l.errs = append(l.errs, err)
	}
}

// A hash table split from two shards to four while writers and readers
// use it through Strata: half the rows move (s1 both gives and takes),
// in batches, each under the table's fence. Every acknowledged write is
// on the shard the new layout places it on, once; every read during the
// move finds the rows that did not change, once; UPDATEs by key never
// miss their row. Then the table is placed by the new layout alone.
func TestOnlineRebalanceKeepsEveryWrite(t *testing.T) {
	strataDB(t)
	resetMoveTable(t, "moves", movesDDL)
	dir := t.TempDir()
	cfg := moveConfig(t, dir, movesBefore)
	s := startOwn(t, cfg)
	admin := "http://" + s.AdminAddr()
	waitKeyType(t, s, "moves", shard.KeyTypeInteger)

	// Refusals name why.
	for _, tc := range []struct{ table, want string }{
		{"moves", "places table moves as Strata does now"},
		{"orders", "lookup tables do not move online"},
		{"members", "places table members as Strata does now"},
		{"nosuch", "not sharded"},
	} {
		code, body := testenv.PostJSON(t, admin+"/api/rebalance?table="+tc.table, "")
		if msg, _ := body["error"].(string); code != 409 || !strings.Contains(msg, tc.want) {
			t.Errorf("POST /api/rebalance?table=%s: %d %v; want 409 saying %q", tc.table, code, body, tc.want)
		}
	}

	prepared := openStrata(t, s.MySQLAddr())                                                     // server-side prepared statements
	text, err := sql.Open("mysql", "app:app@tcp("+s.MySQLAddr()+")/blog?interpolateParams=true") // text protocol
	if err != nil {
		t.Fatal(err)
	}
	defer text.Close()
	ledger := &movesLedger{v: map[int64]int{}}
	var values []string
	for id := int64(1); id <= movesRows; id++ {
		values = append(values, fmt.Sprintf("(%d, %d, 0)", id, id%4))
		ledger.v[id] = 0
	}
	if _, err := text.Exec("INSERT INTO moves (id, owner, v) VALUES " + strings.Join(values, ", ")); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := int64(0); w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			movesWriter(prepared, w, ledger, stop)
		}()
	}
	var reads, readRounds int
	wg.Add(1)
	go func() {
		defer wg.Done()
		reads, readRounds = movesReader(text, ledger, stop)
	}()

	time.Sleep(300 * time.Millisecond)
	movesConfig(t, dir, movesAfter)
	code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=moves&batch=40", "")
	if code != 202 {
		close(stop)
		wg.Wait()
		t.Fatalf("POST /api/rebalance?table=moves: %d %v", code, body)
	}
	var tables []struct {
		Name   string   `json:"name"`
		Shards []string `json:"shards"`
		Moving bool     `json:"moving"`
	}
	_, raw := testenv.GetAs(t, admin+"/api/tables", "", "")
	if err := json.Unmarshal([]byte(raw), &tables); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.Name == "moves" && (!tb.Moving || len(tb.Shards) != 4) {
			t.Errorf("GET /api/tables during the move: %+v, want moving over four shards", tb)
		}
	}
	st := awaitMove(t, admin, nil)
	time.Sleep(300 * time.Millisecond) // writes by the new layout alone
	close(stop)
	wg.Wait()

	if st.State != shardops.MoveDone {
		t.Fatalf("the move did not end well: %+v", st)
	}
	for _, err := range ledger.errs {
		t.Error(err)
	}
	if st.Moved < movesRows/4 || st.Batches < 10 {
		t.Errorf("the move moved %d rows in %d batches; want at least %d rows (a quarter of them) in batches of 40", st.Moved, st.Batches, movesRows/4)
	}
	if reads == 0 || readRounds == 0 {
		t.Errorf("the reader read %d rows by key and counted %d times during the move", reads, readRounds)
	}
	t.Logf("moved %d rows in %d batches (%d retries) in %s; statements held %.1f ms per batch on average, %.1f ms at most; the reader read %d rows by key and counted %d times",
		st.Moved, st.Batches, st.Retries, st.Finished.Sub(st.Started).Round(time.Millisecond), st.PauseTotalMs/float64(st.Batches+st.Retries), st.PauseMaxMs, reads, readRounds)
	if st.PauseMaxMs <= 0 || st.PauseTotalMs < st.PauseMaxMs {
		t.Errorf("the move's pauses: max %.2f ms, total %.2f ms", st.PauseMaxMs, st.PauseTotalMs)
	}

	// Every row the writers know of is there once, with its value, on the
	// shard the new layout places it on.
	got := map[int64]int{}
	for _, sh := range shardNames {
		rows, err := direct[sh].Query("SELECT id, v FROM blog.moves")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var v int
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			if _, twice := got[id]; twice {
				t.Errorf("row %d is on two shards", id)
			}
			got[id] = v
		}
		rows.Close()
	}
	for id, v := range ledger.v {
		if g, ok := got[id]; !ok || g != v {
			t.Errorf("row %d: found %v (present %v), want v = %d", id, g, ok, v)
		}
	}
	if len(got) != len(ledger.v) {
		t.Errorf("the shards hold %d rows, the writers know of %d", len(got), len(ledger.v))
	}
	layout, open := controlPlaneOf(t, strings.Replace(times.strataYAML(strataAddr, strataAdmin), "tables:\n", "tables:\n  "+movesAfter+"\n", 1))
	for _, r := range shardops.Verify(t.Context(), layout, open, "blog", "moves", 3) {
		if r.Misplaced != 0 || r.Error != "" {
			t.Errorf("verify after the move: %+v", r)
		}
	}
	if m := s.Env.Sharding.Layout().Table("moves").Method; m.Name() != "hash" || len(m.Shards()) != 4 {
		t.Errorf("after the move the table is placed by %T over %v, want hash over four shards", m, m.Shards())
	} else if _, moving := m.(*shard.Moving); moving {
		t.Error("after the move the table is still placed by the moving method")
	}
	metrics := testenv.GetText(t, admin+"/metrics")
	if !strings.Contains(metrics, fmt.Sprintf(`strata_shard_rebalanced_rows_total{table="moves"} %d`, st.Moved)) {
		t.Errorf("/metrics does not count the %d rows moved", st.Moved)
	}
	if !strings.Contains(metrics, fmt.Sprintf(`strata_shard_rebalance_pause_seconds_count{table="moves"} %d`, st.Batches+st.Retries)) {
		t.Errorf("/metrics does not count the pauses of the %d batches", st.Batches+st.Retries)
	}
}

// movesWriter updates, inserts and deletes rows of its own (id % 4 == w)
// through Strata until stop, recording what each acknowledged write did.
func movesWriter(db *sql.DB, w int64, l *movesLedger, stop chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(w), 7))
	own := func() int64 { return 4*rng.Int64N(movesRows/4) + w } // 0 for writer 0 is no row: skipped
	var inserted []int64
	next := 100000 * (w + 1)
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		switch {
		case n%11 == 10:
			// A transaction holds the row's lock across statements: a
			// batch that needs it waits, gives up and comes back.
			id := own()
			if id == 0 {
				continue
			}
			tx, err := db.Begin()
			if err != nil {
				l.fail(err)
				return
			}
			var v int
			err = updateOne(tx.Exec, id)
			if err == nil {
				err = tx.QueryRow("SELECT v FROM moves WHERE id = ?", id).Scan(&v)
			}
			if err == nil {
				err = updateOne(tx.Exec, id)
			}
			if err != nil {
				tx.Rollback()
				l.fail(fmt.Errorf("writer %d, in a transaction: %w", w, err))
				return
			}
			if err := tx.Commit(); err != nil {
				l.fail(fmt.Errorf("writer %d: commit: %w", w, err))
				return
			}
			l.mu.Lock()
			l.v[id] += 2
			l.mu.Unlock()
		case n%5 == 4:
			next++
			if _, err := db.Exec("INSERT INTO moves (id, owner, v) VALUES (?, ?, 0)", next, w); err != nil {
				l.fail(fmt.Errorf("writer %d: insert %d: %w", w, next, err))
				return
			}
			inserted = append(inserted, next)
			l.mu.Lock()
			l.v[next] = 0
			l.mu.Unlock()
		case n%7 == 6 && len(inserted) > 0:
			id := inserted[0]
			inserted = inserted[1:]
			res, err := db.Exec("DELETE FROM moves WHERE id = ?", id)
			if err != nil {
				l.fail(fmt.Errorf("writer %d: delete %d: %w", w, id, err))
				return
			}
			if n, _ := res.RowsAffected(); n != 1 {
				l.fail(fmt.Errorf("writer %d: DELETE of row %d, which it inserted, deleted %d rows", w, id, n))
				return
			}
			l.mu.Lock()
			delete(l.v, id)
			l.mu.Unlock()
		default:
			id := own()
			if id == 0 {
				continue
			}
			if err := updateOne(db.Exec, id); err != nil {
				l.fail(fmt.Errorf("writer %d: %w", w, err))
				return
			}
			l.mu.Lock()
			l.v[id]++
			l.mu.Unlock()
		}
	}
}

// updateOne adds one to row id's v and checks that it found the row.
func updateOne(exec func(string, ...any) (sql.Result, error), id int64) error {
	res, err := exec("UPDATE moves SET v = v + 1 WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("update of row %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("UPDATE of row %d changed %d rows: the row was not where Strata looked", id, n)
	}
	return nil
}

// movesReader reads the rows no writer changes (owner 3) by key and
// counts them by scatter until stop: each must be found once.
func movesReader(db *sql.DB, l *movesLedger, stop chan struct{}) (reads, rounds int) {
	for id := int64(3); ; id += 4 {
		if id > movesRows {
			id = 3
		}
		select {
		case <-stop:
			return reads, rounds
		default:
		}
		var v, n int
		if err := db.QueryRow("SELECT v FROM moves WHERE id = ?", id).Scan(&v); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				err = errors.New("not found")
			}
			l.fail(fmt.Errorf("reading row %d by its key: %w", id, err))
			return reads, rounds
		}
		reads++
		if id%100 == 3 {
			if err := db.QueryRow("SELECT COUNT(*) FROM moves WHERE owner = 3").Scan(&n); err != nil {
				l.fail(fmt.Errorf("counting the unchanged rows: %w", err))
				return reads, rounds
			}
			if n != movesRows/4 {
				l.fail(fmt.Errorf("counting the unchanged rows during the move found %d, want %d", n, movesRows/4))
				return reads, rounds
			}
			rounds++
		}
	}
}

// A Strata that stops during an online move leaves each source's mark
// beside its rows (strata.rebalance_marks, written in the batch's own
// transaction). The next Strata, started with the file's new layout,
// places the table as the move left it — not by the file, which would
// miss every row not moved yet — and carries the move on to its end.
func TestOnlineRebalanceResumesAfterARestart(t *testing.T) {
	strataDB(t)
	const before = `relocs: {shard_key: id, method: hash, shards: {s0: "-80", s1: "80-"}}`
	const after = `relocs: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	const rows = 800
	resetMoveTable(t, "relocs", "CREATE TABLE blog.relocs (id BIGINT PRIMARY KEY, v INT NOT NULL)")
	dir := t.TempDir()
	first, err := startConfig(moveConfig(t, dir, before))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			first.Close()
		}
	}()
	db := openStrata(t, first.MySQLAddr())
	insertIDs(t, db, "relocs", rows)
	waitKeyType(t, first, "relocs", shard.KeyTypeInteger)

	movesConfig(t, dir, after)
	admin := "http://" + first.AdminAddr()
	if code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=relocs&batch=10", ""); code != 202 {
		t.Fatalf("POST /api/rebalance: %d %v", code, body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st := moveStatus(t, admin)
		if st.Batches >= 5 {
			break
		}
		if time.Now().After(deadline) || st.State != shardops.MoveRunning {
			t.Fatalf("waiting for 5 batches: %+v", st)
		}
	}
	first.Close()
	closed = true
	var marked int
	if err := direct["s0"].QueryRow("SELECT COUNT(*) FROM strata.rebalance_marks WHERE schema_name = 'blog' AND table_name = 'relocs' AND mark <> ''").Scan(&marked); err != nil || marked != 1 {
		t.Fatalf("s0, the first source, keeps %d marks of the move (%v), want 1", marked, err)
	}

	// The offline rebalance would move rows by the file's layout alone.
	afterLayout, open := controlPlaneOf(t, strings.Replace(times.strataYAML(strataAddr, strataAdmin), "tables:\n", "tables:\n  "+after+"\n", 1))
	if _, err := shardops.Rebalance(t.Context(), afterLayout, open, "blog", "relocs", 100, true); err == nil || !strings.Contains(err.Error(), "online move of relocs is unfinished") {
		t.Errorf("an offline rebalance during the unfinished move: %v, want refused", err)
	}

	// Hold every row of s1, the second source, so the next Strata cannot
	// move them while the test reads them through it.
	hold, err := direct["s1"].Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var onS1 []int64
	lock, err := hold.Query("SELECT id FROM blog.relocs FOR UPDATE")
	if err != nil {
		t.Fatal(err)
	}
	for lock.Next() {
		var id int64
		lock.Scan(&id)
		onS1 = append(onS1, id)
	}
	lock.Close()
	if len(onS1) == 0 {
		t.Fatal("s1 holds no rows of relocs")
	}

	cfg, err := config.Load(filepath.Join(dir, "strata.yaml")) // the file the first left: the new layout
	if err != nil {
		t.Fatal(err)
	}
	second := startOwn(t, cfg)
	if m := second.Env.Sharding.Layout().Table("relocs").Method; !isMoving(m) {
		t.Fatalf("after the restart relocs is placed by %s over %v, not as the move left it", m.Name(), m.Shards())
	}
	db = openStrata(t, second.MySQLAddr())
	for i, id := range onS1 {
		if i%8 != 0 {
			continue
		}
		var v int64
		if err := db.QueryRow("SELECT v FROM relocs WHERE id = ?", id).Scan(&v); err != nil || v != id {
			t.Fatalf("row %d, on s1 and not moved yet, read by its key through the restarted Strata: v = %d, %v", id, v, err)
		}
	}
	hold.Rollback()

	st := awaitMove(t, "http://"+second.AdminAddr(), nil)
	if st.State != shardops.MoveDone || st.Moved == 0 {
		t.Fatalf("the resumed move: %+v", st)
	}
	var n, sum int64
	if err := db.QueryRow("SELECT COUNT(*), SUM(v - id) FROM relocs").Scan(&n, &sum); err != nil || n != rows || sum != 0 {
		t.Errorf("through Strata after the move: %d rows (sum of v - id %d, %v), want %d unchanged", n, sum, err, rows)
	}
	for _, r := range shardops.Verify(t.Context(), afterLayout, open, "blog", "relocs", 3) {
		if r.Misplaced != 0 || r.Error != "" {
			t.Errorf("verify after the resumed move: %+v", r)
		}
	}
	for _, sh := range []string{"s0", "s1"} {
		if err := direct[sh].QueryRow("SELECT COUNT(*) FROM strata.rebalance_marks WHERE schema_name = 'blog' AND table_name = 'relocs'").Scan(&marked); err != nil || marked != 0 {
			t.Errorf("%s keeps %d marks of the finished move (%v)", sh, marked, err)
		}
	}
}

func isMoving(m shard.Method) bool {
	_, ok := m.(*shard.Moving)
	return ok
}

// Two Strata in front of the same shards. While the first moves a table,
// the second refuses its statements (it would place keys by a layout the
// batches change) — from before the first batch on. When the first stops
// mid-move, the second takes the move over and finishes it; then, its
// own file still naming the old layout, it refuses the table until the
// file says the new one and is reloaded.
func TestOnlineRebalanceWithTwoStrata(t *testing.T) {
	strataDB(t)
	const before = `twins: {shard_key: id, method: hash, shards: {s0: "-80", s1: "80-"}}`
	const after = `twins: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	const rows = 1000
	resetMoveTable(t, "twins", "CREATE TABLE blog.twins (id BIGINT PRIMARY KEY, v INT NOT NULL)")
	start := func(dir string) *server.Strata {
		s, err := startConfig(moveConfig(t, dir, before))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	a, b := start(dirA), start(dirB)
	closedA := false
	defer func() {
		if !closedA {
			a.Close()
		}
		b.Close()
	}()
	dbA, dbB := openStrata(t, a.MySQLAddr()), openStrata(t, b.MySQLAddr())
	insertIDs(t, dbA, "twins", rows)
	waitKeyType(t, a, "twins", shard.KeyTypeInteger)

	movesConfig(t, dirA, after)
	adminA, adminB := "http://"+a.AdminAddr(), "http://"+b.AdminAddr()
	if code, body := testenv.PostJSON(t, adminA+"/api/rebalance?table=twins&batch=20", ""); code != 202 {
		t.Fatalf("POST /api/rebalance to the first Strata: %d %v", code, body)
	}
	status := func(admin string) shardops.MoveStatus { return moveStatus(t, admin) }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var v int
		err := dbB.QueryRow("SELECT v FROM twins WHERE id = 7").Scan(&v)
		if err != nil && strings.Contains(err.Error(), "led by another Strata") {
			if st := status(adminA); st.Batches != 0 {
				t.Fatalf("the second Strata refused the table only after %d batches of the first", st.Batches)
			}
			break
		}
		if err != nil || v != 7 || time.Now().After(deadline) {
			t.Fatalf("the second Strata, while the first moves twins: v = %d, %v; want refused", v, err)
		}
	}
	if code, body := testenv.PostJSON(t, adminB+"/api/rebalance?table=twins", ""); code != 409 || !strings.Contains(fmt.Sprint(body["error"]), "led by another Strata") {
		t.Errorf("a second move of twins, on the second Strata: %d %v", code, body)
	}

	// The first Strata stops after a few batches; the second takes over.
	for deadline := time.Now().Add(30 * time.Second); status(adminA).Batches < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) || status(adminA).State != shardops.MoveRunning {
			t.Fatalf("waiting for 3 batches: %+v", status(adminA))
		}
	}
	a.Close()
	closedA = true
	var st shardops.MoveStatus
	for deadline := time.Now().Add(30 * time.Second); st.State != shardops.MoveDone; time.Sleep(50 * time.Millisecond) {
		if st = status(adminB); st.State == shardops.MoveFailed || time.Now().After(deadline) {
			t.Fatalf("the second Strata did not take the move over and finish it: %+v", st)
		}
	}
	if st.Moved == 0 {
		t.Errorf("the second Strata moved no row: %+v", st)
	}
	layout, open := controlPlaneOf(t, strings.Replace(times.strataYAML(strataAddr, strataAdmin), "tables:\n", "tables:\n  "+after+"\n", 1))
	for _, r := range shardops.Verify(t.Context(), layout, open, "blog", "twins", 3) {
		if r.Misplaced != 0 || r.Error != "" {
			t.Errorf("verify after the move: %+v", r)
		}
	}

	// Its file still says the old layout: refused until it says the new.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var v int
		err := dbB.QueryRow("SELECT v FROM twins WHERE id = 7").Scan(&v)
		if err != nil && strings.Contains(err.Error(), "config file does not place it so") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the move, with the old layout in its file, the second Strata answers v = %d, %v; want refused", v, err)
		}
	}
	movesConfig(t, dirB, after)
	if _, _, err := b.ReloadFile(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n, sum int64
		err := dbB.QueryRow("SELECT COUNT(*), SUM(v - id) FROM twins").Scan(&n, &sum)
		if err == nil && n == rows && sum == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the reload the second Strata counts %d rows (sum %d), %v; want %d", n, sum, err, rows)
		}
	}
	for id := 1; id <= rows; id += 37 {
		var v int
		if err := dbB.QueryRow("SELECT v FROM twins WHERE id = ?", id).Scan(&v); err != nil || v != id {
			t.Errorf("row %d through the second Strata after the move: %d, %v", id, v, err)
		}
	}
}

// A text key moves online too, walked in its column's collation (here
// general_ci, placed by it with key_collation): every spelling of a name
// reaches its row during and after the move, and counts stay exact.
func TestOnlineRebalanceOfATextKey(t *testing.T) {
	strataDB(t)
	const before = `handles: {shard_key: name, method: key_range, key_collation: utf8mb4_general_ci, shards: {s0: "..n", s1: "n.."}}`
	const after = `handles: {shard_key: name, method: key_range, key_collation: utf8mb4_general_ci, shards: {s0: "..g", s1: "g..n", s2: "n..t", s3: "t.."}}`
	resetMoveTable(t, "handles", "CREATE TABLE blog.handles (name VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY, v INT NOT NULL)")
	dir := t.TempDir()
	cfg := moveConfig(t, dir, before)
	s := startOwn(t, cfg)
	db := openStrata(t, s.MySQLAddr())
	var names []string
	for i := range 400 {
		// Capitals sort among the lower-case letters in general_ci, not
		// before them as bytes do.
		name := fmt.Sprintf("%c%c%03d", 'a'+i%26, 'a'+(i/26)%26, i)
		if i%3 == 0 {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		names = append(names, name)
		mustExec(t, db, fmt.Sprintf("INSERT INTO handles (name, v) VALUES ('%s', %d)", name, i))
	}
	waitKeyType(t, s, "handles", shard.KeyTypeText)
	movesConfig(t, dir, after)
	admin := "http://" + s.AdminAddr()
	if code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=handles&batch=15", ""); code != 202 {
		t.Fatalf("POST /api/rebalance: %d %v", code, body)
	}
	check := func(when string) {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM handles").Scan(&n); err != nil || n != len(names) {
			t.Fatalf("%s: COUNT(*) = %d, %v; want %d", when, n, err, len(names))
		}
		for i := 0; i < len(names); i += 9 {
			spelled := strings.ToUpper(names[i]) // another spelling of the same key
			var v int
			if err := db.QueryRow("SELECT v FROM handles WHERE name = ?", spelled).Scan(&v); err != nil || v != i {
				t.Fatalf("%s: %q read as %q: %d, %v", when, names[i], spelled, v, err)
			}
		}
	}
	st := awaitMove(t, admin, func() { check("while the move runs (or just ended)") })
	if st.State != shardops.MoveDone || st.Moved == 0 {
		t.Fatalf("the move: %+v", st)
	}
	check("after the move")
	layout, open := controlPlaneOf(t, strings.Replace(times.strataYAML(strataAddr, strataAdmin), "tables:\n", "tables:\n  "+after+"\n", 1))
	for _, r := range shardops.Verify(t.Context(), layout, open, "blog", "handles", 3) {
		if r.Misplaced != 0 || r.Error != "" {
			t.Errorf("verify after the move: %+v", r)
		}
	}
}

// A move that fails (a row on the new shard differs from the one that
// moves there) stops with every row where Strata finds it and says why;
// a reload that would place the table by yet another layout leaves it on
// the move's meanwhile; once the operator settles the row, posting the
// move again resumes it to its end. A move onto a shard without the table
// does not start.
func TestOnlineRebalanceFailsSafelyAndResumes(t *testing.T) {
	strataDB(t)
	const before = `stalls: {shard_key: id, method: range, shards: {s0: "..300", s1: "300.."}}`
	const after = `stalls: {shard_key: id, method: range, shards: {s0: "..100", s2: "100..200", s1: "200.."}}`
	const rows = 400
	ddl := "CREATE TABLE blog.stalls (id BIGINT PRIMARY KEY, v INT NOT NULL)"
	resetMoveTable(t, "stalls", ddl)
	dir := t.TempDir()
	cfg := moveConfig(t, dir, before)
	s := startOwn(t, cfg)
	db := openStrata(t, s.MySQLAddr())
	insertIDs(t, db, "stalls", rows)
	waitKeyType(t, s, "stalls", shard.KeyTypeInteger)
	movesConfig(t, dir, after)
	admin := "http://" + s.AdminAddr()

	mustExec(t, direct["s2"], "DROP TABLE blog.stalls")
	if code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=stalls", ""); code != 409 || !strings.Contains(fmt.Sprint(body["error"]), "shard s2 has no table blog.stalls") {
		t.Fatalf("a move onto a shard without the table: %d %v, want 409 naming it", code, body)
	}
	mustExec(t, direct["s2"], ddl)
	mustExec(t, direct["s2"], "INSERT INTO blog.stalls (id, v) VALUES (150, -1)") // a stray row, unlike the real one

	if code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=stalls&batch=25", ""); code != 202 {
		t.Fatalf("POST /api/rebalance: %d %v", code, body)
	}
	st := awaitMove(t, admin, nil)
	if st.State != shardops.MoveFailed || !strings.Contains(st.Error, "already holds other rows") || !strings.Contains(st.Error, "150") {
		t.Fatalf("the move onto a shard holding another row 150: %+v, want failed naming it", st)
	}
	readByKey := func(when string) {
		t.Helper()
		for id := 1; id <= rows; id += 7 {
			var v int
			if err := db.QueryRow("SELECT v FROM stalls WHERE id = ?", id).Scan(&v); err != nil || v != id {
				t.Fatalf("%s: row %d: %d, %v", when, id, v, err)
			}
		}
	}
	readByKey("after the failed move")
	if _, err := db.Exec("UPDATE stalls SET v = v + 0 WHERE id = 150"); err != nil {
		t.Errorf("a write to a key of the failed batch: %v", err)
	}

	// A third layout for the table while it moves: the table stays on
	// the move's.
	movesConfig(t, dir, `stalls: {shard_key: id, method: range, shards: {s0: "..50", s3: "50..200", s1: "200.."}}`)
	if _, _, err := s.ReloadFile(); err != nil {
		t.Fatal(err)
	}
	if m := s.Env.Sharding.Layout().Table("stalls").Method; !isMoving(m) {
		t.Fatalf("a reload with another layout replaced the moving one by %s over %v", m.Name(), m.Shards())
	}
	readByKey("after a reload with another layout")
	movesConfig(t, dir, after)

	mustExec(t, direct["s2"], "DELETE FROM blog.stalls WHERE id = 150") // the operator settles it
	if code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=stalls", ""); code != 202 {
		t.Fatalf("resuming the move: %d %v", code, body)
	}
	if st = awaitMove(t, admin, nil); st.State != shardops.MoveDone || st.Moved == 0 {
		t.Fatalf("the resumed move: %+v", st)
	}
	readByKey("after the resumed move")
	var n, sum int64
	if err := db.QueryRow("SELECT COUNT(*), SUM(v - id) FROM stalls").Scan(&n, &sum); err != nil || n != rows || sum != 0 {
		t.Fatalf("after the resumed move: %d rows (sum of v - id %d), %v; want %d", n, sum, err, rows)
	}
	if got := holders(t, "stalls", "id >= 100 AND id < 200"); !slices.Equal(got, []string{"s2"}) {
		t.Errorf("rows 100..199 are on %v, want s2", got)
	}
}

// Two tables sharded alike (an entry and its likes, joined on the key)
// move together: a batch moves both tables' rows of its keys, so the join
// finds every pair on one shard during the move; moving one without the
// other is refused, naming the other.
func TestOnlineRebalanceMovesJoinedTablesTogether(t *testing.T) {
	strataDB(t)
	const posts = `pairs_a: {shard_key: id, method: hash, shards: {s0: "-80", s1: "80-"}}`
	const likes = `pairs_b: {shard_key: a_id, method: hash, shards: {s0: "-80", s1: "80-"}}`
	const postsAfter = `pairs_a: {shard_key: id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	const likesAfter = `pairs_b: {shard_key: a_id, method: hash, shards: {s0: "-40", s1: "40-80", s2: "80-c0", s3: "c0-"}}`
	const rows = 600
	resetMoveTable(t, "pairs_a", "CREATE TABLE blog.pairs_a (id BIGINT PRIMARY KEY, v INT NOT NULL)")
	resetMoveTable(t, "pairs_b", "CREATE TABLE blog.pairs_b (id BIGINT PRIMARY KEY, a_id BIGINT NOT NULL, w INT NOT NULL, KEY (a_id))")
	dir := t.TempDir()
	s, err := startConfig(moveConfig(t, dir, posts+"\n  "+likes))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	db := openStrata(t, s.MySQLAddr())
	insertIDs(t, db, "pairs_a", rows)
	var values []string
	for id := 1; id <= rows; id++ {
		values = append(values, fmt.Sprintf("(%d, %d, %d)", 2*id, id, -id), fmt.Sprintf("(%d, %d, %d)", 2*id+1, id, -id))
	}
	mustExec(t, db, "INSERT INTO pairs_b (id, a_id, w) VALUES "+strings.Join(values, ", "))
	waitKeyType(t, s, "pairs_a", shard.KeyTypeInteger)
	waitKeyType(t, s, "pairs_b", shard.KeyTypeInteger)
	admin := "http://" + s.AdminAddr()

	movesConfig(t, dir, postsAfter+"\n  "+likes)
	if code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=pairs_a", ""); code != 409 || !strings.Contains(fmt.Sprint(body["error"]), "give pairs_b the same new shards") {
		t.Fatalf("moving pairs_a without pairs_b: %d %v, want 409 naming pairs_b", code, body)
	}
	movesConfig(t, dir, postsAfter+"\n  "+likesAfter)
	// A row of s1 held by a transaction stops the walk there (every row
	// of s1 moves), so the move is surely unfinished when Strata stops.
	hold, err := direct["s1"].Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var held int64
	if err := hold.QueryRow("SELECT id FROM blog.pairs_a ORDER BY id LIMIT 1 FOR UPDATE").Scan(&held); err != nil {
		t.Fatal(err)
	}
	code, body := testenv.PostJSON(t, admin+"/api/rebalance?table=pairs_a&batch=30", "")
	if code != 202 || fmt.Sprint(body["with"]) != "[pairs_b]" {
		t.Fatalf("POST /api/rebalance: %d %v, want pairs_b moving with pairs_a", code, body)
	}
	join := func(when string) {
		t.Helper()
		for id := 1; id <= rows; id += 11 {
			var n, sum int
			err := db.QueryRow("SELECT COUNT(*), COALESCE(SUM(a.v + b.w), -1) FROM pairs_a a JOIN pairs_b b ON a.id = b.a_id WHERE a.id = ?", id).Scan(&n, &sum)
			if err != nil || n != 2 || sum != 0 {
				t.Fatalf("%s: the join of entry %d found %d likes (sum %d), %v; want 2", when, id, n, sum, err)
			}
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM pairs_a a JOIN pairs_b b ON a.id = b.a_id").Scan(&n); err != nil || n != 2*rows {
			t.Fatalf("%s: the join over every shard found %d pairs, %v; want %d", when, n, err, 2*rows)
		}
	}
	// Stop after a few batches; the next Strata takes both tables up.
	for deadline := time.Now().Add(30 * time.Second); moveStatus(t, admin).Retries < 2; time.Sleep(20 * time.Millisecond) {
		join("while the tables move")
		if time.Now().After(deadline) {
			t.Fatalf("waiting for the walk to reach the held row: %+v", moveStatus(t, admin))
		}
	}
	s.Close()
	closed = true
	cfg, err := config.Load(filepath.Join(dir, "strata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s = startOwn(t, cfg)
	for _, table := range []string{"pairs_a", "pairs_b"} {
		if m := s.Env.Sharding.Layout().Table(table).Method; !isMoving(m) {
			t.Fatalf("after the restart %s is placed by %s over %v, not as the move left it", table, m.Name(), m.Shards())
		}
	}
	db = openStrata(t, s.MySQLAddr())
	join("after the restart, the held row not moved yet")
	hold.Rollback()
	st := awaitMove(t, "http://"+s.AdminAddr(), func() { join("while the tables move on after a restart") })
	if st.State != shardops.MoveDone || st.Moved == 0 || fmt.Sprint(st.With) != "[pairs_b]" {
		t.Fatalf("the resumed move: %+v", st)
	}
	join("after the move")
	layout, open := controlPlaneOf(t, strings.Replace(times.strataYAML(strataAddr, strataAdmin), "tables:\n", "tables:\n  "+postsAfter+"\n  "+likesAfter+"\n", 1))
	for _, table := range []string{"pairs_a", "pairs_b"} {
		for _, r := range shardops.Verify(t.Context(), layout, open, "blog", table, 3) {
			if r.Misplaced != 0 || r.Error != "" {
				t.Errorf("verify %s after the move: %+v", table, r)
			}
		}
	}
}
