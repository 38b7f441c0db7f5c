package session

import (
	"context"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// queryEach runs a multi-statement query that touches sharded or placed
// tables one statement at a time, as if the client had sent them one by
// one: each statement is routed, merged or refused on its own. A server
// would run the whole text; here the statements may belong to different
// servers. The answers go back as one server's would (wire.Chain): numbered
// on from one to the next, each but the last saying another follows, and
// nothing run after the first that fails.
func (s *Session) queryEach(ctx context.Context, parsed *planner.Parsed) error {
	for _, st := range parsed.Statements {
		if st.Kind == sqlparse.KindLoadData {
			// The file exchange is numbered by the server it goes to,
			// which a chained answer's renumbering would break.
			return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: LOAD DATA inside a multi-statement query that touches sharded or placed tables is not supported; send the LOAD DATA as a query of its own"))
		}
	}
	chain := &wire.Chain{}
	s.client.Chain = chain
	defer func() { s.client.Chain = nil }()
	last := len(parsed.Statements) - 1
	for i, st := range parsed.Statements {
		chain.Seq, chain.More = s.client.Seq, i < last
		if err := s.Query(ctx, append([]byte{wire.ComQuery}, st.Text...)); err != nil {
			return err
		}
		if chain.Failed {
			return nil
		}
		if i < last {
			s.ageStatementState()
			s.ageDiagnostics()
		}
	}
	return nil
}
