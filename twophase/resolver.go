package twophase

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrUndecided: the coordinator's transaction is still open (its decision
// row is locked), so nothing can be settled yet.
var ErrUndecided = errors.New("the coordinating transaction is still open")

// MariaDB error numbers the resolver expects.
const (
	erDupEntry        = 1062
	erLockWaitTimeout = 1205
	erXAUnknownXID    = 1397 // XAER_NOTA: settled meanwhile by someone else
	// XA_RBROLLBACK: the branch wrote nothing. MariaDB keeps a prepared
	// read-only branch only until its connection closes; finished from
	// another connection it answers this, and there is nothing to do.
	erXARolledBack = 1402
	erNoSuchTable  = 1146
	erBadDB        = 1049
)

// KeepDecisions is how long a decision row stays after none of its
// branches is prepared any more: far longer than a commit takes, so a row
// is never removed while a slow coordinator still needs it.
const KeepDecisions = 10 * time.Minute

// Resolver settles Strata's prepared XA branches and keeps the decision
// logs. Safe for concurrent use.
type Resolver struct {
	// Open returns a pool to a cluster's current primary.
	Open func(cluster string) (*sql.DB, error)
	// Clusters lists every cluster whose primary may hold a branch.
	Clusters func() []string
	// Resolved is told of each branch settled (may be nil).
	Resolved func(cluster string, x XID, decision string)
	Log      *slog.Logger

	mu    sync.Mutex
	ready map[string]bool // clusters whose log table exists
	run   sync.Mutex      // one pass at a time
	// forgot is when old decision rows were last removed: rarely, since
	// that DELETE runs on every primary and shows in its counters.
	forgot time.Time
}

// forgetEvery is how often old decision rows are removed.
const forgetEvery = KeepDecisions / 2

// Ensure creates the decision log on cluster's primary once. The
// coordinator calls it before its transaction needs the table: the DDL
// must not run on the transaction's own connection (it would commit it).
func (r *Resolver) Ensure(ctx context.Context, cluster string) error {
	r.mu.Lock()
	done := r.ready[cluster]
	r.mu.Unlock()
	if done {
		return nil
	}
	db, err := r.Open(cluster)
	if err != nil {
		return fmt.Errorf("creating the decision log on cluster %s: %w", cluster, err)
	}
	for _, q := range CreateStatements {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("creating the decision log on cluster %s: %w", cluster, err)
		}
	}
	r.mu.Lock()
	if r.ready == nil {
		r.ready = map[string]bool{}
	}
	r.ready[cluster] = true
	r.mu.Unlock()
	return nil
}

// Decide reads, or makes, the decision of transaction gtrid coordinated
// by cluster: Commit when the coordinator committed its row; otherwise it
// records Abort, which from then on keeps the coordinator from committing.
// ErrUndecided while the coordinator's transaction is still open.
func (r *Resolver) Decide(ctx context.Context, gtrid, coordinator string) (string, error) {
	if err := r.Ensure(ctx, coordinator); err != nil {
		return "", err
	}
	db, err := r.Open(coordinator)
	if err != nil {
		return "", err
	}
	// The insert waits on the coordinator's uncommitted row (a row lock),
	// or behind commits held back on that server (a backup or metadata
	// lock): a short wait, then "still open" (ErrUndecided), not a guess.
	_, err = db.ExecContext(ctx, "SET STATEMENT innodb_lock_wait_timeout = 1, lock_wait_timeout = 2 FOR INSERT INTO "+qualifiedTable+" (gtrid, decision) VALUES ("+hexLiteral(gtrid)+", '"+Abort+"')")
	switch code := errorCode(err); {
	case err == nil:
		return Abort, nil
	case code == erLockWaitTimeout:
		return "", ErrUndecided
	case code != erDupEntry:
		return "", fmt.Errorf("recording the decision of %s on cluster %s: %w", gtrid, coordinator, err)
	}
	var decision string
	if err := db.QueryRowContext(ctx, "SELECT decision FROM "+qualifiedTable+" WHERE gtrid = "+hexLiteral(gtrid)).Scan(&decision); err != nil {
		return "", fmt.Errorf("reading the decision of %s on cluster %s: %w", gtrid, coordinator, err)
	}
	return decision, nil
}

// Pending is a prepared branch of Strata's found on a cluster's primary.
type Pending struct {
	Cluster string
	XID     XID
}

// Prepared lists Strata's prepared branches on every cluster. A cluster
// that cannot be asked is reported in the error and skipped.
func (r *Resolver) Prepared(ctx context.Context) ([]Pending, error) {
	var out []Pending
	var errs []error
	for _, cluster := range r.Clusters() {
		found, err := r.preparedOn(ctx, cluster)
		if err != nil {
			errs = append(errs, fmt.Errorf("XA RECOVER on cluster %s: %w", cluster, err))
			continue
		}
		out = append(out, found...)
	}
	return out, errors.Join(errs...)
}

