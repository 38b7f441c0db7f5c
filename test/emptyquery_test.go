package test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A query of comments alone, or of nothing but spaces and semicolons, is
// the server's to answer — OK for the comments (a script split on ';'
// leaves its trailing comment as a query of its own), 1065 "Query was
// empty" for nothing — with multi-statements on or off, as a text query
// or a prepared one. Before, with multi-statements off, Strata took them
// for several statements and refused them with a 1064 about
// CLIENT_MULTI_STATEMENTS.
func TestEmptyAndCommentOnlyQueries(t *testing.T) {
	t.Parallel()
	queries := []string{"", " ", ";", ";;", "/* c */", "/* c */;", "-- end of script\n", "# hash\n;", "/*!40101 */;", "/*M!100000 */", "SELECT 1;;", "SELECT 1; -- end"}
	for _, params := range [][]string{nil, {"multiStatements=true"}} {
		through, direct := openStrata(t, params...), testenv.Open(t, testenv.DSN(env.primary.Addr, "root", "", "blog", params...))
		for _, q := range queries {
			if got, want := queryOutcome(through, q), queryOutcome(direct, q); got != want {
				t.Errorf("%q (%v): through Strata %s, direct %s", q, params, got, want)
			}
		}
		for _, q := range []string{"", ";", "/* c */"} {
			st, err := through.PrepareContext(ctxFor(t), q)
			if st != nil {
				st.Close()
			}
			dst, derr := direct.PrepareContext(ctxFor(t), q)
			if dst != nil {
				dst.Close()
			}
			if got, want := fmt.Sprint(mysqlErr(err)), fmt.Sprint(mysqlErr(derr)); got != want {
				t.Errorf("prepare %q (%v): through Strata %v, direct %v", q, params, err, derr)
			}
		}
	}
}

// queryOutcome is a query's error code, or its result sets and rows.
func queryOutcome(db *sql.DB, q string) string {
	rows, err := db.Query(q)
	if err != nil {
		return fmt.Sprintf("error %d", mysqlErr(err))
	}
	defer rows.Close()
	sets, n := 1, 0
	for {
		for rows.Next() {
			n++
		}
		if !rows.NextResultSet() {
			break
		}
		sets++
	}
	if err := rows.Err(); err != nil {
		return fmt.Sprintf("%d rows, then error %d", n, mysqlErr(err))
	}
	return fmt.Sprintf("%d sets, %d rows", sets, n)
}
