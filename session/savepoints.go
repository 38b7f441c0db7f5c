package session

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/sqlparse"
)

// Savepoints in a transaction across clusters. ORMs nest transactions
// with them (Laravel's and Doctrine's nested transactions send SAVEPOINT
// and ROLLBACK TO SAVEPOINT), so a transaction that writes several
// shards must keep them working: each savepoint statement runs on the
// coordinator and on every branch, and a cluster that joins later gets
// the open savepoints replayed right after its XA START. It wrote
// nothing before it joined, so a savepoint taken then marks the same
// point of the transaction as the others': ROLLBACK TO it undoes all
// that branch did.

// noteSavepoint updates the open transaction's savepoints, oldest first,
// after sp ran: SAVEPOINT moves a name to the end, ROLLBACK TO drops the
// later ones and keeps its own, RELEASE drops it and the later ones (as
// the server does).
func (s *Session) noteSavepoint(sp sqlparse.Savepoint) {
	i := slices.IndexFunc(s.savepoints, func(name string) bool { return strings.EqualFold(name, sp.Name) })
	switch sp.Action {
	case sqlparse.SavepointSet:
		if i >= 0 {
			s.savepoints = slices.Delete(s.savepoints, i, i+1)
		}
		s.savepoints = append(s.savepoints, sp.Name)
	case sqlparse.SavepointRollback:
		if i >= 0 {
			s.savepoints = s.savepoints[:i+1]
		}
	case sqlparse.SavepointRelease:
		if i >= 0 {
			s.savepoints = s.savepoints[:i]
		}
	}
}

// replaySavepoints takes the transaction's open savepoints on a branch
// that just joined it.
func (s *Session) replaySavepoints(c *backend.Conn) error {
	for _, name := range s.savepoints {
		if err := c.SimpleCommand(comQuery, "SAVEPOINT "+sqlparse.QuoteIdentifier(name)); err != nil {
			return fmt.Errorf("taking savepoint %s: %w", name, err)
		}
	}
	return nil
}

// savepointAcross runs a savepoint statement in a transaction with
// branches: on the coordinator first, whose error (an unknown savepoint)
// the client gets with nothing changed, then on every branch. A branch
// that fails then would leave the parts at different points, so the whole
// transaction is rolled back.
func (s *Session) savepointAcross(f *sqlparse.Facts) error {
	t := s.cross()
	if err := t.coord.SimpleCommand(comQuery, f.Text); err != nil {
		s.markLost(t.coord, err)
		if !t.coord.Broken {
			return s.WriteError(err) // the server's own answer: nothing ran
		}
		return s.abortSavepoint(t, t.xid.Coordinator, err)
	}
	for _, name := range t.clusters()[1:] {
		c := t.branches[name]
		if err := c.SimpleCommand(comQuery, f.Text); err != nil {
			s.markLost(c, err)
			return s.abortSavepoint(t, name, err)
		}
	}
	s.noteSavepoint(f.Savepoint)
	s.client.Seq = s.answerSeq()
	return s.WriteOK()
}

// abortSavepoint rolls back a transaction across clusters whose savepoint
// statement failed on cluster, and tells the client.
func (s *Session) abortSavepoint(t *crossTx, cluster string, err error) error {
	all := strings.Join(t.clusters(), ", ")
	s.abortAcross()
	s.env.Metrics.TwoPhase("rolled_back")
	return s.WriteError(errRolledBack(all, "its savepoint statement failed on cluster %s (%v)", cluster, rootCause(err)))
}
