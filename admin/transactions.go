package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// TransactionsView is GET /api/transactions.
type TransactionsView struct {
	Mode string `json:"mode"` // single or twopc
	// Prepared lists Strata's prepared branches not settled yet: normally
	// none, or one for an instant during a COMMIT; a branch that stays is
	// waiting for its coordinator's primary to answer.
	Prepared []PreparedBranch `json:"prepared"`
}

// PreparedBranch is one prepared XA branch of a transaction across
// clusters.
type PreparedBranch struct {
	Cluster     string `json:"cluster"`
	Gtrid       string `json:"gtrid"`
	Coordinator string `json:"coordinator"`
}

// ResolveView is POST /api/transactions/resolve: branches settled now.
type ResolveView struct {
	Settled int `json:"settled"`
}

// DeadlocksView is GET /api/deadlocks: the detector of deadlocks across
// servers, which no one server sees.
type DeadlocksView struct {
	CheckEvery string `json:"check_every"`
	// LastCheck is when it last looked (absent before the first).
	LastCheck *time.Time `json:"last_check,omitempty"`
	// Failing is the error of the last check that read the servers (a
	// check while no transaction spans servers reads none): until one
	// works, deadlocks across servers wait out innodb_lock_wait_timeout.
	Failing string `json:"failing,omitempty"`
	// Broken counts the deadlocks broken since Strata started; Recent
	// lists the latest, newest first.
	Broken int              `json:"broken"`
	Recent []BrokenDeadlock `json:"recent"`
}

// BrokenDeadlock is one deadlock the detector broke.
type BrokenDeadlock struct {
	At time.Time `json:"at"`
	// Sessions are Strata's connection ids (GET /api/sessions, SHOW
	// PROCESSLIST) of the transactions that waited for each other.
	Sessions []uint32 `json:"sessions"`
	Servers  []string `json:"servers"`
	// Victim is the session whose statement got error 1213 and whose
	// transaction was rolled back, on VictimServer.
	Victim       uint32 `json:"victim"`
	VictimServer string `json:"victim_server"`
}

// transactionRoutes adds the endpoints of transactions across clusters,
// answered by the Transactions, ResolveTransactions and Deadlocks hooks.
func (s *Server) transactionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/deadlocks", s.hook(func() func(context.Context) (any, error) { return s.Deadlocks }, "deadlocks", "deadlock detection is not available"))
	mux.HandleFunc("GET /api/transactions", s.hook(func() func(context.Context) (any, error) { return s.Transactions }, "transactions", "transactions is not available"))
	mux.HandleFunc("POST /api/transactions/resolve", s.hook(func() func(context.Context) (any, error) { return s.ResolveTransactions }, "resolving transactions", "resolving transactions is not available"))
}

// hook answers with what a server hook returns: 404 with missing
// without the hook, 500 naming what failed. The hook is read per request
// (tests set it late).
func (s *Server) hook(get func() func(context.Context) (any, error), what, missing string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := get()
		if h == nil {
			writeError(w, http.StatusNotFound, missing)
			return
		}
		v, err := h(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("%s: %v", what, err))
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}
