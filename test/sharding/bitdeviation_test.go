package sharding

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// BIT_AND/BIT_OR/BIT_XOR and VARIANCE/STDDEV of groups split between
// shards merge from the shards' partials, as COUNT and SUM do, rather than
// Strata reading every row (limited to limits.max_pulled_rows): the
// answers, column types included, are the single server's.
func TestBitAndDeviationAggregatesMergeFromShards(t *testing.T) {
	db := strataDB(t)
	sameAsOneServerCases(t, db, []oneServerCase{
		{"bit aggregates by a non-key column", "SELECT kind, BIT_OR(qty), BIT_AND(qty) AS a, BIT_XOR(qty) FROM events GROUP BY kind ORDER BY kind", 3, nil},
		{"bit aggregates of everything", "SELECT BIT_OR(votes), BIT_AND(id), BIT_XOR(entry_id) FROM comments", 1, nil},
		{"bit aggregate in HAVING and ORDER BY", "SELECT qty, COUNT(*) FROM events GROUP BY qty HAVING BIT_OR(id) > 100 ORDER BY BIT_XOR(id), qty", 2, nil},
		{"deviations of integers", "SELECT kind, STDDEV(qty), STD(qty), STDDEV_POP(qty), STDDEV_SAMP(qty), VARIANCE(qty), VAR_POP(qty), VAR_SAMP(qty) FROM events GROUP BY kind ORDER BY kind", 3, nil},
		{"deviations of decimals", "SELECT qty, VAR_SAMP(amount), STDDEV_POP(amount) FROM events GROUP BY qty ORDER BY qty", 3, nil},
		{"deviation over everything", "SELECT STDDEV_SAMP(votes), VARIANCE(entry_id) FROM comments WHERE votes > 2", 1, nil},
		{"deviation with one value: NULL sample", "SELECT VAR_SAMP(qty), STDDEV_POP(qty), STDDEV_SAMP(qty) FROM events WHERE id = 5 OR id = 6", 1, nil},
		{"deviation over no rows", "SELECT STDDEV(qty), VAR_SAMP(qty) FROM events WHERE id < 0", 1, nil},
		{"deviation in an expression", "SELECT kind, ROUND(STDDEV(qty) * 100) AS s FROM events GROUP BY kind HAVING VAR_POP(qty) > 1 ORDER BY kind", 2, nil},
	})

	// A prepared statement's rows carry the whole double, whose last
	// digits depend on the order the values were summed in (on one server
	// too): equal to 12 significant digits.
	q := "SELECT STDDEV_SAMP(votes), VARIANCE(entry_id) FROM comments WHERE votes > ?"
	got, want := testenv.Strings(t, db, q, 2), testenv.Strings(t, singleBlog, q, 2)
	if len(got) != 1 || len(want) != 1 {
		t.Fatalf("prepared deviations: %q, single server %q", got, want)
	}
	g, w := strings.Split(got[0], "|"), strings.Split(want[0], "|")
	for i := range w {
		x, errX := strconv.ParseFloat(g[i], 64)
		y, errY := strconv.ParseFloat(w[i], 64)
		if errX != nil || errY != nil || math.Abs(x-y) > 1e-12*math.Abs(y) {
			t.Errorf("prepared deviation %d: %s, single server %s", i, g[i], w[i])
		}
	}
	if !strings.Contains(w[0], ".") || len(w[0]) < 10 {
		t.Fatalf("the single server's binary value %q is not a whole double: the check means nothing", w[0])
	}

	// Merged, not read row by row.
	for _, q := range []string{
		"SELECT kind, BIT_OR(qty) FROM events GROUP BY kind",
		"SELECT kind, STDDEV_SAMP(qty) FROM events GROUP BY kind",
	} {
		plan := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA "+q), "\n")
		if !strings.Contains(plan, "aggregate") || strings.Contains(plan, "reads each table's rows") {
			t.Errorf("%s is not merged from the shards' partials:\n%s", q, plan)
		}
	}
	// Groups whole on a shard keep the shard's own deviation, to the
	// last digit.
	plan := strings.Join(testenv.Strings(t, db, "EXPLAIN STRATA SELECT entry_id, STDDEV(votes) FROM comments GROUP BY entry_id"), "\n")
	if strings.Contains(plan, "var_pop") || strings.Contains(plan, "VAR_POP") {
		t.Errorf("whole groups merged a deviation from partials:\n%s", plan)
	}
}
