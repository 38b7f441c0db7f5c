package pooling

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// load runs reads from 16 clients until stop is closed and counts outcomes.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	wg         sync.WaitGroup
}

func startLoad(t *testing.T, dsn string, queries []string, stop <-chan struct{}) *load {
	l := &load{}
	for i := 0; i < 16; i++ {
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		l.wg.Add(1)
		go func(i int) {
			defer l.wg.Done()
			defer db.Close()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var v string
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := db.QueryRowContext(ctx, queries[(i+n)%len(queries)]).Scan(&v)
				cancel()
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					l.errs = append(l.errs, err.Error())
					l.mu.Unlock()
					time.Sleep(20 * time.Millisecond)
					continue
				}
				l.ok.Add(1)
			}
		}(i)
	}
	return l
}

func (l *load) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

// kill -9 of one replica under load: no client read fails; killing every
// member of a pool gives "Failed pool" for that pool only; restarting them
// brings traffic back without any admin action.
func TestFailoverUnderLoad(t *testing.T) {
	env.Setup(t,
		"CREATE TABLE IF NOT EXISTS blog.fo_entries (id INT PRIMARY KEY, title VARCHAR(20))",
		"CREATE TABLE IF NOT EXISTS blog.comments (id INT PRIMARY KEY, entry_id INT, body VARCHAR(50))",
		"REPLACE INTO blog.fo_entries VALUES (1, 'one')",
		"REPLACE INTO blog.comments VALUES (1, 1, 'c1')")
	dsn := testenv.DSN(eventual.MySQLAddr(), "app", "app", "blog")
	ctx := testenv.Ctx(t)

	// 1. One member of the primary pool dies mid-run.
	stop := make(chan struct{})
	l := startLoad(t, dsn, []string{"SELECT SQL_NO_CACHE title FROM fo_entries WHERE id = 1"}, stop)
	time.Sleep(500 * time.Millisecond)
	victim := replica(18307)
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	l.wg.Wait()
	if l.failed.Load() != 0 {
		t.Errorf("%d of %d reads failed after kill -9 of one replica: %v", l.failed.Load(), l.ok.Load()+l.failed.Load(), first(l.errors()))
	}
	if l.ok.Load() < 100 {
		t.Errorf("only %d reads succeeded", l.ok.Load())
	}
	if err := victim.Start(ctx); err != nil {
		t.Fatal(err)
	}

	// 2. The whole comments pool dies: its reads fail with "Failed pool",
	// the default pool's reads carry on.
	commentsOnly := replica(18310)
	if err := commentsOnly.Kill(); err != nil {
		t.Fatal(err)
	}
	db := testenv.Open(t, dsn)
	var body string
	err := db.QueryRow("SELECT body FROM comments WHERE id = 1").Scan(&body)
	if err == nil || !strings.Contains(err.Error(), "Failed pool: comments") {
		t.Errorf("read of a dead pool: %v, want Failed pool: comments", err)
	}
	var title string
	if err := db.QueryRow("SELECT title FROM fo_entries WHERE id = 1").Scan(&title); err != nil {
		t.Errorf("another pool's read failed while comments was down: %v", err)
	}

	// 3. Restart: traffic returns by itself once the monitor sees it up.
	if err := commentsOnly.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		before := testenv.RowsRead(t, commentsOnly, "comments")
		err := db.QueryRow("SELECT SQL_NO_CACHE body FROM comments WHERE id = 1").Scan(&body)
		if err == nil && testenv.RowsRead(t, commentsOnly, "comments") > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("comments pool did not come back after restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitAllUp(t)
}

// A replica moved between pools under load: no client error, and its
// traffic class changes (from default reads to comments reads).
func TestRuntimeMoveUnderLoad(t *testing.T) {
	waitAllUp(t)
	env.Setup(t,
		"CREATE TABLE IF NOT EXISTS blog.mv_entries (id INT PRIMARY KEY, title VARCHAR(20))",
		"CREATE TABLE IF NOT EXISTS blog.comments (id INT PRIMARY KEY, entry_id INT, body VARCHAR(50))",
		"REPLACE INTO blog.mv_entries VALUES (1, 'one')",
		"REPLACE INTO blog.comments VALUES (1, 1, 'c1')")
	dsn := testenv.DSN(eventual.MySQLAddr(), "app", "app", "blog")
	moved := replica(18308)
	stop := make(chan struct{})
	l := startLoad(t, dsn, []string{
		"SELECT SQL_NO_CACHE title FROM mv_entries WHERE id = 1",
		"SELECT SQL_NO_CACHE body FROM comments WHERE id = 1",
	}, stop)
	time.Sleep(500 * time.Millisecond)
	entriesBefore, commentsBefore := testenv.RowsRead(t, moved, "mv_entries"), testenv.RowsRead(t, moved, "comments")
	if entriesBefore == 0 || commentsBefore != 0 {
		t.Fatalf("before the move 18308 read %d entries rows and %d comments rows", entriesBefore, commentsBefore)
	}
	if err := eventual.Topology.MoveServer(moved.Addr, "comments"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eventual.Topology.MoveServer(moved.Addr, "primary") })
	time.Sleep(300 * time.Millisecond) // statements already routed finish
	entriesMid, commentsMid := testenv.RowsRead(t, moved, "mv_entries"), testenv.RowsRead(t, moved, "comments")
	time.Sleep(time.Second)
	close(stop)
	l.wg.Wait()
	if l.failed.Load() != 0 {
		t.Errorf("%d reads failed during the move: %v", l.failed.Load(), first(l.errors()))
	}
	if got := testenv.RowsRead(t, moved, "mv_entries"); got != entriesMid {
		t.Errorf("after moving to comments, 18308 still read %d entries rows", got-entriesMid)
	}
	if got := testenv.RowsRead(t, moved, "comments"); got <= commentsMid {
		t.Errorf("after moving to comments, 18308 served no comments reads")
	}
}

func waitAllUp(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		allUp := true
		for _, s := range eventual.Topology.Load().Servers() {
			if !s.Routable() {
				allUp = false
			}
		}
		if allUp {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("servers did not all come back up")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func first(errs []string) []string {
	if len(errs) > 3 {
		return errs[:3]
	}
	return errs
}
