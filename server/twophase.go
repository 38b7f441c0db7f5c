package server

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/session"
	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/twophase"
)

// twoPhase is the control-plane side of transactions.mode: twopc: the
// resolver that settles prepared branches, on its own primary pools. Once
// made (at start, or by the reload that first sets twopc) it runs until
// Strata stops, also after a reload back to single: branches prepared
// before still need settling.
type twoPhase struct {
	dbs      *shardops.DBs
	resolver *twophase.Resolver
	session  *session.TwoPhase // what sessions begin transactions with
}

// newTwoPhase makes the machinery of transactions across clusters.
func (s *Strata) newTwoPhase(cfg *config.Config) *twoPhase {
	dbs := shardops.NewDBs(cfg)
	dbs.PrimaryOf = s.primaryOf
	r := &twophase.Resolver{
		Open:     func(cluster string) (*sql.DB, error) { return dbs.Open(cluster) },
		Clusters: s.clusterNames,
		Resolved: func(_ string, _ twophase.XID, decision string) { s.Metrics.TwoPhaseResolved(decision) },
		Log:      s.Log,
	}
	return &twoPhase{dbs: dbs, resolver: r, session: &session.TwoPhase{Gtrids: twophase.NewGtrids(), Resolver: r}}
}

// applyTxMode gives sessions the transactions.mode of cfg: twopc starts
// the control plane the first time; single takes the machinery from new
// transactions only, so one across clusters already open commits or rolls
// back as it began. It returns the change to report.
func (s *Strata) applyTxMode(cfg *config.Config) string {
	if !cfg.Transactions.TwoPC() {
		s.Env.SetTwoPhase(nil)
		return "transactions.mode: single (transactions across clusters already open finish with two-phase commit; the resolver goes on settling prepared branches)"
	}
	tp := s.twoPhase.Load()
	if tp == nil {
		tp = s.newTwoPhase(cfg)
		s.twoPhase.Store(tp)
		go tp.run(s.shardCtx, cfg.Transactions)
	}
	s.Env.SetTwoPhase(tp.session)
	return "transactions.mode: twopc"
}

// clusterNames lists the running topology's clusters, sorted.
func (s *Strata) clusterNames() []string {
	snap := s.Topology.Load()
	out := make([]string, 0, len(snap.Clusters))
	for name := range snap.Clusters {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// run settles branches (every transactions.resolve_every) until ctx
// ends.
func (t *twoPhase) run(ctx context.Context, cfg config.Transactions) {
	if t != nil {
		t.resolver.Run(ctx, cfg.ResolveInterval())
	}
}

func (t *twoPhase) close() {
	if t != nil {
		t.dbs.Close()
	}
}

// transactions answers GET /api/transactions.
func (s *Strata) transactions(ctx context.Context) (any, error) {
	mode := config.TxTwoPC
	if s.Env.TwoPhase() == nil {
		mode = config.TxSingle
	}
	tp := s.twoPhase.Load()
	if tp == nil {
		return admin.TransactionsView{Mode: mode, Prepared: []admin.PreparedBranch{}}, nil
	}
	pending, err := tp.resolver.Prepared(ctx)
	view := admin.TransactionsView{Mode: mode, Prepared: []admin.PreparedBranch{}}
	for _, p := range pending {
		view.Prepared = append(view.Prepared, admin.PreparedBranch{Cluster: p.Cluster, Gtrid: p.XID.Gtrid, Coordinator: p.XID.Coordinator})
	}
	return view, err
}

// resolveTransactions answers POST /api/transactions/resolve: one pass of
// the resolver now.
func (s *Strata) resolveTransactions(ctx context.Context) (any, error) {
	tp := s.twoPhase.Load()
	if tp == nil {
		return nil, errors.New("transactions.mode is single: there is nothing to resolve")
	}
	n, err := tp.resolver.ResolveOnce(ctx)
	return admin.ResolveView{Settled: n}, err
}
