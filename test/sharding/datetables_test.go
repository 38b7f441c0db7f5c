package sharding

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/test/testenv"
)

// dateTables starts a Strata of its own in which each of names is sharded
// by its column at per period ("day" or "month"), since the start of the
// period back periods ago, one period ahead: the periods before the one
// edge periods ago on s0, the rest on s1. extra is more table config
// (lines of its tables: section). The period tables are dropped from the
// shards when the test ends.
func dateTables(t *testing.T, period string, back, edge int, extra string, names ...string) *server.Strata {
	t.Helper()
	strataDB(t)
	dropPeriodTablesAtEnd(t, names...)
	lines := dateTableLines(period, back, edge, names...)
	if extra != "" {
		lines = append(lines, extra)
	}
	return startOwn(t, ownConfig(t, strings.Join(lines, "\n  "), ""))
}

// dropPeriodTablesAtEnd drops the tables named name or name_... from the
// shards when the test ends.
func dropPeriodTablesAtEnd(t *testing.T, names ...string) {
	for _, sh := range shardNames {
		t.Cleanup(func() {
			for _, name := range names {
				for _, table := range testenv.Strings(t, direct[sh], "SHOW TABLES FROM blog LIKE '"+name+"%'") {
					direct[sh].Exec("DROP TABLE blog." + table)
				}
			}
		})
	}
}

// dateTableLines are the config lines of dateTables' tables.
func dateTableLines(period string, back, edge int, names ...string) []string {
	start := func(ago int) string {
		now := time.Now().UTC()
		if period == "day" {
			return now.AddDate(0, 0, -ago).Format("2006-01-02")
		}
		// From the month's first day: June 30 less one month is not May 30.
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return first.AddDate(0, -ago, 0).Format("2006-01-02")
	}
	var lines []string
	for _, name := range names {
		lines = append(lines, fmt.Sprintf(`%s: {shard_key: at, method: date, period: %s, since: "%s", ahead: 1, shards: {s0: "..%s", s1: "%s.."}}`,
			name, period, start(back), start(edge), start(edge)))
	}
	return lines
}
