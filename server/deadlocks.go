package server

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/deadlock"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/shardops"
)

// deadlocks is the control-plane side of deadlocks across servers: the
// detector and the connections it reads the servers' lock waits on. It
// runs in either transactions.mode: an autocommit write over several
// shards holds its locks on each until all commit, in a transaction of
// its own on each (single) or an XA transaction (twopc), and a
// transaction across clusters (twopc) holds them until it ends. It reads
// no server while no session holds connections on two.
type deadlocks struct {
	dbs      *shardops.DBs
	detector *deadlock.Detector

	mu    sync.Mutex
	pools map[string]*sql.DB // per server, kept between checks
}

func (s *Strata) newDeadlocks(cfg *config.Config) *deadlocks {
	dl := &deadlocks{dbs: shardops.NewDBs(cfg), pools: map[string]*sql.DB{}}
	d := &deadlock.Detector{
		Sessions: registryThreads{s.Env.Registry},
		Waits:    dl.waits,
		Broken:   func(deadlock.Cycle) { s.Metrics.DeadlockBroken() },
		Checked:  func(err error) { s.Metrics.DeadlockCheck(err != nil) },
		Log:      s.Log,
	}
	d.SetEvery(cfg.Transactions.DeadlockInterval())
	dl.detector = d
	return dl
}

// waits reads the lock waits of the server at addr on the connection kept
// for it. After a failure the connection goes: the next check logs in
// anew, so a privilege granted meanwhile (PROCESS) counts, as MariaDB
// applies global privileges to new connections only.
func (dl *deadlocks) waits(ctx context.Context, addr string) ([]deadlock.Wait, error) {
	db, err := dl.pool(addr)
	if err != nil {
		return nil, err
	}
	w, err := lockWaits(ctx, db, addr)
	if err != nil {
		dl.forget(addr)
	}
	return w, err
}

func (dl *deadlocks) pool(addr string) (*sql.DB, error) {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if db := dl.pools[addr]; db != nil {
		return db, nil
	}
	db, err := dl.dbs.OpenServer(addr)
	if err != nil {
		return nil, err
	}
	// One connection serves the reads, one after another; it closes when
	// no check needed it for a while (no transaction spans servers).
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(time.Minute)
	dl.pools[addr] = db
	return db, nil
}

func (dl *deadlocks) forget(addr string) {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	dl.closeLocked(addr)
}

// closeLocked closes the pool of addr, if any; dl.mu is held.
func (dl *deadlocks) closeLocked(addr string) {
	if db := dl.pools[addr]; db != nil {
		db.Close()
		delete(dl.pools, addr)
	}
}

// setLogin makes the detector log in as another account (a reload that
// changes backend.user or .password).
func (dl *deadlocks) setLogin(user, password string) {
	dl.dbs.SetLogin(user, password)
	dl.closePools()
}

func (dl *deadlocks) closePools() {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	for addr := range dl.pools {
		dl.closeLocked(addr)
	}
}

// deadlocksView answers GET /api/deadlocks.
func (s *Strata) deadlocksView(context.Context) (any, error) {
	st := s.deadlocks.detector.Status()
	view := admin.DeadlocksView{CheckEvery: st.Every.String(), Failing: st.Failing, Broken: st.Broken, Recent: []admin.BrokenDeadlock{}}
	if !st.LastCheck.IsZero() {
		view.LastCheck = &st.LastCheck
	}
	for _, c := range st.Recent {
		view.Recent = append(view.Recent, admin.BrokenDeadlock{At: c.At, Sessions: c.Sessions, Servers: c.Servers, Victim: c.Victim, VictimServer: c.VictimServer})
	}
	return view, nil
}

func (dl *deadlocks) close() {
	if dl != nil {
		dl.closePools()
		dl.dbs.Close()
	}
}

// lockWaitsSQL lists a server's lock waits: the waiting and the holding
// connection's thread ids, since when (as a Unix time, whatever the
// server's time zone), the waiting statement's query id, and both
// transactions' weights.
const lockWaitsSQL = `SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, COALESCE(UNIX_TIMESTAMP(r.trx_wait_started), 0), p.QUERY_ID, r.trx_weight, b.trx_weight
FROM information_schema.INNODB_LOCK_WAITS w
JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id`

// lockWaits reads the lock waits of the server at addr (backend.user needs
// the PROCESS privilege to see other connections' transactions).
func lockWaits(ctx context.Context, db *sql.DB, addr string) ([]deadlock.Wait, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, lockWaitsSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deadlock.Wait
	for rows.Next() {
		var w deadlock.Wait
		var since float64
		if err := rows.Scan(&w.Waiter, &w.Holder, &since, &w.Query, &w.WaiterWeight, &w.HolderWeight); err != nil {
			return nil, err
		}
		w.Addr, w.Since = addr, time.Unix(0, int64(since*1e9))
		out = append(out, w)
	}
	return out, rows.Err()
}

// registryThreads shows the sessions of a registry to the deadlock
// detector.
type registryThreads struct{ r *session.Registry }

func (rt registryThreads) Threads() []deadlock.SessionThread {
	threads := rt.r.Threads()
	out := make([]deadlock.SessionThread, len(threads))
	for i, t := range threads {
		out[i] = deadlock.SessionThread{Thread: deadlock.Thread{Addr: t.Addr, ID: t.ThreadID}, Session: t.Session, InTransaction: t.InTransaction}
	}
	return out
}

func (rt registryThreads) Interrupt(v deadlock.SessionThread, query uint64) error {
	return rt.r.Interrupt(v.Session, v.Addr, v.ID, query)
}
