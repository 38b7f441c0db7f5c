package sharding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/test/testenv"
)

// loadFormat is a LOAD DATA statement's FIELDS and LINES clauses.
type loadFormat struct {
	fieldTerm, lineTerm, lineStart string
	enclosed, escaped              string // "" for none; escaped "" is ESCAPED BY ''
	optionally                     bool
	ignoreLines                    int
}

// clauses writes the format as the statement's clauses.
func (f loadFormat) clauses() string {
	quote := func(s string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s) + "'"
	}
	out := " FIELDS TERMINATED BY " + quote(f.fieldTerm)
	if f.enclosed != "" {
		if f.optionally {
			out += " OPTIONALLY"
		}
		out += " ENCLOSED BY " + quote(f.enclosed)
	}
	out += " ESCAPED BY " + quote(f.escaped) + " LINES"
	if f.lineStart != "" {
		out += " STARTING BY " + quote(f.lineStart)
	}
	out += " TERMINATED BY " + quote(f.lineTerm)
	if f.ignoreLines > 0 {
		out += fmt.Sprintf(" IGNORE %d LINES", f.ignoreLines)
	}
	return out
}

// loadGen makes random LOAD DATA files and formats: fields that hold the
// format's own terminators, enclosures and escapes, written escaped,
// enclosed or bare, so the server's reader, not the test's, decides where
// each row and field ends.
type loadGen struct {
	r       *rand.Rand
	textKey bool // the shard key is text (VARBINARY), not an INT
}

func (g loadGen) pick(vals ...string) string { return vals[g.r.IntN(len(vals))] }

