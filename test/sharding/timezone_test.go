package sharding

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A date table keyed by a TIMESTAMP: MariaDB reads its literals in the
// session's time_zone, so a session at +02:00 names the moment another
// writes as '2024-12-31 23:30:00' (the servers' UTC) '2025-01-01
// 01:30:00'. Strata places every session's literal by the moment it
// names, as the servers' time_zone writes it, so rows written and read
// from sessions in different zones meet across the period edge, as on
// one server. Before, the +02:00 session's row of 23:00 UTC went to the
// 2025 table, where a UTC read of it did not look.
func TestTimestampDateKeysReadInTheSessionsZone(t *testing.T) {
	strataDB(t)
	const ddl = "CREATE TABLE zposts (id INT NOT NULL, at TIMESTAMP NOT NULL DEFAULT '2024-06-01 00:00:00', n INT NOT NULL DEFAULT 0)"
	createOn(t, strings.Replace(ddl, "zposts", "blog.zposts", 1), "blog.zposts", "single")
	for _, sh := range shardNames {
		t.Cleanup(func() {
			for _, name := range testenv.Strings(t, direct[sh], "SHOW TABLES FROM blog LIKE 'zposts%'") {
				direct[sh].Exec("DROP TABLE blog." + name)
			}
		})
	}
	s := startOwn(t, ownConfig(t, `zposts: {shard_key: at, method: date, period: year, since: "2024-01-01", ahead: 0, shards: {s0: "..2025-01-01", s1: "2025-01-01.."}}`, ""))
	db := openStrata(t, s.MySQLAddr())
	mustExec(t, db, ddl)
	testenv.Eventually(t, "zposts's key is learned to be a TIMESTAMP", func() bool {
		return s.Env.Sharding.Layout().Table("zposts").KeyLimit.Instant
	})
	ctx := testenv.Ctx(t)
	// a: the servers' time_zone; b: +02:00; c: +00:00, the servers' own
	// (UTC) by another name; through Strata and on one server.
	a, b, c := testenv.Conn(t, db), testenv.Conn(t, db), testenv.Conn(t, db)
	sa, sb, sc := singleConn(t), singleConn(t), singleConn(t)
	for zone, conns := range map[string][]*sql.Conn{"+02:00": {b, sb}, "+00:00": {c, sc}} {
		for _, conn := range conns {
			if _, err := conn.ExecContext(ctx, "SET time_zone = '"+zone+"'"); err != nil {
				t.Fatal(err)
			}
		}
	}
	sessions := map[string][2]*sql.Conn{"a": {a, sa}, "b": {b, sb}, "c": {c, sc}}
	askedB := 0.0
	for _, step := range []struct {
		session, sql string
		args         []any
	}{
		{"a", "INSERT INTO zposts (id, at) VALUES (1, '2024-12-31 23:30:00')", nil},
		{"b", "INSERT INTO zposts (id, at) VALUES (2, '2025-01-01 01:00:00'), (3, '2025-01-01 03:00:00')", nil},
		{"b", "INSERT INTO zposts (id, at) VALUES (4, ?)", []any{"2025-01-01 01:59:59"}},
		{"b", "UPDATE zposts SET n = n + 1 WHERE at = '2025-01-01 01:00:00'", nil},
		{"b", "UPDATE zposts SET n = n + 10 WHERE at IN ('2025-01-01 01:30:00', ?)", []any{"2025-01-01 03:00:00"}},
		{"a", "UPDATE zposts SET n = n + 100 WHERE at = '2024-12-31 23:59:59'", nil},
		{"c", "INSERT INTO zposts (id, at) VALUES (5, '2024-12-31 23:45:00'), (6, '2025-01-01 00:15:00')", nil},
	} {
		c := sessions[step.session]
		before := metricValue(t, s.AdminAddr(), "strata_time_zone_reads_total")
		gotRes, gotErr := execIn(ctx, c[0], step.sql, len(step.args) > 0, step.args...)
		wantRes, wantErr := execIn(ctx, c[1], step.sql, len(step.args) > 0, step.args...)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("session %s: %s: %s (Strata: %v, one server: %v)", step.session, step.sql, msg, gotErr, wantErr)
		}
		// Only b's zone is not the servers': c's +00:00 is their UTC by
		// another name, and asks them nothing.
		asked := metricValue(t, s.AdminAddr(), "strata_time_zone_reads_total") - before
		if step.session != "b" && asked != 0 {
			t.Errorf("session %s: %s asked the servers to read %v times", step.session, step.sql, asked)
		}
		askedB += asked
	}
	if askedB == 0 {
		t.Error("strata_time_zone_reads_total did not count session b's times")
	}
	for _, read := range []struct{ session, sql string }{
		{"b", "SELECT id FROM zposts WHERE at = '2025-01-01 01:30:00'"},
		{"a", "SELECT id FROM zposts WHERE at = '2024-12-31 23:00:00'"},
		{"b", "SELECT id FROM zposts WHERE at >= '2025-01-01 00:00:00' AND at < '2025-01-01 02:00:00' ORDER BY id"},
		{"a", "SELECT id FROM zposts WHERE at >= '2025-01-01 00:00:00' ORDER BY id"},
		{"b", "SELECT id FROM zposts WHERE at < '2025-01-01' ORDER BY id"},
		{"a", "SELECT CONCAT_WS(' ', id, at, n) FROM zposts ORDER BY id"},
		{"b", "SELECT CONCAT_WS(' ', id, at, n) FROM zposts ORDER BY id"},
		{"c", "SELECT id FROM zposts WHERE at BETWEEN '2024-12-31 23:00:00' AND '2025-01-01 00:30:00' ORDER BY id"},
		{"b", "SELECT id FROM zposts WHERE at = '2025-01-01 02:15:00'"},
	} {
		c := sessions[read.session]
		if got, want := testenv.Strings(t, c[0], read.sql), testenv.Strings(t, c[1], read.sql); !slices.Equal(got, want) {
			t.Errorf("session %s: %s: %v through Strata, %v on one server", read.session, read.sql, got, want)
		}
	}
	// Each row sits in the period table of the moment it names, in the
	// servers' time_zone (UTC here): rows 1, 2, 4 and 5 in 2024's.
	if got := testenv.Strings(t, direct["s0"], "SELECT id FROM blog.zposts_2024 ORDER BY id"); fmt.Sprint(got) != "[1 2 4 5]" {
		t.Errorf("zposts_2024 on s0 holds %v, want [1 2 4 5]", got)
	}
	// A file's times would be read in the session's zone, row by row:
	// refused, with the way out.
	_, err := b.ExecContext(ctx, "LOAD DATA LOCAL INFILE '"+registerFile(t, "zposts", "5\t2025-01-01 01:00:00\t0\n")+"' INTO TABLE zposts")
	if testenv.MySQLErr(err) != 1235 || !strings.Contains(err.Error(), "SET time_zone = DEFAULT") {
		t.Errorf("LOAD DATA from a +02:00 session: %v, want 1235 saying to SET time_zone = DEFAULT", err)
	}
	// Back in the servers' zone, the session's literals are read as such.
	mustExec(t, b, "SET time_zone = DEFAULT")
	if got := testenv.Strings(t, b, "SELECT id FROM zposts WHERE at = '2024-12-31 23:00:00'"); fmt.Sprint(got) != "[2]" {
		t.Errorf("after SET time_zone = DEFAULT, 23:00 reads %v, want [2]", got)
	}
}
