package sharding

import (
	"strings"
	"testing"
)

// An AVG merged over shards has the scale the session's
// div_precision_increment gives it, as on one server: Strata divides the
// shards' summed SUMs by their summed COUNTs itself, and reads the
// session's increment beside them. Before, it always used the default,
// 4: 18.3724 where one server says 18.37.
func TestMergedAveragesFollowDivPrecisionIncrement(t *testing.T) {
	strataDB(t)
	var stmts []string
	for _, n := range []string{"0", "2", "9", "DEFAULT"} {
		stmts = append(stmts,
			"SET div_precision_increment = "+n,
			"SELECT AVG(score), AVG(rating), AVG(DISTINCT score), AVG(score) * 2, AVG(DISTINCT rating) + 0 FROM entries",
			"SELECT status, AVG(rating) FROM entries GROUP BY status ORDER BY status",
			"SELECT status FROM entries GROUP BY status HAVING AVG(score) > 18.4 ORDER BY status",
		)
	}
	want := sameSessionAnswers(t, openStrata(t, strataAddr), stmts)
	if !strings.Contains(want[5], "[[18.37 ") {
		t.Errorf("the reference: %s with div_precision_increment = 2, want AVG(score) 18.37", want[5])
	}
}
