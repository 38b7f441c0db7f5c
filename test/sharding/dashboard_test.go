package sharding

import (
	"fmt"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// The statements a dashboard sends a log table sharded by day — counts per
// day or hour over the last days, the latest rows, ranks per kind, a
// ROLLUP, an old-rows purge — answer as one server, with the clock
// bounds evaluated first and the rows written with NOW() keys, a
// multi-row INSERT without a column list among them.
func TestTimeShardedDashboardStatementsAnswerAsOneServer(t *testing.T) {
	strataDB(t)
	const ddl = "CREATE TABLE dash (id INT NOT NULL, at DATETIME(3) NOT NULL, kind VARCHAR(10) NOT NULL, ms INT NULL)"
	createOn(t, strings.Replace(ddl, "dash", "blog.dash", 1), "blog.dash", "single")
	s := dateTables(t, "day", 20, 10, "", "dash")
	db := openStrata(t, s.MySQLAddr())
	mustExec(t, db, ddl)
	got, want := testenv.Conn(t, db), singleConn(t)
	ctx := testenv.Ctx(t)
	var rows []string
	for i := 0; i < 120; i++ {
		// Ten minutes back, so that no row is within seconds of a bound
		// (NOW(), NOW() - INTERVAL 3 DAY): Strata and the single server
		// read the clock a moment apart.
		rows = append(rows, fmt.Sprintf("(%d, NOW(3) - INTERVAL 10 MINUTE - INTERVAL %d HOUR - INTERVAL %d SECOND, '%s', %d)", i, (i*7)%(24*18), i, []string{"web", "api", "cron"}[i%3], (i*37)%500))
	}
	for _, c := range []querier{got, want} {
		if _, err := runQuery(ctx, c, "INSERT INTO dash VALUES "+strings.Join(rows, ", ")); err != nil {
			t.Fatal(err)
		}
	}
	sameOutcomes(t, got, want,
		"SELECT DATE(at) d, COUNT(*) FROM dash WHERE at > NOW() - INTERVAL 7 DAY GROUP BY d ORDER BY d",
		"SELECT kind, COUNT(*), AVG(ms), MAX(ms), MIN(at) > NOW() - INTERVAL 20 DAY FROM dash GROUP BY kind ORDER BY kind",
		"SELECT id, kind FROM dash ORDER BY at DESC LIMIT 10 OFFSET 5",
		"SELECT MAX(at) = (SELECT MAX(at) FROM dash), COUNT(*) FROM dash",
		"SELECT COUNT(*) FROM dash WHERE DATE(at) = CURDATE()",
		"SELECT HOUR(at) h, COUNT(*) c FROM dash WHERE at >= CURDATE() - INTERVAL 1 DAY GROUP BY h ORDER BY c DESC, h LIMIT 5",
		"SELECT kind, SUM(ms > 250) slow, COUNT(*) FROM dash WHERE at BETWEEN NOW() - INTERVAL 3 DAY AND NOW() GROUP BY kind WITH ROLLUP",
		"SELECT id FROM dash WHERE at > NOW() - INTERVAL 2 DAY AND kind = 'api' ORDER BY at LIMIT 3",
		"SELECT DATE_FORMAT(at, '%Y-%m-%d %H:00') hr, COUNT(*) FROM dash WHERE at > NOW() - INTERVAL 12 HOUR GROUP BY hr ORDER BY hr",
		"SELECT kind, ms, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY ms DESC, id) r FROM dash WHERE at > NOW() - INTERVAL 2 DAY ORDER BY kind, r LIMIT 9",
		"SELECT COUNT(DISTINCT kind), COUNT(DISTINCT DATE(at)) FROM dash WHERE at > NOW() - INTERVAL 30 DAY",
		"SELECT id FROM dash WHERE at IN (SELECT MAX(at) FROM dash GROUP BY kind) ORDER BY id",
		"DELETE FROM dash WHERE at < NOW() - INTERVAL 15 DAY",
		"SELECT COUNT(*), MIN(id) FROM dash",
	)
}
