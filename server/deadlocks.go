package server

import (
	"context"
	"database/sql"
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
}

func (s *Strata) newDeadlocks(cfg *config.Config) *deadlocks {
	dbs := shardops.NewDBs(cfg)
	d := &deadlock.Detector{
		Sessions: registryThreads{s.Env.Registry},
		Waits: func(ctx context.Context, addr string) ([]deadlock.Wait, error) {
			db, err := dbs.OpenServer(addr)
			if err != nil {
				return nil, err
			}
			return lockWaits(ctx, db, addr)
		},
		Broken: func(deadlock.Cycle) { s.Metrics.DeadlockBroken() },
		Log:    s.Log,
	}
	d.SetEvery(cfg.Transactions.DeadlockInterval())
	return &deadlocks{dbs: dbs, detector: d}
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

func (d *deadlocks) close() {
	if d != nil {
		d.dbs.Close()
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