func (g loadGen) format() loadFormat {
	f := loadFormat{
		fieldTerm: g.pick(",", "\t", "||", ";"),
		lineTerm:  g.pick("\n", "\n", "\r\n", "##"),
		escaped:   g.pick(`\`, `\`, "", "^"),
		enclosed:  g.pick("", `"`, "'"),
	}
	f.optionally = f.enclosed != "" && g.r.IntN(2) == 0
	if g.r.IntN(4) == 0 {
		f.lineStart = g.pick("xx", ">")
	}
	if g.r.IntN(4) == 0 {
		f.ignoreLines = 1 + g.r.IntN(2)
	}
	return f
}

// text is a field's content: letters and the characters formats use.
func (g loadGen) text(f loadFormat) string {
	parts := []string{"a", "b", "Z", " ", ",", "\t", "|", ";", `"`, "'", `\`, "^", "\n", "#", "x", ">", "N", "NULL", `\N`, "0"}
	var b strings.Builder
	for range g.r.IntN(6) {
		b.WriteString(g.pick(parts...))
	}
	return b.String()
}

// field writes a value into the file: escaped as the format's writer
// (SELECT ... INTO OUTFILE) would, enclosed, or bare and unescaped.
func (g loadGen) field(f loadFormat, v string) string {
	switch g.r.IntN(4) {
	case 0:
		return v // bare: the server's reader makes of it what it does
	case 1:
		if f.enclosed != "" {
			return f.enclosed + strings.ReplaceAll(v, f.enclosed, f.enclosed+f.enclosed) + f.enclosed
		}
	}
	if f.escaped == "" {
		return v
	}
	e := f.escaped
	v = strings.ReplaceAll(v, e, e+e)
	for _, special := range []string{f.fieldTerm[:1], f.lineTerm[:1], f.enclosed} {
		if special != "" && special != e {
			v = strings.ReplaceAll(v, special, e+special)
		}
	}
	return v
}

// key is a shard key field: a number as written by hand (leading zeros, a
// sign), now and then enclosed; a text key holds the characters formats
// use, written as any field.
func (g loadGen) key(f loadFormat) string {
	if g.textKey {
		return g.field(f, g.pick(textKeys...))
	}
	id := g.r.IntN(20)
	k := g.pick(fmt.Sprint(id), fmt.Sprintf("%03d", id), fmt.Sprintf("+%d", id))
	if g.r.IntN(40) == 0 {
		k = g.pick("2147483648", "-2147483649") // past INT: stored as its bound
	}
	if f.enclosed != "" && g.r.IntN(3) == 0 {
		k = f.enclosed + k + f.enclosed
	}
	return k
}

// textKeys are the text shard keys files give.
var textKeys = []string{"a key longer than VARBINARY(32) holds", "ann", "bo", "c,d", "e\tf", "g\"h", "i'j", "k\\l", "m\nn", "o||p", "q;r", "s^t", "NULL", "", "u#v", "w>x", "0", "y z"}

// file is a file of 1 to 6 rows in format f (k, a, b in the column list's
// order: keyFirst or a, k, b).
func (g loadGen) file(f loadFormat, keyFirst bool) string {
	var b strings.Builder
	for i := range f.ignoreLines {
		b.WriteString(f.lineStart + "header" + fmt.Sprint(i) + f.fieldTerm + "h" + f.lineTerm)
	}
	for range 1 + g.r.IntN(6) {
		if f.lineStart != "" && g.r.IntN(5) == 0 {
			b.WriteString("junk") // before the prefix: skipped
		}
		b.WriteString(f.lineStart)
		k, x, y := g.key(f), g.field(f, g.text(f)), g.field(f, g.text(f))
		if keyFirst {
			b.WriteString(k + f.fieldTerm + x + f.fieldTerm + y)
		} else {
			b.WriteString(x + f.fieldTerm + k + f.fieldTerm + y)
		}
		b.WriteString(f.lineTerm)
	}
	return b.String()
}

// Random LOAD DATA LOCAL files, in random formats (terminators of one or
// two characters, CRLF, enclosures, escapes or none, line prefixes,
// IGNORE n LINES) whose fields hold those very characters, load through
// Strata the rows one server loads from them: the same count, the same
// rows, each on the shard its key names (a point read of each key
// through Strata, which goes to that shard alone, finds its rows). Strata
// cuts the file into rows with its own reader (package infile) and
// sends each to the shard its key names; a row cut elsewhere than the
// server cuts it would be split, merged or sent to the wrong shard.
// Seeded: STRATA_DIFF_SEED and STRATA_DIFF_QUERIES (the number of files).
func TestLoadDataDifferential(t *testing.T) {
	seed, n := diffParams(t, 100)
	t.Logf("seed %d, %d files per key type (STRATA_DIFF_SEED=%d STRATA_DIFF_QUERIES=%d to repeat)", seed, n, seed, n)
	strataDB(t)
	// An integer key placed by modulo; a text key, whose fields the
	// reader decodes (escapes, enclosures) before Strata places it by
	// hash.
	t.Run("integer", func(t *testing.T) {
		loadDifferential(t, "ld_diff", "INT", "method: modulo, shards: [s0, s1, s2, s3]", loadGen{r: rand.New(rand.NewPCG(seed, 23))}, n)
	})
	t.Run("text", func(t *testing.T) {
		loadDifferential(t, "ld_text", "VARBINARY(32)", "method: hash, shards: {s0: '-40', s1: '40-80', s2: '80-c0', s3: 'c0-'}", loadGen{r: rand.New(rand.NewPCG(seed, 29)), textKey: true}, n)
	})
}

func loadDifferential(t *testing.T, table, keyType, placement string, g loadGen, n int) {
	createOn(t, "CREATE TABLE IF NOT EXISTS blog."+table+" (k "+keyType+" NOT NULL, a VARBINARY(64), b VARBINARY(64), KEY (k))",
		"blog."+table, append([]string{"single"}, shardNames...)...)
	empty := func() {
		for _, c := range append([]string{"single"}, shardNames...) {
			if _, err := direct[c].Exec("DELETE FROM blog." + table); err != nil {
				t.Fatal(err)
			}
		}
	}
	empty()
	s := startOwn(t, ownConfig(t, table+": {shard_key: k, "+placement+"}", ""))
	got := testenv.Conn(t, openStrata(t, s.MySQLAddr()))
	want := testenv.Conn(t, singleBlog)
	ctx := t.Context() // a long run outlasts testenv.Ctx's deadline
	rows := "SELECT CONCAT_WS(' ', HEX(k), IFNULL(HEX(a), 'NULL'), IFNULL(HEX(b), 'NULL')) FROM " + table + " ORDER BY 1"
	outcomes := map[string]int{}
	for i := range n {
		if i%100 == 99 {
			empty() // so each comparison reads a few hundred rows at most
		}
		f := g.format()
		keyFirst := g.r.IntN(3) > 0
		file := g.file(f, keyFirst)
		cols := " (k, a, b)"
		if !keyFirst {
			cols = " (a, k, b)"
		}
		q := "LOAD DATA LOCAL INFILE '" + registerFile(t, fmt.Sprint(table, i), file) + "' INTO TABLE " + table + f.clauses() + cols
		mustExec(t, want, "BEGIN")
		gotRes, gotErr := got.ExecContext(ctx, q)
		wantRes, wantErr := want.ExecContext(ctx, q)
		// A row Strata cannot route (a key field the server reads as
		// 0, say) stops the load, and nothing is loaded: documented.
		var ge *mysql.MySQLError
		if errors.As(gotErr, &ge) && ge.Number == 1235 && strings.Contains(ge.Message, "nothing was loaded") && wantErr == nil {
			mustExec(t, want, "ROLLBACK")
			why := ge.Message
			if _, after, ok := strings.Cut(why, table+": "); ok {
				why = after
			}
			why, _, _ = strings.Cut(why, ";")
			switch {
			case strings.Contains(ge.Message, "not an integer"):
				why = "a key field that is not an integer" // fields shifted by a bare terminator
			}
			outcomes["refused: "+why]++
			continue
		}
		mustExec(t, want, "COMMIT")
		seedNote := fmt.Sprintf("(repeat with STRATA_DIFF_SEED and STRATA_DIFF_QUERIES=%d)", n)
		if msg := sameOutcome(gotRes, gotErr, wantRes, wantErr); msg != "" {
			t.Fatalf("file %d: %s\nfile %q\n%s %s", i, q, file, msg, seedNote)
		}
		var me *mysql.MySQLError
		if errors.As(wantErr, &me) {
			outcomes[fmt.Sprint("error ", me.Number)]++
		} else {
			outcomes["loaded"]++
		}
		if gotRows, wantRows := testenv.Strings(t, got, rows), testenv.Strings(t, want, rows); strings.Join(gotRows, "\n") != strings.Join(wantRows, "\n") {
			t.Fatalf("file %d: %s\nfile %q\nrows through Strata\n%s\non one server\n%s %s",
				i, q, file, strings.Join(gotRows, "\n"), strings.Join(wantRows, "\n"), seedNote)
		}
		checkKeysOnTheirShards(t, ctx, got, want, table, fmt.Sprintf("file %d (%q)", i, file))
	}
	t.Logf("outcomes: %v", outcomes)
	if outcomes["loaded"] == 0 {
		t.Errorf("outcomes %v: no file loaded", outcomes)
	}
}

// checkKeysOnTheirShards reads each key's rows through Strata by the key,
// bound, which reads the key's shard alone, and on the single server: a
// row on another shard than its key's is not found.
func checkKeysOnTheirShards(t *testing.T, ctx context.Context, got, want *sql.Conn, table, what string) {
	t.Helper()
	var keys [][]byte
	rows, err := want.QueryContext(ctx, "SELECT DISTINCT k FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	q := "SELECT COUNT(*) FROM " + table + " WHERE k = ?"
	for _, k := range keys {
		var g, w int
		if err := got.QueryRowContext(ctx, q, k).Scan(&g); err != nil {
			t.Fatal(err)
		}
		if err := want.QueryRowContext(ctx, q, k).Scan(&w); err != nil {
			t.Fatal(err)
		}
		if g != w {
			t.Fatalf("after %s: key %q: %d rows through Strata, %d on one server", what, k, g, w)
		}
	}
}
