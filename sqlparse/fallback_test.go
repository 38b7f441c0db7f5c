package sqlparse

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestClassifyFallback(t *testing.T) {
	fb := func(f Facts) Facts { f.Fallback = true; return f }
	cases := []struct {
		sql  string
		want Facts
	}{
		// Statements the parser lacks.
		{"BEGIN WORK", fb(Facts{Kind: KindBegin, StartsTx: true, ImplicitCommit: true})},
		{"shutdown WAIT FOR ALL SLAVES", fb(Facts{Kind: KindShutdown})},
		{"SET PASSWORD = OLD_PASSWORD('x')", fb(Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true})},
		{"SET PASSWORD FOR u = OLD_PASSWORD('x')", fb(Facts{Kind: KindGrant, ImplicitCommit: true})},
		{"ALTER USER CURRENT_USER IDENTIFIED VIA ed25519 USING PASSWORD('x')", fb(Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true})},
		{"ALTER USER u IDENTIFIED VIA ed25519 USING PASSWORD('x')", fb(Facts{Kind: KindGrant, ImplicitCommit: true})},
		{"SHOW BINLOG EVENTS IN 'mysql-bin.000002' FROM 4 LIMIT 3", fb(Facts{Kind: KindShow, ReadsBinlog: true})},
		{"SHOW RELAYLOG EVENTS", fb(Facts{Kind: KindShow})},
		{"SELECT CAST(@@gtid_binlog_pos AS CHAR) LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect, ReadOnly: true, ReadsBinlog: true})},
		{"COMMIT WORK", fb(Facts{Kind: KindCommit, EndsTx: true})},
		{"COMMIT WORK AND CHAIN", fb(Facts{Kind: KindCommit, EndsTx: true, StartsTx: true})},
		{"COMMIT AND NO CHAIN", fb(Facts{Kind: KindCommit, EndsTx: true})},
		{"ROLLBACK WORK", fb(Facts{Kind: KindRollback, EndsTx: true})},
		{"ROLLBACK WORK TO SAVEPOINT sp", fb(Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointRollback, "sp"}})},
		{"ROLLBACK WORK TO `Sp 1`", fb(Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointRollback, "Sp 1"}})},
		{"SAVEPOINT `a``b`", fb(Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointSet, "a`b"}})},
		{"RELEASE SAVEPOINT sp", fb(Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointRelease, "sp"}})},
		{"RELEASE SAVEPOINT sp extra", fb(Facts{Kind: KindSavepoint})},
		{"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", fb(Facts{Kind: KindBegin, StartsTx: true, ImplicitCommit: true, ReadOnlyTx: true})},
		{"START SLAVE", fb(Facts{Kind: KindOther, ControlsReplication: true})},
		{"XA START 'x'", fb(Facts{Kind: KindXA, StartsTx: true})},
		{"XA END 'x'", fb(Facts{Kind: KindXA})},
		{"XA COMMIT 'x' ONE PHASE", fb(Facts{Kind: KindXA, EndsTx: true})},
		{"SELECT a FROM t INTO @x", fb(Facts{Kind: KindSelect, SetsUserVars: true, ReadsUserVars: true})},
		{"SELECT * INTO OUTFILE '/tmp/x' FROM t", fb(Facts{Kind: KindSelect, IntoOutfile: true})},
		{"(SELECT 1) UNION (SELECT 2) LIMIT ROWS EXAMINED 5", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		// MariaDB-only reads a replica may answer: builtins, lists and
		// subqueries only (plainRead).
		{"SELECT CAST(a AS INT) FROM t WHERE id IN (1, 2)", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		{"SELECT a FROM t ORDER BY a OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		{"SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u) AND a NOT IN (SELECT b FROM v) LIMIT ROWS EXAMINED 9", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		{"WITH c AS (SELECT 1 AS x) SELECT CAST(x AS INT) FROM c", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		{"SELECT REPLACE(a, 'x', 'y'), 'UPDATE t' FROM t LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		{"SELECT COUNT(*) OVER (PARTITION BY a) FROM t FORCE INDEX (i) LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		{"SELECT CAST(a AS DECIMAL(10, 2)), CAST(b AS CHAR(3)) FROM t LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		{"SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) AS j LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect, ReadOnly: true})},
		// A stored function may write: its caller runs on the primary.
		{"SELECT my_func(a) FROM t LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect})},
		{"SELECT db.concat(a) FROM t LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect})},
		{"SELECT `concat` (a) FROM t LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect})},
		{"WITH c AS (SELECT 1 AS x) UPDATE t SET a = 1", fb(Facts{Kind: KindSelect})},
		{"SELECT CAST(a AS INT) FROM t; DELETE FROM t", fb(Facts{Kind: KindSelect})},
		{"SELECT @x := 1 LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect, SetsUserVars: true, ReadsUserVars: true})},
		{"SELECT NEXTVAL(s) LIMIT ROWS EXAMINED 1", fb(Facts{Kind: KindSelect, SideEffects: true})},
		{"SELECT c FROM t LIMIT ROWS EXAMINED 10 FOR UPDATE", fb(Facts{Kind: KindSelect, Locking: true})},
		{"SELECT PREVIOUS VALUE FOR s", fb(Facts{Kind: KindSelect, SideEffects: true, SessionFunctions: true})},
		{"SELECT FOUND_ROWS() LIMIT ROWS EXAMINED 5", fb(Facts{Kind: KindSelect, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true})},
		{"HANDLER t OPEN", fb(Facts{Kind: KindOther, Hold: "handler t"})},
		{"HANDLER blog.`T` OPEN AS h1", fb(Facts{Kind: KindOther, Hold: "handler h1"})},
		{"HANDLER blog.t OPEN h2", fb(Facts{Kind: KindOther, Hold: "handler h2"})},
		{"HANDLER H1 READ `PRIMARY` NEXT", fb(Facts{Kind: KindOther})},
		{"HANDLER H1 CLOSE", fb(Facts{Kind: KindOther, Release: "handler h1"})},
		{"BACKUP STAGE START", fb(Facts{Kind: KindOther, Hold: "backup stage"})},
		{"BACKUP STAGE BLOCK_COMMIT", fb(Facts{Kind: KindOther, Hold: "backup stage"})},
		{"BACKUP STAGE END", fb(Facts{Kind: KindOther, Release: "backup stage"})},
		{"BACKUP LOCK blog.t", fb(Facts{Kind: KindOther, Hold: "backup lock"})},
		{"BACKUP UNLOCK", fb(Facts{Kind: KindOther, Release: "backup lock"})},
		{"FLUSH TABLES t1 FOR EXPORT", fb(Facts{Kind: KindFlush, ImplicitCommit: true, Locking: true})},
		{"FLUSH TABLE t1 WITH READ LOCK AND DISABLE CHECKPOINT", fb(Facts{Kind: KindFlush, ImplicitCommit: true, Locking: true})},
		{"FLUSH BINARY LOGS DELETE_DOMAIN_ID = (1)", fb(Facts{Kind: KindFlush, ImplicitCommit: true})},
		{"SHOW WARNINGS LIMIT 1", fb(Facts{Kind: KindShow, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true})},
		{"SHOW COUNT(*) ERRORS LIMIT 2", fb(Facts{Kind: KindShow, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true})},
		{"SHOW SLAVE HOSTS LIMIT 1", fb(Facts{Kind: KindShow})},
		{"GET DIAGNOSTICS @n = NUMBER", fb(Facts{Kind: KindOther, SessionFunctions: true, ReadsPrevious: true, SetsUserVars: true, ReadsUserVars: true})},
		{"GET CURRENT DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT", fb(Facts{Kind: KindOther, SessionFunctions: true, ReadsPrevious: true, SetsUserVars: true, ReadsUserVars: true})},
		{"DELETE FROM t WHERE id = 1 RETURNING id", fb(Facts{Kind: KindDelete})},
		{"INSERT INTO t VALUES (1) RETURNING id, LAST_INSERT_ID()", fb(Facts{Kind: KindInsert, SessionFunctions: true})},
		{"REPLACE INTO t VALUES (1) RETURNING *", fb(Facts{Kind: KindReplace})},
		{"UPDATE t SET a = GET_LOCK('x', 1) RETURNING a", fb(Facts{Kind: KindUpdate, LockFunctions: true, SideEffects: true})},
		{"CREATE OR REPLACE TABLE t (a INT)", fb(Facts{Kind: KindDDL, ImplicitCommit: true})},
		{"CREATE OR REPLACE TEMPORARY TABLE t (a INT)", fb(Facts{Kind: KindDDL, TempTable: true})},
		{"CREATE FUNCTION f() RETURNS INT RETURN 1", fb(Facts{Kind: KindDDL, ImplicitCommit: true})},
		{"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", fb(Facts{Kind: KindDDL, ImplicitCommit: true})},
		{"CREATE OR REPLACE USER u", fb(Facts{Kind: KindGrant, ImplicitCommit: true})},
		{"DROP ROLE r", fb(Facts{Kind: KindGrant, ImplicitCommit: true})},
		{"DROP PREPARE Stmt1", fb(Facts{Kind: KindPrepare, PrepareName: "stmt1"})},
		{"CHECK TABLE t", fb(Facts{Kind: KindAnalyze, ImplicitCommit: true})},
		{"REPAIR TABLE t", fb(Facts{Kind: KindAnalyze, ImplicitCommit: true})},
		{"CHECKSUM TABLE t", fb(Facts{Kind: KindAnalyze})},
		{"ANALYZE SELECT * FROM t", fb(Facts{Kind: KindExplain})},
		{"SHOW BINARY LOGS", fb(Facts{Kind: KindShow, ReadsBinlog: true})},
		{"SHOW ENGINE INNODB STATUS", fb(Facts{Kind: KindShow})},
		{"LOCK TABLE t AS x READ LOCAL", fb(Facts{Kind: KindLockTables, ImplicitCommit: true})},
		{"LOCK INSTANCE FOR BACKUP", fb(Facts{Kind: KindOther})},
		{"UNLOCK TABLE", fb(Facts{Kind: KindUnlockTables})},
		{"KILL QUERY ID 7", fb(Facts{Kind: KindKill, KillQuery: true})},
		{"KILL HARD CONNECTION 12", fb(Facts{Kind: KindKill, KillID: 12})},
		{"KILL USER bob", fb(Facts{Kind: KindKill})},
		{"LOAD XML INFILE 'x' INTO TABLE t", fb(Facts{Kind: KindLoadData, LoadsFile: true})},
		{"LOAD INDEX INTO CACHE t", fb(Facts{Kind: KindOther, ImplicitCommit: true})},
		{"RESET MASTER", fb(Facts{Kind: KindOther, ImplicitCommit: true, ControlsReplication: true})},
		{"BEGIN NOT ATOMIC SELECT 1; END", fb(Facts{Kind: KindOther})},
		{"SET PERSIST max_connections = 10", fb(Facts{Kind: KindSet})},
		{"SET PASSWORD FOR u = PASSWORD('x')", fb(Facts{Kind: KindGrant, ImplicitCommit: true})},
		{"SET TRANSACTION ISOLATION LEVEL SNAPSHOT", fb(Facts{Kind: KindSet, NextTxSettings: true})},
		{"SET NAMES latin2 COLLATE latin2_czech_cs", fb(Facts{Kind: KindSet, SessionVars: []SessionVar{
			{Name: "names", Value: "latin2 COLLATE latin2_czech_cs", SQL: "SET NAMES latin2 COLLATE latin2_czech_cs"}}})},
		{"SET CHARACTER SET 'koi8r'", fb(Facts{Kind: KindSet, SessionVars: []SessionVar{
			{Name: "character set", Value: "koi8r", SQL: "SET CHARACTER SET koi8r"}}})},
		{"SET NAMES x, weird = 1", fb(Facts{Kind: KindSet})},
		{"SET @@session.autocommit = some_new_syntax()", fb(Facts{Kind: KindSet, Autocommit: boolp(false)})},
		{"SET STATEMENT max_statement_time = 5 FOR UPDATE t SET a = 1 RETURNING a", fb(Facts{Kind: KindUpdate})},
		{"/* strata:pool=x */ SHOW BINARY LOGS", fb(Facts{Kind: KindShow, ReadsBinlog: true, Hint: Hint{Pool: "x"}})},
		{"/*!40101 BEGIN WORK */", fb(Facts{Kind: KindBegin, StartsTx: true, ImplicitCommit: true})},
		{"/*!80000 BEGIN WORK */", fb(Facts{})}, // MariaDB skips MySQL 8's comment: an empty query
		{"USE `my db`", fb(Facts{Kind: KindUse, Schema: "my db"})},
		{"GRANT ALL ON *.* TO 'u'@'localhost'", fb(Facts{Kind: KindGrant, ImplicitCommit: true})},
		{"FROBNICATE EVERYTHING", fb(Facts{Kind: KindOther})},
		{"", fb(Facts{Kind: KindOther})},
	}
	for _, c := range cases {
		got := ClassifyFallback(c.sql)
		got.Names = nil // TestFallbackNames
		checkFacts(t, c.sql, got, c.want)
	}
}

// A statement the parser could not read lists every name in it: any may
// be a sharded table, which the statement must then not reach unplanned.
func TestFallbackNames(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT CAST(id AS INT) FROM Events WHERE id = 1", []string{"select", "cast", "id", "as", "int", "from", "events", "where", "id", "1"}},
		{"SELECT a FROM `my``db`.`Tbl` LIMIT ROWS EXAMINED 5", []string{"select", "a", "from", "my`db", "tbl", "limit", "rows", "examined", "5"}},
		{`HANDLER "orders" OPEN /* comments */ -- x`, []string{"handler", "orders", "open"}},
		{"SELECT 'events' FROM t", []string{"select", "from", "t"}},
	}
	for _, tt := range tests {
		if got := ClassifyFallback(tt.sql).Names; !slices.Equal(got, tt.want) {
			t.Errorf("%s: names %q, want %q", tt.sql, got, tt.want)
		}
	}
}

func TestParseOrFallback(t *testing.T) {
	sql := "SELECT 1; BEGIN WORK; UPDATE t SET a = 1; SET STATEMENT max_statement_time=1 FOR SELECT c FROM t WHERE id = 2; COMMIT WORK"
	facts, err := ParseOrFallback(sql)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Code != ErrCodeSyntax {
		t.Fatalf("err = %v, want the parser's syntax error", err)
	}
	want := []struct {
		kind     Kind
		fallback bool
		readOnly bool
	}{
		{KindSelect, false, true},
		{KindBegin, true, false},
		{KindUpdate, false, false},
		{KindSelect, false, true}, // SET STATEMENT ... FOR parses its statement
		{KindCommit, true, false},
	}
	if len(facts) != len(want) {
		t.Fatalf("got %d facts", len(facts))
	}
	for i, w := range want {
		f := facts[i]
		if f.Kind != w.kind || f.Fallback != w.fallback || f.ReadOnly != w.readOnly {
			t.Errorf("stmt %d %q: %s", i, f.Text, dump(*f))
		}
	}
	if got := facts[3]; got.Text != "SET STATEMENT max_statement_time=1 FOR SELECT c FROM t WHERE id = 2" ||
		len(got.Tables) != 1 || got.Digest == "" {
		t.Errorf("SET STATEMENT facts: %s", dump(*got))
	}

	facts, err = ParseOrFallback("SELECT 1; SELECT 2")
	if err != nil || len(facts) != 2 || facts[0].Fallback {
		t.Errorf("valid text: %v %v", facts, err)
	}
}

// The parser panics on a number of more than 81 digits, which MariaDB
// reads (as a double). Such a statement must get facts (the fallback's: a
// plain read here), and the parser must go on serving the statements
// after it.
func TestParserPanicFallsBack(t *testing.T) {
	for _, sql := range []string{
		"SELECT 1" + strings.Repeat("0", 90),
		"SELECT 0." + strings.Repeat("0", 90) + "1 FROM t",
	} {
		if _, err := Classify(sql); err == nil {
			t.Errorf("Classify(%.20q…) = nil error, want a syntax error", sql)
		}
		facts, _ := ParseOrFallback(sql)
		if len(facts) != 1 || !facts[0].Fallback || facts[0].Kind != KindSelect {
			t.Fatalf("ParseOrFallback(%.20q…) = %+v, want one fallback SELECT", sql, facts)
		}
		if f, err := Classify("SELECT a FROM t WHERE id = 1"); err != nil || f.Kind != KindSelect {
			t.Fatalf("the next parse: %+v, %v", f, err)
		}
	}
}

// A stored program's body runs on each call, not when it is defined: the
// user variables and functions it names do not make the definition a
// statement that assigns or reads them.
func TestProgramDefinitionsDoNotUseTheirBodysVariables(t *testing.T) {
	for _, sql := range []string{
		"CREATE TRIGGER who BEFORE INSERT ON t FOR EACH ROW SET NEW.who = @app_user",
		"CREATE DEFINER = 'app'@'%' TRIGGER who BEFORE INSERT ON t FOR EACH ROW SET @last := NEW.id",
		"CREATE OR REPLACE PROCEDURE p() BEGIN SELECT @x := GET_LOCK('a', 1); END",
		"CREATE FUNCTION f() RETURNS INT RETURN @n + ROW_COUNT()",
		"ALTER EVENT e DO SET @a = 1",
	} {
		f := ClassifyFallback(sql)
		if f.Kind != KindDDL || f.ReadsUserVars || f.SetsUserVars || f.LockFunctions || f.ReadsPrevious {
			t.Errorf("%s: kind %v, reads/sets user variables %v/%v, lock functions %v, reads previous %v; want a DDL without them",
				sql, f.Kind, f.ReadsUserVars, f.SetsUserVars, f.LockFunctions, f.ReadsPrevious)
		}
	}
	// Elsewhere they count.
	if f := ClassifyFallback("CREATE TABLE t SELECT @x := 1 AS a FROM DUAL LIMIT ROWS EXAMINED 5"); !f.SetsUserVars {
		t.Error("CREATE TABLE ... SELECT @x := 1 (unparsed): SetsUserVars false")
	}
}
