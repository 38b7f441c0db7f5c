package sharding

import (
	"strings"
	"testing"
)

// The same expressions in a join of tables sharded apart, which Strata
// answers by reading each table's rows and running the statement on one
// server with them: written back, they mean the same.
func TestExpressionsOverPulledRowsMeanTheSame(t *testing.T) {
	db := strataDB(t)
	for _, e := range mariadbExpressions {
		e = strings.ReplaceAll(e, "happened", "ev.happened")
		e = strings.ReplaceAll(e, "kind", "ev.kind")
		e = strings.ReplaceAll(e, "qty", "ev.qty")
		e = strings.ReplaceAll(e, "amount", "ev.amount")
		q := "SELECT ev.id, " + e + " FROM events ev JOIN members m ON m.age = ev.qty + 60 WHERE ev.id < 400 ORDER BY ev.id, m.username LIMIT 1"
		sameAsOneServer(t, db, 1, q)
	}
}
