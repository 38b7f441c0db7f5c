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
// resolver that settles prepared branches, on its own primary pools.
type twoPhase struct {
	dbs      *shardops.DBs
	resolver *twophase.Resolver
}

// newTwoPhase sets up transactions across clusters when cfg asks for
// them; nil otherwise.
func (s *Strata) newTwoPhase(cfg *config.Config) *twoPhase {
	if !cfg.Transactions.TwoPC() {
		return nil
	}
	dbs := shardops.NewDBs(cfg)
	dbs.PrimaryOf = s.primaryOf
	r := &twophase.Resolver{
		Open:     func(cluster string) (*sql.DB, error) { return dbs.Open(cluster) },
		Clusters: s.clusterNames,
		Resolved: func(_ string, _ twophase.XID, decision string) { s.Metrics.TwoPhaseResolved(decision) },
		Log:      s.Log,
	}
	s.Env.TwoPhase = &session.TwoPhase{Gtrids: twophase.NewGtrids(), Resolver: r}
	return &twoPhase{dbs: dbs, resolver: r}
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

// run settles branches every transactions.resolve_every until ctx ends.
func (t *twoPhase) run(ctx context.Context, cfg *config.Config) {
	if t != nil {
		t.resolver.Run(ctx, cfg.Transactions.ResolveInterval())
	}
}

func (t *twoPhase) close() {
	if t != nil {
		t.dbs.Close()
	}
}

// transactions answers GET /api/transactions.
func (s *Strata) transactions(ctx context.Context) (any, error) {
	if s.twoPhase == nil {
		return admin.TransactionsView{Mode: config.TxSingle, Prepared: []admin.PreparedBranch{}}, nil
	}
	pending, err := s.twoPhase.resolver.Prepared(ctx)
	view := admin.TransactionsView{Mode: config.TxTwoPC, Prepared: []admin.PreparedBranch{}}
	for _, p := range pending {
		view.Prepared = append(view.Prepared, admin.PreparedBranch{Cluster: p.Cluster, Gtrid: p.XID.Gtrid, Coordinator: p.XID.Coordinator})
	}
	return view, err
}

// resolveTransactions answers POST /api/transactions/resolve: one pass of
// the resolver now.
func (s *Strata) resolveTransactions(ctx context.Context) (any, error) {
	if s.twoPhase == nil {
		return nil, errors.New("transactions.mode is single: there is nothing to resolve")
	}
	n, err := s.twoPhase.resolver.ResolveOnce(ctx)
	return admin.ResolveView{Settled: n}, err
}
