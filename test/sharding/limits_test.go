package sharding

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// The instance with limits.max_pulled_rows: 5 listens here.
const (
	smallPullAddr  = "127.0.0.1:25405"
	smallPullAdmin = "127.0.0.1:25485"
)

var smallPull extraInstance

// A statement Strata runs on one server over rows it reads first (a join
// of tables that live apart, an IN subquery over shards) is refused once a
// read passes limits.max_pulled_rows, with an error that names the key;
// under it the same statement shapes answer as on one server.
func TestMaxPulledRowsBoundsWhatStrataReadsFirst(t *testing.T) {
	smallPull.start(t, smallPullAddr, smallPullAdmin, "limits: {max_pulled_rows: 5}\n")
	small := testenv.Conn(t, openStrata(t, smallPullAddr))
	def := testenv.Conn(t, strataDB(t))
	for _, q := range []string{
		"SELECT m.username, c.id FROM members m JOIN comments c ON c.author = m.nick WHERE m.age > 30",
		"SELECT COUNT(*) FROM entries WHERE id IN (SELECT entry_id FROM comments WHERE votes > 3)",
	} {
		if rows := testenv.Strings(t, def, q); len(rows) == 0 {
			t.Fatalf("%s answers nothing under the default limit", q)
		}
		rows, err := small.QueryContext(testenv.Ctx(t), q)
		if err == nil {
			rows.Close()
		}
		if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "more than 5 rows (limits.max_pulled_rows)") {
			t.Errorf("%s with limits.max_pulled_rows 5: %v; want error 1235 naming the limit", q, err)
		}
	}
	q := "SELECT COUNT(*) FROM entries WHERE id IN (SELECT DISTINCT entry_id FROM comments WHERE entry_id IN (1, 2, 3) AND votes > 3)"
	if got, want := testenv.Strings(t, small, q), testenv.Strings(t, def, q); len(got) != 1 || got[0] != want[0] {
		t.Errorf("%s, a read of 3 values, under limits.max_pulled_rows 5: %q, want %q", q, got, want)
	}
}