func (r *Resolver) preparedOn(ctx context.Context, cluster string) ([]Pending, error) {
	db, err := r.Open(cluster)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "XA RECOVER")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var formatID int64
		var gl, bl int
		var data []byte
		if err := rows.Scan(&formatID, &gl, &bl, &data); err != nil {
			return nil, err
		}
		if x, ok := ParseRecovered(formatID, gl, bl, data); ok {
			out = append(out, Pending{Cluster: cluster, XID: x})
		}
	}
	return out, rows.Err()
}

// ResolveOnce settles every prepared branch whose transaction is decided
// and removes old decision rows no branch needs. It returns how many
// branches it settled.
func (r *Resolver) ResolveOnce(ctx context.Context) (int, error) {
	r.run.Lock()
	defer r.run.Unlock()
	pending, scanErr := r.Prepared(ctx)
	settled := 0
	var errs []error
	if scanErr != nil {
		errs = append(errs, scanErr)
	}
	decided := map[XID]string{}
	for _, p := range pending {
		decision, ok := decided[p.XID]
		if !ok {
			d, err := r.Decide(ctx, p.XID.Gtrid, p.XID.Coordinator)
			if errors.Is(err, ErrUndecided) {
				continue // its coordinator is committing right now
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			decision, decided[p.XID] = d, d
		}
		if err := r.settle(ctx, p, decision); err != nil {
			errs = append(errs, err)
			continue
		}
		settled++
	}
	if scanErr == nil && time.Since(r.forgot) >= forgetEvery {
		// Only with every cluster's branches known may rows go.
		if err := r.forget(ctx, pending); err != nil {
			errs = append(errs, err)
		} else {
			r.forgot = time.Now()
		}
	}
	return settled, errors.Join(errs...)
}

// settle commits or rolls back one prepared branch.
func (r *Resolver) settle(ctx context.Context, p Pending, decision string) error {
	db, err := r.Open(p.Cluster)
	if err != nil {
		return err
	}
	stmt := Rollback(p.XID)
	if decision == Commit {
		stmt = Finish(p.XID)
	}
	if _, err := db.ExecContext(ctx, stmt); err != nil && errorCode(err) != erXAUnknownXID && errorCode(err) != erXARolledBack {
		return fmt.Errorf("%s on cluster %s: %w", stmt, p.Cluster, err)
	}
	if r.Log != nil {
		r.Log.Warn("settled a prepared branch of a transaction across clusters", "cluster", p.Cluster, "gtrid", p.XID.Gtrid, "coordinator", p.XID.Coordinator, "decision", decision)
	}
	if r.Resolved != nil {
		r.Resolved(p.Cluster, p.XID, decision)
	}
	return nil
}

// forget removes decision rows older than KeepDecisions whose
// transactions have no prepared branch left anywhere. Every branch
// prepared before its row committed, so a branch that still needs an old
// row shows in pending, which was read after the row committed.
func (r *Resolver) forget(ctx context.Context, pending []Pending) error {
	keep := map[string]bool{}
	for _, p := range pending {
		keep[p.XID.Gtrid] = true
	}
	gtrids := make([]string, 0, len(keep))
	for g := range keep {
		gtrids = append(gtrids, g)
	}
	sort.Strings(gtrids)
	q := "DELETE FROM " + qualifiedTable + " WHERE decided_at < NOW(6) - INTERVAL " + fmt.Sprint(int(KeepDecisions/time.Second)) + " SECOND"
	args := make([]any, len(gtrids))
	if len(gtrids) > 0 {
		q += " AND gtrid NOT IN (?" + strings.Repeat(", ?", len(gtrids)-1) + ")"
		for i, g := range gtrids {
			args[i] = []byte(g)
		}
	}
	var errs []error
	for _, cluster := range r.Clusters() {
		db, err := r.Open(cluster)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			if c := errorCode(err); c != erNoSuchTable && c != erBadDB {
				errs = append(errs, fmt.Errorf("removing old decisions on cluster %s: %w", cluster, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Run settles branches every interval until ctx ends, once at start.
func (r *Resolver) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pass, cancel := context.WithTimeout(ctx, every+10*time.Second)
		if _, err := r.ResolveOnce(pass); err != nil && ctx.Err() == nil && r.Log != nil {
			r.Log.Warn("resolving transactions across clusters", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// errorCode is a MariaDB error's number, 0 for other errors.
func errorCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
