package sqlparse

import (
	"strings"
	"testing"
)

// Every statement text comes from a client. Classification must answer for
// any text, in either quoting mode, without panicking: a panic would cost
// the client its connection and tell it nothing. `go test -fuzz=FuzzParse
// ./sqlparse` explores beyond the seeds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM entries WHERE id = 1",
		"/* strata:primary */ SELECT 1; UPDATE t SET a = 'x\\'y' WHERE b IN (1, 2)",
		"SET STATEMENT max_statement_time=1 FOR SELECT SLEEP(2)",
		"SET NAMES utf8mb4 COLLATE utf8mb4_bin, @a := 1, SESSION time_zone = '+00:00'",
		"START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT",
		"select `a``b` from \"c\" -- x\n# y\n; /*! 50000 KILL QUERY 7 */",
		"LOCK TABLES t READ, u WRITE",
		"CREATE TEMPORARY TABLE tt SELECT GET_LOCK('x', 1)",
		"",
		";;",
		"'unterminated",
		"INSERT INTO t (a) VALUES (1), ('returning') RETURNING a, (SELECT 1) AS b",
		"DELETE FROM t WHERE returning = 1 ORDER BY id LIMIT 3 RETURNING *",
		"EXPLAIN FORMAT=JSON SELECT * FROM t WHERE id = 1",
		"SELECT id INTO @x FROM t",
		"CHECK NO_WRITE_TO_BINLOG TABLE `a`.b, c QUICK EXTENDED",
		"DROP TRIGGER IF EXISTS s.`t``r`",
		"SHOW COUNT(*) WARNINGS; SELECT @@session.warning_count AS w, @@error_count",
		"SELECT MIN(title COLLATE utf8mb4_bin), CASE WHEN id THEN UPPER(p.body) END c, CAST(x AS CHAR) FROM posts p GROUP BY c ORDER BY 1",
	} {
		f.Add(s)
	}
	modes := []Mode{{}, NewMode("ANSI_QUOTES,NO_BACKSLASH_ESCAPES")}
	f.Fuzz(func(t *testing.T, sql string) {
		for _, m := range modes {
			// No statement at all (";;") is fine: the planner sends such
			// text to the primary, whose answer is "Query was empty".
			facts, _ := m.ParseOrFallback(sql)
			for i, fact := range facts {
				if fact == nil {
					t.Fatalf("%q: no facts for statement %d", sql, i+1)
				}
				// A RETURNING clause is read only where the text has one
				// the planner finds again.
				if fact.Returning != "" && m.ReturningOffset(fact.Text) < 0 {
					t.Fatalf("%q: RETURNING %q read, but not found in %q", sql, fact.Returning, fact.Text)
				}
			}
		}
		// The analysis over sharded tables (with the collation sources of
		// its merged columns) answers or refuses, never panics.
		fresh, errFresh := AnalyzeShard(sql, testKeyOf)
		// The analysis of the tree the classification kept is the
		// analysis of a fresh parse.
		kept, errKept, _ := analyzeKept(t, Mode{}, sql)
		if d := sameAnalysis(kept, fresh, errKept, errFresh); d != "" {
			t.Fatalf("%q: the kept tree's analysis differs from a fresh one: %s", sql, d)
		}
		// EXPLAIN of a statement splits into a head and the statement,
		// which together are the text (spaces and comments aside).
		if head, stmt, ok := SplitExplain(sql); ok {
			if !strings.Contains(sql, head) || !strings.HasSuffix(strings.TrimSpace(sql), stmt) || stmt == "" {
				t.Fatalf("%q: SplitExplain gave %q and %q", sql, head, stmt)
			}
		}
		_ = UnparsedForm(sql)
		// A text with none of MariaDB's forms is left as it is.
		if alt, ok := (Mode{}).MySQLForm(sql); !ok && alt != sql {
			t.Fatalf("%q: MySQLForm changed it (%q) but says it did not", sql, alt)
		}
		// A maintenance statement Strata rewrites per table copy reads
		// back as the same operation, prefix and options.
		for _, m := range []Mode{{}, {noBackslash: true}} {
			if mt, ok := m.ParseMaintenance(sql); ok {
				if len(mt.Tables) == 0 {
					t.Fatalf("%q: maintenance of no table", sql)
				}
				again, ok := m.ParseMaintenance(mt.For("s", mt.Tables[0].Name))
				if !ok || again.Op != mt.Op || again.Prefix != mt.Prefix || again.Options != mt.Options || len(again.Tables) != 1 || again.Tables[0].Name != mt.Tables[0].Name {
					t.Fatalf("%q: For gave %q, which reads as %+v", sql, mt.For("s", mt.Tables[0].Name), again)
				}
			}
			_, _, _, _ = m.ParseDropTrigger(sql)
			if d, ok := m.ParseDiagnosticsRead(sql); ok && !d.Show && len(d.Counts) == 0 {
				t.Fatalf("%q: a read of diagnostics that reads nothing", sql)
			}
			_, _, _ = m.ParseShowCreateTrigger(sql)
			// SQL-level PREPARE/EXECUTE: Strata writes values in place of
			// the text's placeholders, each one.
			if p, ok := m.ParseSQLPrepare(sql); ok && p.Verb == "" {
				t.Fatalf("%q: a prepared statement command of no verb", sql)
			}
			if _, n := m.BindPlaceholders(sql, nil); n > 0 {
				args := make([]string, n)
				for i := range args {
					args[i] = "7"
				}
				if _, again := m.BindPlaceholders(sql, args); again != n {
					t.Fatalf("%q: %d placeholders, then %d", sql, n, again)
				}
			}
		}
	})
}

// ReplaceConnectionID rewrites client text before a server sees it: it
// must say whether it changed anything, and a second pass must find
// nothing left to replace.
func FuzzReplaceConnectionID(f *testing.F) {
	for _, s := range []string{
		"SELECT CONNECTION_ID()",
		"select connection_id ( ), 'connection_id()', `connection_id`() /* connection_id() */",
		"SELECT db.connection_id(), CONNECTION_ID(1)",
		"SELECT CONNECTION_ID(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		out, changed := ReplaceConnectionID(sql, 4242)
		if changed != (out != sql) {
			t.Fatalf("%q: changed=%v but output %q", sql, changed, out)
		}
		if changed && !strings.Contains(out, "4242") {
			t.Fatalf("%q: replaced, yet %q has no id", sql, out)
		}
		if again, more := ReplaceConnectionID(out, 4242); more {
			t.Fatalf("%q: a second pass still replaced: %q -> %q", sql, out, again)
		}
	})
}
