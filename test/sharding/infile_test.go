package sharding

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/infile"
	"github.com/strata-proxy/strata/test/testenv"
)

// Package infile must cut a LOAD DATA file into rows exactly where
// MariaDB does, and read a row's fields as MariaDB does: Strata sends each
// row alone to its shard, so a cut in the wrong place would change what a
// shard loads, and a misread key would send the row to the wrong one.
// This test checks it against the server on random files made of the
// characters that matter (terminators, quotes, escapes, the letters of
// NULL): the file loaded whole (skipping 0 to 2 lines first) must give the
// rows that infile's rows give when each is loaded alone (after the lines
// infile skipped), and each row's middle field must be what infile
// decoded. STRATA_INFILE_FILES sets how many files per format, STRATA_INFILE_SEED
// the random seed.
func TestInfileCutsRowsAsMariaDB(t *testing.T) {
	strataDB(t)
	ctx := testenv.Ctx(t)
	conn := testenv.Conn(t, singleBlog)
	for _, table := range []string{"infile_whole", "infile_rows"} {
		mustExec(t, conn, "CREATE TABLE IF NOT EXISTS "+table+" (id INT AUTO_INCREMENT PRIMARY KEY, a TEXT NULL, b TEXT NULL, c TEXT NULL)")
		t.Cleanup(func() { singleBlog.Exec("DROP TABLE IF EXISTS " + table) })
	}
	files := 40
	if n, err := strconv.Atoi(os.Getenv("STRATA_INFILE_FILES")); err == nil {
		files = n
	}
	formats := []struct {
		clause string
		f      infile.Format
	}{
		{"", infile.Default()},
		{`FIELDS TERMINATED BY ',' ENCLOSED BY '"'`, infile.Format{FieldTerm: ",", Enclosed: '"', Escape: '\\', LineTerm: "\n"}},
		{`FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '"'`, infile.Format{FieldTerm: ",", Enclosed: '"', Escape: '"', LineTerm: "\n"}},
		{`FIELDS TERMINATED BY '||' ENCLOSED BY '"' ESCAPED BY '' LINES TERMINATED BY '\r\n'`, infile.Format{FieldTerm: "||", Enclosed: '"', LineTerm: "\r\n"}},
		{`FIELDS TERMINATED BY ',' LINES STARTING BY 'xx' TERMINATED BY '\n'`, infile.Format{FieldTerm: ",", Escape: '\\', LineStart: "xx", LineTerm: "\n"}},
	}
	seed := uint64(7)
	if n, err := strconv.ParseUint(os.Getenv("STRATA_INFILE_SEED"), 10, 64); err == nil {
		seed = n
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	alphabet := []string{"a", "b", ",", `"`, `\`, "\t", "\n", "\r", "N", "U", "L", "x", "|", `\N`, `""`, "\r\n"}
	load := func(table, clause, content string, n int) {
		t.Helper()
		name := fmt.Sprintf("infile-%s-%d", table, n)
		file := registerFile(t, name, content)
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE %s %s (a, b, c)", file, table, clause)); err != nil {
			t.Fatalf("loading %q into %s: %v", content, table, err)
		}
	}
	rows := func(table string) [][3]sql.NullString {
		t.Helper()
		r, err := conn.QueryContext(ctx, "SELECT a, b, c FROM "+table+" ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out [][3]sql.NullString
		for r.Next() {
			var v [3]sql.NullString
			if err := r.Scan(&v[0], &v[1], &v[2]); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	n := 0
	for fi, format := range formats {
		for range files {
			var b strings.Builder
			for range rng.IntN(60) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			content := b.String()
			n++
			mustExec(t, conn, "TRUNCATE infile_whole")
			mustExec(t, conn, "TRUNCATE infile_rows")
			ignore := rng.IntN(3)
			load("infile_whole", fmt.Sprintf("%s IGNORE %d LINES", format.clause, ignore), content, n)
			r := infile.NewReader(format.f, 3, 1)
			r.Feed([]byte(content))
			for range ignore {
				r.SkipLine(true)
			}
			var keys []infile.Field
			for i := 0; ; i++ {
				raw, key, ok := r.Next(true)
				if !ok {
					break
				}
				keys = append(keys, infile.Field{Value: slices.Clone(key.Value), Null: key.Null, Missing: key.Missing})
				load("infile_rows", format.clause, string(raw), n*1000+i)
			}
			whole, alone := rows("infile_whole"), rows("infile_rows")
			if !slices.Equal(whole, alone) {
				t.Fatalf("format %d, file %q: loaded whole %v, infile's rows loaded alone %v", fi, content, whole, alone)
			}
			if len(keys) != len(whole) {
				t.Fatalf("format %d, file %q: infile cut %d rows, MariaDB loaded %d", fi, content, len(keys), len(whole))
			}
			for i, k := range keys {
				got := whole[i][1]
				if (k.Null || k.Missing) != !got.Valid || (got.Valid && got.String != string(k.Value)) {
					t.Fatalf("format %d, file %q, row %d: infile read the second field as %q (null %v, missing %v), MariaDB stored %v", fi, content, i+1, k.Value, k.Null, k.Missing, got)
				}
			}
		}
	}
	t.Logf("%d random files agree with MariaDB", n)
}
