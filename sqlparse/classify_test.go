package sqlparse

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/infile"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		sql  string
		want Facts
	}{
		// SELECT shapes.
		{"SELECT c FROM sbtest1 WHERE id=123",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("sbtest1")}},
		{"select C from `SBtest1` WhErE Id = 5",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("sbtest1")}},
		{"SELECT 1", Facts{Kind: KindSelect, ReadOnly: true}},
		{"SELECT 1 FROM DUAL", Facts{Kind: KindSelect, ReadOnly: true}},
		{"SELECT * FROM blog.posts p JOIN blog.users u ON p.uid = u.id",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("blog.posts", "blog.users")}},
		{"SELECT * FROM `My Db`.`Odd Table` AS x",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("my db.odd table")}},
		{"SELECT * FROM (SELECT * FROM t) AS d WHERE x IN (SELECT y FROM u) AND EXISTS (SELECT 1 FROM w)",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t", "u", "w")}},
		{"SELECT (SELECT MAX(b) FROM t2 WHERE t2.c = t1.c) FROM t1",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t2", "t1")}},
		{"SELECT a FROM t UNION SELECT a FROM u UNION ALL (SELECT a FROM t)",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t", "u")}},
		{"WITH c AS (SELECT * FROM t) SELECT * FROM c JOIN u ON c.id = u.id",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t", "u")}},
		{"WITH t AS (SELECT * FROM t) SELECT * FROM t", // the inner t is the base table
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t")}},
		{"WITH RECURSIVE r AS (SELECT 1 n UNION ALL SELECT n+1 FROM r WHERE n < 10) SELECT * FROM r",
			Facts{Kind: KindSelect, ReadOnly: true}},
		{"SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM c) x, c", // outer c is a table
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("c")}},
		{"TABLE t", Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t")}},
		{"SELECT * FROM t1 NATURAL JOIN t2 STRAIGHT_JOIN t3 LEFT JOIN t1 ON 1",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t1", "t2", "t3")}},

		// Locking reads.
		{"SELECT * FROM t WHERE id = 1 FOR UPDATE",
			Facts{Kind: KindSelect, Locking: true, Tables: tables("t")}},
		{"SELECT * FROM t LOCK IN SHARE MODE", Facts{Kind: KindSelect, Locking: true, Tables: tables("t")}},
		{"SELECT * FROM t FOR SHARE", Facts{Kind: KindSelect, Locking: true, Tables: tables("t")}},
		{"SELECT * FROM t FOR UPDATE SKIP LOCKED", Facts{Kind: KindSelect, Locking: true, Tables: tables("t")}},
		{"SELECT * FROM t1 a JOIN t2 b ON a.id = b.id FOR UPDATE OF a",
			Facts{Kind: KindSelect, Locking: true, Tables: tables("t1", "t2")}},
		{"SELECT * FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)",
			Facts{Kind: KindSelect, Locking: true, Tables: tables("t", "u")}},

		// Session state in SELECT.
		{"SELECT @x", Facts{Kind: KindSelect, ReadOnly: true, ReadsUserVars: true}},
		{"SELECT @x := 1", Facts{Kind: KindSelect, SetsUserVars: true}},
		{"SELECT @n := @n + 1 FROM t", Facts{Kind: KindSelect, SetsUserVars: true, ReadsUserVars: true, Tables: tables("t")}},
		{"SELECT @@version, @@session.time_zone", Facts{Kind: KindSelect, ReadOnly: true}},
		{"SELECT @@warning_count", Facts{Kind: KindSelect, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true}},
		{"SELECT @@GLOBAL.read_only AS Value", Facts{Kind: KindSelect, ReadOnly: true, ReadsReadOnly: true}},
		{"SELECT @@read_only, @@version", Facts{Kind: KindSelect, ReadOnly: true, ReadsReadOnly: true}},
		{"SELECT @@innodb_read_only", Facts{Kind: KindSelect, ReadOnly: true}},
		{"SHOW GLOBAL VARIABLES LIKE 'read_only'", Facts{Kind: KindShow, ReadOnly: true, ReadsReadOnly: true}},
		{"SHOW VARIABLES LIKE 'read%'", Facts{Kind: KindShow, ReadOnly: true, ReadsReadOnly: true}},
		{"SHOW VARIABLES", Facts{Kind: KindShow, ReadOnly: true, ReadsReadOnly: true, ReadsBinlog: true}},
		{"SHOW VARIABLES WHERE Variable_name = 'version'", Facts{Kind: KindShow, ReadOnly: true, ReadsReadOnly: true, ReadsBinlog: true}},
		{"SHOW VARIABLES LIKE 'version%'", Facts{Kind: KindShow, ReadOnly: true}},
		{"SHOW GLOBAL VARIABLES LIKE 'gtid%'", Facts{Kind: KindShow, ReadOnly: true, ReadsBinlog: true}},
		{"SHOW VARIABLES LIKE 'gtid_slave_pos'", Facts{Kind: KindShow, ReadOnly: true}},
		{"SELECT @@gtid_binlog_pos", Facts{Kind: KindSelect, ReadOnly: true, ReadsBinlog: true}},
		{"SELECT @@GLOBAL.gtid_current_pos, @@gtid_binlog_state", Facts{Kind: KindSelect, ReadOnly: true, ReadsBinlog: true}},
		{"SELECT @@gtid_slave_pos", Facts{Kind: KindSelect, ReadOnly: true}},
		{"SHOW SLAVE STATUS", Facts{Kind: KindShow}},
		{"SELECT @@last_gtid", Facts{Kind: KindSelect, ReadOnly: true, SessionFunctions: true}},
		{"SELECT @@session.error_count", Facts{Kind: KindSelect, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true}},
		{"SELECT GET_LOCK('a', 1)", Facts{Kind: KindSelect, LockFunctions: true, SideEffects: true}},
		{"select release_lock('a'), Is_Free_Lock('b')", Facts{Kind: KindSelect, LockFunctions: true, SideEffects: true}},
		{"SELECT LAST_INSERT_ID()", Facts{Kind: KindSelect, ReadOnly: true, SessionFunctions: true}},
		{"SELECT LAST_INSERT_ID(42)", Facts{Kind: KindSelect, SessionFunctions: true, SideEffects: true, SetsInsertID: true}},
		{"SELECT FOUND_ROWS()", Facts{Kind: KindSelect, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true}},
		{"SELECT ROW_COUNT(), CONNECTION_ID()", Facts{Kind: KindSelect, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true, ConnectionID: true}},
		{"SELECT db.connection_id()", Facts{Kind: KindSelect, SessionFunctions: true, StoredFunctions: true}}, // a stored function: not the builtin
		{"SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 10",
			Facts{Kind: KindSelect, ReadOnly: true, CalcFoundRows: true, Tables: tables("t")}},
		{"SELECT NEXTVAL(seq)", Facts{Kind: KindSelect, SideEffects: true, Tables: tables("seq")}},
		{"SELECT NEXT VALUE FOR db.seq", Facts{Kind: KindSelect, SideEffects: true, Tables: tables("db.seq")}},
		{"SELECT LASTVAL(s)", Facts{Kind: KindSelect, SideEffects: true, SessionFunctions: true, Tables: tables("s")}},
		{"SELECT SLEEP(1), RAND(), UUID(), NOW()", Facts{Kind: KindSelect, ReadOnly: true, Volatile: "RAND()", ReadsClock: true}},
		// Each server would write its own value (a reference table's copies).
		{"INSERT INTO t (a, b) VALUES (UUID_SHORT(), RAND(7))", Facts{Kind: KindInsert, Tables: tables("t"), WriteTables: tables("t"), Volatile: "UUID_SHORT()", SeededRand: true}},
		{"UPDATE t SET a = RAND(7), b = NOW(), c = UUID()", Facts{Kind: KindUpdate, Tables: tables("t"), WriteTables: tables("t"), Volatile: "UUID()", SeededRand: true, ReadsClock: true}},
		{"UPDATE t SET a = RAND(7), b = CURRENT_TIMESTAMP", Facts{Kind: KindUpdate, Tables: tables("t"), WriteTables: tables("t"), SeededRand: true, ReadsClock: true}},
		{"SELECT RAND(), id FROM t", Facts{Kind: KindSelect, Tables: tables("t"), ReadOnly: true, Volatile: "RAND()"}},
		{"UPDATE t SET a = UNIX_TIMESTAMP(b)", Facts{Kind: KindUpdate, Tables: tables("t"), WriteTables: tables("t")}},
		{"SELECT JSON_EXTRACT(doc, '$.a'), ST_Distance(p, q) FROM t", Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t")}},
		{"SELECT my_func(id) FROM t", Facts{Kind: KindSelect, StoredFunctions: true, Tables: tables("t")}},
		{"SELECT db.my_func(1)", Facts{Kind: KindSelect, StoredFunctions: true}},
		{"SELECT * FROM t INTO OUTFILE '/tmp/x'", Facts{Kind: KindSelect, IntoOutfile: true, Tables: tables("t")}},

		// Writes.
		{"INSERT INTO t (a) VALUES (1), (2)", Facts{Kind: KindInsert, Tables: tables("t"), WriteTables: tables("t")}},
		{"INSERT INTO db.t (a) SELECT b FROM u JOIN v ON u.id = v.id",
			Facts{Kind: KindInsert, Tables: tables("db.t", "u", "v"), WriteTables: tables("db.t")}},
		{"INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a) + 1",
			Facts{Kind: KindInsert, Tables: tables("t"), WriteTables: tables("t")}},
		{"INSERT INTO t SET a = 1", Facts{Kind: KindInsert, Tables: tables("t"), WriteTables: tables("t")}},
		{"INSERT INTO t (id) VALUES (LAST_INSERT_ID())",
			Facts{Kind: KindInsert, SessionFunctions: true, Tables: tables("t"), WriteTables: tables("t")}},
		{"REPLACE INTO t VALUES (1)", Facts{Kind: KindReplace, Tables: tables("t"), WriteTables: tables("t")}},
		{"UPDATE t SET a = 1 WHERE id = 2", Facts{Kind: KindUpdate, Tables: tables("t"), WriteTables: tables("t")}},
		{"UPDATE t1, t2 SET t1.a = t2.b WHERE t1.id = t2.id",
			Facts{Kind: KindUpdate, Tables: tables("t1", "t2"), WriteTables: tables("t1")}},
		{"UPDATE t1 a JOIN db.t2 b ON a.id = b.id SET a.x = 1, b.y = 2",
			Facts{Kind: KindUpdate, Tables: tables("t1", "db.t2"), WriteTables: tables("t1", "db.t2")}},
		{"UPDATE t1 JOIN t2 ON t1.id = t2.id SET x = 1", // unqualified: could be either
			Facts{Kind: KindUpdate, Tables: tables("t1", "t2"), WriteTables: tables("t1", "t2")}},
		{"UPDATE t SET a = (SELECT MAX(b) FROM u)", Facts{Kind: KindUpdate, Tables: tables("t", "u"), WriteTables: tables("t")}},
		{"DELETE FROM t WHERE id IN (SELECT id FROM u)",
			Facts{Kind: KindDelete, Tables: tables("t", "u"), WriteTables: tables("t")}},
		{"DELETE a FROM t1 AS a JOIN t2 b ON a.id = b.id",
			Facts{Kind: KindDelete, Tables: tables("t1", "t2"), WriteTables: tables("t1")}},
		{"DELETE t1, t2 FROM t1 INNER JOIN t2 ON t1.id = t2.id",
			Facts{Kind: KindDelete, Tables: tables("t1", "t2"), WriteTables: tables("t1", "t2")}},
		{"DELETE FROM t1 USING t1 JOIN t2 ON t1.id = t2.id",
			Facts{Kind: KindDelete, Tables: tables("t1", "t2"), WriteTables: tables("t1")}},
		{"LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE db.t",
			Facts{Kind: KindLoadData, Tables: tables("db.t"), WriteTables: tables("db.t"),
				Load: &LoadData{Local: true, Path: "/tmp/x", Format: infile.Default(), Ignore: true}}}, // LOCAL skips duplicates, as IGNORE
		{`LOAD DATA INFILE 'f.csv' REPLACE INTO TABLE t CHARACTER SET UTF8MB4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '' LINES STARTING BY '>' TERMINATED BY '\r\n' IGNORE 2 LINES (Id, @Body, n) SET body = UPPER(@body)`,
			Facts{Kind: KindLoadData, Tables: tables("t"), WriteTables: tables("t"), ReadsUserVars: true,
				Load: &LoadData{Path: "f.csv", Columns: []string{"id", "@body", "n"}, SetColumns: []string{"body"}, SetFromVar: []string{""}, SetClock: []string{""}, IgnoreLines: 2, Charset: "utf8mb4", Replace: true,
					Format: infile.Format{FieldTerm: ",", Enclosed: '"', LineStart: ">", LineTerm: "\r\n"}}}},
		// A key from the clock alone: one value for the whole statement.
		{"LOAD DATA LOCAL INFILE 'x' INTO TABLE t (id, @m) SET at = NOW() - INTERVAL 1 DAY, note = @m, d = CURRENT_DATE",
			Facts{Kind: KindLoadData, Tables: tables("t"), WriteTables: tables("t"), ReadsUserVars: true, ReadsClock: true,
				Load: &LoadData{Local: true, Path: "x", Columns: []string{"id", "@m"}, SetColumns: []string{"at", "note", "d"}, SetFromVar: []string{"", "@m", ""},
					SetClock: []string{"DATE_SUB(NOW(), INTERVAL 1 DAY)", "", "CURRENT_DATE()"}, Format: infile.Default(), Ignore: true}}},

		// DDL.
		{"CREATE TABLE t (id INT PRIMARY KEY)",
			Facts{Kind: KindDDL, DDLForm: "create", ImplicitCommit: true, Tables: tables("t"), WriteTables: tables("t")}},
		{"CREATE TABLE t2 LIKE t", Facts{Kind: KindDDL, DDLForm: "create-like", ImplicitCommit: true, Tables: tables("t2", "t"), WriteTables: tables("t2")}},
		{"CREATE TABLE t3 AS SELECT * FROM t",
			Facts{Kind: KindDDL, DDLForm: "create-select", ImplicitCommit: true, Tables: tables("t3", "t"), WriteTables: tables("t3")}},
		{"ALTER TABLE db.t ADD COLUMN x INT",
			Facts{Kind: KindDDL, ImplicitCommit: true, Tables: tables("db.t"), WriteTables: tables("db.t")}},
		{"ALTER TABLE t RENAME TO t_old",
			Facts{Kind: KindDDL, DDLForm: "rename", ImplicitCommit: true, Tables: tables("t", "t_old"), WriteTables: tables("t", "t_old")}},
		{"DROP TABLE IF EXISTS a, b", Facts{Kind: KindDDL, DDLForm: "drop", ImplicitCommit: true, Tables: tables("a", "b"), WriteTables: tables("a", "b")}},
		{"TRUNCATE TABLE t", Facts{Kind: KindDDL, ImplicitCommit: true, Tables: tables("t"), WriteTables: tables("t")}},
		{"RENAME TABLE a TO b, c TO d",
			Facts{Kind: KindDDL, DDLForm: "rename", ImplicitCommit: true, Tables: tables("a", "b", "c", "d"), WriteTables: tables("a", "b", "c", "d")}},
		{"CREATE INDEX i ON t (x)", Facts{Kind: KindDDL, ImplicitCommit: true, Tables: tables("t"), WriteTables: tables("t")}},
		{"CREATE VIEW v AS SELECT * FROM t", Facts{Kind: KindDDL, DDLForm: "view", ImplicitCommit: true, Tables: tables("v", "t"), WriteTables: tables("v")}},
		{"CREATE DATABASE blog", Facts{Kind: KindDDL, ImplicitCommit: true}},
		{"DROP SCHEMA IF EXISTS `strata`", Facts{Kind: KindDDL, ImplicitCommit: true, AltersSchema: "strata"}},
		{"ALTER DATABASE strata CHARACTER SET utf8mb4", Facts{Kind: KindDDL, ImplicitCommit: true, AltersSchema: "strata"}},
		{"CREATE SEQUENCE s", Facts{Kind: KindDDL, ImplicitCommit: true, Tables: tables("s"), WriteTables: tables("s")}},
		// Read as the other stored programs are: its body's names tell
		// which tables it reads (a sharded one is refused), not its flags.
		{"CREATE PROCEDURE p() BEGIN UPDATE t SET a = 1; SELECT 2; END", Facts{Kind: KindDDL, ImplicitCommit: true, Fallback: true,
			Names: []string{"create", "procedure", "p", "begin", "update", "t", "set", "a", "1", "select", "2", "end"}}},
		{"CREATE TEMPORARY TABLE tmp (id INT)", Facts{Kind: KindDDL, DDLForm: "create", TempTable: true, Tables: tables("tmp"), WriteTables: tables("tmp")}},
		{"DROP TEMPORARY TABLE IF EXISTS tmp", Facts{Kind: KindDDL, DDLForm: "drop", TempTable: true, Tables: tables("tmp"), WriteTables: tables("tmp")}},

		// Transactions.
		{"BEGIN", Facts{Kind: KindBegin, StartsTx: true, ImplicitCommit: true}},
		{"START TRANSACTION", Facts{Kind: KindBegin, StartsTx: true, ImplicitCommit: true}},
		{"START TRANSACTION READ ONLY", Facts{Kind: KindBegin, StartsTx: true, ImplicitCommit: true, ReadOnlyTx: true}},
		{"start transaction with consistent snapshot", Facts{Kind: KindBegin, StartsTx: true, ImplicitCommit: true}},
		{"COMMIT", Facts{Kind: KindCommit, EndsTx: true}},
		{"COMMIT AND CHAIN", Facts{Kind: KindCommit, EndsTx: true, StartsTx: true}},
		{"ROLLBACK", Facts{Kind: KindRollback, EndsTx: true}},
		{"ROLLBACK TO SAVEPOINT sp", Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointRollback, "sp"}}},
		{"ROLLBACK TO `Sp 1`", Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointRollback, "Sp 1"}}},
		{"SAVEPOINT sp", Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointSet, "sp"}}},
		{"RELEASE SAVEPOINT sp", Facts{Kind: KindSavepoint, Savepoint: Savepoint{SavepointRelease, "sp"}}},

		// Session statements.
		{"USE blog", Facts{Kind: KindUse, Schema: "blog"}},
		{"USE `My Db`", Facts{Kind: KindUse, Schema: "My Db"}},
		{"SET @x = 1", Facts{Kind: KindSet, SetsUserVars: true}},
		{"SET @x = (SELECT MAX(id) FROM t)", Facts{Kind: KindSet, SetsUserVars: true, Tables: tables("t")}},
		{"SET autocommit = 0", Facts{Kind: KindSet, Autocommit: boolp(false), SessionVars: []SessionVar{{Name: "autocommit", Value: "0", SQL: "SET SESSION autocommit = 0"}}}},
		{"SET @@autocommit = ON", Facts{Kind: KindSet, Autocommit: boolp(true), SessionVars: []SessionVar{{Name: "autocommit", Value: "1", SQL: "SET SESSION autocommit = 1"}}}},
		{"SET SESSION autocommit = OFF", Facts{Kind: KindSet, Autocommit: boolp(false), SessionVars: []SessionVar{{Name: "autocommit", Value: "0", SQL: "SET SESSION autocommit = 0"}}}},
		{"set @@session.AutoCommit = true", Facts{Kind: KindSet, Autocommit: boolp(true), SessionVars: []SessionVar{{Name: "autocommit", Value: "1", SQL: "SET SESSION autocommit = 1"}}}},
		{"SET LOCAL autocommit = FALSE", Facts{Kind: KindSet, Autocommit: boolp(false), SessionVars: []SessionVar{{Name: "autocommit", Value: "0", SQL: "SET SESSION autocommit = 0"}}}},
		{"SET autocommit = 'on'", Facts{Kind: KindSet, Autocommit: boolp(true), SessionVars: []SessionVar{{Name: "autocommit", Value: "1", SQL: "SET SESSION autocommit = 1"}}}},
		{"SET autocommit = @saved", Facts{Kind: KindSet, Autocommit: boolp(false), ReadsUserVars: true,
			SessionVars: []SessionVar{{Name: "autocommit", Value: "@`saved`", SQL: "SET SESSION autocommit = @`saved`", Dynamic: true}}}},
		{"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", Facts{Kind: KindSet, NextTxSettings: true}},
		{"PREPARE s FROM 'SELECT 1'", Facts{Kind: KindPrepare, PrepareName: "s", PrepareSQL: "SELECT 1"}},
		{"PREPARE s FROM @sql", Facts{Kind: KindPrepare, PrepareName: "s", ReadsUserVars: true}},
		{"EXECUTE S USING @a, @b", Facts{Kind: KindPrepare, PrepareName: "s", ReadsUserVars: true}},
		{"DEALLOCATE PREPARE s", Facts{Kind: KindPrepare, PrepareName: "s"}},

		// SHOW, EXPLAIN, DO, CALL.
		{"SHOW TABLES", Facts{Kind: KindShow, ReadOnly: true, ShowTables: &ShowTables{}}},
		{"SHOW FULL TABLES FROM blog LIKE 'e%'", Facts{Kind: KindShow, ReadOnly: true, ShowTables: &ShowTables{DB: "blog", Full: true, Like: true, Pattern: "e%"}}},
		{"SHOW TABLES WHERE Tables_in_blog > 'a'", Facts{Kind: KindShow, ReadOnly: true, ShowTables: &ShowTables{Where: "`Tables_in_blog`>'a'"}}},
		{"SHOW TABLE STATUS LIKE 'entry\\\\_likes'", Facts{Kind: KindShow, ReadOnly: true, Tables: tables("entry_likes"),
			ShowTables: &ShowTables{Like: true, Pattern: "entry\\_likes", Status: true}}},
		{"SHOW TABLE STATUS LIKE 'entry_likes'", Facts{Kind: KindShow, ReadOnly: true, ShowTables: &ShowTables{Like: true, Pattern: "entry_likes", Status: true}}},
		{"SHOW TABLE STATUS FROM blog WHERE Engine = 'InnoDB' AND `Rows` > 10", Facts{Kind: KindShow, ReadOnly: true,
			ShowTables: &ShowTables{DB: "blog", Status: true, Where: "`Engine`='InnoDB' AND `Rows`>10"}}},
		{"SHOW TRIGGERS LIKE 'entry\\_likes'", Facts{Kind: KindShow, ReadOnly: true, Tables: tables("entry_likes")}},
		{"SHOW TRIGGERS", Facts{Kind: KindShow, ReadOnly: true, ShowTriggers: &ShowTables{}}},
		{"SHOW TRIGGERS FROM blog LIKE 'e%'", Facts{Kind: KindShow, ReadOnly: true, ShowTriggers: &ShowTables{DB: "blog", Like: true, Pattern: "e%"}}},
		{"SHOW TRIGGERS WHERE `Event` = 'INSERT'", Facts{Kind: KindShow, ReadOnly: true, ShowTriggers: &ShowTables{Where: "`Event`='INSERT'"}}},
		// information_schema lookups of named tables (mariadb-dump, schema tools).
		{"SELECT engine, table_type FROM INFORMATION_SCHEMA.TABLES WHERE table_schema = DATABASE() AND table_name = 'Comments'",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.tables"), MetadataOf: []string{"comments"}}},
		{"SELECT TRIGGER_NAME FROM information_schema.triggers WHERE 'x' = EVENT_OBJECT_TABLE",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.triggers"), MetadataOf: []string{"x"}}},
		// Laravel's hasTable(): the lookup inside EXISTS; bound values by rank.
		{"select exists (select 1 from information_schema.tables where table_schema = 'blog' and table_name = 'Events' and table_type in ('BASE TABLE', 'SYSTEM VERSIONED')) as `exists`",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.tables"), MetadataOf: []string{"events"}}},
		{"select exists (select 1 from information_schema.tables where table_schema = ? and table_name = ?) as `exists`",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.tables"), MetadataOf: []string{"?2"}}},
		{"SELECT * FROM information_schema.tables WHERE table_name = 'a' OR table_name = 'b'",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.tables"), ListsSchema: true}},
		// Whole-schema lists (Laravel's Schema::getTables, Doctrine's listTableNames).
		{"select table_name as `name`, (data_length + index_length) as `size` from information_schema.tables where table_schema = 'blog' and table_type in ('BASE TABLE', 'SYSTEM VERSIONED') order by table_name",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.tables"), ListsSchema: true}},
		{"SELECT c.COLUMN_NAME FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = 'blog'",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.columns"), ListsSchema: true}},
		{"SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'blog'",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.routines")}},
		{"SELECT * FROM information_schema.tables t JOIN blog.comments c ON 1 WHERE t.table_name = 'a'",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("information_schema.tables", "blog.comments")}},
		{"SHOW CREATE TABLE db.t", Facts{Kind: KindShow, ReadOnly: true, Tables: tables("db.t")}},
		{"SHOW WARNINGS", Facts{Kind: KindShow, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true}},
		{"SHOW COUNT(*) ERRORS", Facts{Kind: KindShow, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true}},
		{"SHOW PROFILES", Facts{Kind: KindShow, ReadOnly: true, SessionFunctions: true}},
		{"SHOW GLOBAL STATUS", Facts{Kind: KindShow, ReadOnly: true}},
		{"SHOW STATUS LIKE 'Last_query_cost'", Facts{Kind: KindShow, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true}},
		{"SHOW SESSION STATUS", Facts{Kind: KindShow, ReadOnly: true, SessionFunctions: true, ReadsPrevious: true}},
		{"SHOW MASTER STATUS", Facts{Kind: KindShow, ReadsBinlog: true}},
		{"SHOW FULL PROCESSLIST", Facts{Kind: KindShow}},
		{"EXPLAIN SELECT * FROM t WHERE id = 1", Facts{Kind: KindExplain, ReadOnly: true, Tables: tables("t")}},
		{"EXPLAIN SELECT * FROM t FOR UPDATE", Facts{Kind: KindExplain, ReadOnly: true, Tables: tables("t")}},
		{"EXPLAIN UPDATE t SET a = 1", Facts{Kind: KindExplain, ReadOnly: true, Tables: tables("t")}},
		{"EXPLAIN ANALYZE SELECT * FROM t", Facts{Kind: KindExplain, ReadOnly: true, Tables: tables("t")}},
		{"DESC t", Facts{Kind: KindExplain, ReadOnly: true, Tables: tables("t")}},
		{"DO SLEEP(1)", Facts{Kind: KindDo, ReadOnly: true}},
		{"DO GET_LOCK('a', 10)", Facts{Kind: KindDo, LockFunctions: true, SideEffects: true}},
		{"CALL p(1)", Facts{Kind: KindCall}},
		{"CALL db.p(@x)", Facts{Kind: KindCall, ReadsUserVars: true, SetsUserVars: true}},

		// Locks, maintenance, accounts, KILL.
		{"LOCK TABLES t WRITE, db.u READ", Facts{Kind: KindLockTables, ImplicitCommit: true, Tables: tables("t", "db.u")}},
		{"UNLOCK TABLES", Facts{Kind: KindUnlockTables}},
		{"FLUSH TABLES WITH READ LOCK", Facts{Kind: KindFlush, ImplicitCommit: true, Locking: true}},
		{"FLUSH PRIVILEGES", Facts{Kind: KindFlush, ImplicitCommit: true}},
		{"ANALYZE TABLE t", Facts{Kind: KindAnalyze, ImplicitCommit: true, Tables: tables("t"), WriteTables: tables("t")}},
		{"OPTIMIZE TABLE a, b", Facts{Kind: KindAnalyze, ImplicitCommit: true, Tables: tables("a", "b"), WriteTables: tables("a", "b")}},
		{"GRANT SELECT ON db.* TO 'u'@'%'", Facts{Kind: KindGrant, ImplicitCommit: true}},
		{"REVOKE SELECT ON db.* FROM 'u'@'%'", Facts{Kind: KindGrant, ImplicitCommit: true, AccountsChanged: []string{"u"}}},
		{"GRANT SELECT, INSERT ON Blog.Entries TO 'u'@'%'", Facts{Kind: KindGrant, ImplicitCommit: true, Tables: []TableRef{{Schema: "blog", Name: "entries"}}}},
		{"REVOKE ALL ON TABLE entries FROM 'u'@'%'", Facts{Kind: KindGrant, ImplicitCommit: true, Tables: tables("entries"), AccountsChanged: []string{"u"}}},
		{"GRANT SELECT ON * TO 'u'@'%'", Facts{Kind: KindGrant, ImplicitCommit: true}},
		{"CREATE USER 'u'@'%' IDENTIFIED BY 'p'", Facts{Kind: KindGrant, ImplicitCommit: true, AccountsChanged: []string{"u"}}},
		{"DROP USER u", Facts{Kind: KindGrant, ImplicitCommit: true, AccountsChanged: []string{"u"}}},
		{"SET PASSWORD = 'x'", Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true}},
		{"SET PASSWORD FOR CURRENT_USER() = PASSWORD('x')", Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true}},
		{"SET PASSWORD FOR 'u'@'%' = PASSWORD('x')", Facts{Kind: KindGrant, ImplicitCommit: true, AccountsChanged: []string{"u"}}},
		{"ALTER USER USER() IDENTIFIED BY 'x'", Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true}},
		{"ALTER USER 'u'@'%' IDENTIFIED BY 'x'", Facts{Kind: KindGrant, ImplicitCommit: true, AccountsChanged: []string{"u"}}},
		{"DROP USER CURRENT_USER()", Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true}},
		{"RENAME USER CURRENT_USER() TO x", Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true, AccountsChanged: []string{"x"}}},
		{"REVOKE SELECT ON *.* FROM CURRENT_USER", Facts{Kind: KindGrant, ImplicitCommit: true, OwnAccount: true}},
		{"GRANT SELECT ON *.* TO CURRENT_USER()", Facts{Kind: KindGrant, ImplicitCommit: true}},
		{"KILL 42", Facts{Kind: KindKill, KillID: 42}},
		{"KILL QUERY 42", Facts{Kind: KindKill, KillID: 42, KillQuery: true}},
		{"SHUTDOWN", Facts{Kind: KindShutdown}},
		{"/* why */ SHUTDOWN", Facts{Kind: KindShutdown}},
		{"HELP 'select'", Facts{Kind: KindOther, ReadOnly: true}},

		// Hints.
		{"/* strata:primary */ SELECT 1", Facts{Kind: KindSelect, ReadOnly: true, Hint: Hint{Primary: true}}},
		{"SELECT /* strata:pool=batch */ c FROM t",
			Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t"), Hint: Hint{Pool: "batch"}}},
		{"SELECT 1 -- strata:shard=s1", Facts{Kind: KindSelect, ReadOnly: true, Hint: Hint{Shard: "s1"}}},
		{"SELECT 'strata:primary'", Facts{Kind: KindSelect, ReadOnly: true}},

		// Mixed case keywords and executable comments.
		{"sElEcT * FrOm T wHeRe A = 1 oRdEr By B", Facts{Kind: KindSelect, ReadOnly: true, Tables: tables("t")}},
		{"InSeRt InTo T VaLuEs (1)", Facts{Kind: KindInsert, Tables: tables("t"), WriteTables: tables("t")}},
		{"/*!40101 SET SQL_MODE='' */", Facts{Kind: KindSet, SessionVars: []SessionVar{
			{Name: "sql_mode", SQL: "SET SESSION sql_mode = ''"}}}},
	}
	for _, c := range cases {
		f, err := Classify(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		checkFacts(t, c.sql, f, c.want)
	}
}

func TestParseMultiStatements(t *testing.T) {
	facts, err := Parse("/* strata:primary */ SELECT 1; UPDATE t SET a = 1 ;; SELECT 2 -- strata:pool=p\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		text string
		kind Kind
		hint Hint
	}{
		{"/* strata:primary */ SELECT 1", KindSelect, Hint{Primary: true}},
		{"UPDATE t SET a = 1", KindUpdate, Hint{}},
		{"SELECT 2 -- strata:pool=p", KindSelect, Hint{Pool: "p"}},
	}
	if len(facts) != len(want) {
		t.Fatalf("got %d statements, want %d", len(facts), len(want))
	}
	for i, w := range want {
		f := facts[i]
		if f.Text != w.text || f.Kind != w.kind || f.Hint != w.hint {
			t.Errorf("stmt %d: got %q %v %+v, want %q %v %+v", i, f.Text, f.Kind, f.Hint, w.text, w.kind, w.hint)
		}
	}
	if got := SplitStatements("/* strata:primary */ SELECT 1; UPDATE t SET a = 1 ;; SELECT 2 -- strata:pool=p\n"); len(got) != 3 {
		t.Errorf("SplitStatements disagrees with Parse: %q", got)
	}
}

func TestClassifyRejectsMultiAndEmpty(t *testing.T) {
	if _, err := Classify("SELECT 1; SELECT 2"); err != ErrMultipleStatements {
		t.Errorf("two statements: err = %v", err)
	}
	for _, sql := range []string{"", "  ", ";", "-- just a comment"} {
		_, err := Classify(sql)
		se, ok := err.(*SyntaxError)
		if !ok || se.Code != ErrCodeEmptyQuery {
			t.Errorf("%q: err = %v, want empty query", sql, err)
		}
	}
	if facts, err := Parse(""); err != nil || len(facts) != 0 {
		t.Errorf("Parse(\"\") = %v, %v", facts, err)
	}
}

func TestKindString(t *testing.T) {
	if KindSelect.String() != "select" || KindOther.String() != "other" || KindXA.String() != "xa" {
		t.Error("unexpected kind names")
	}
	if Kind(200).String() != "kind(200)" {
		t.Error(Kind(200).String())
	}
	for k := KindOther; k <= KindXA; k++ {
		if s := k.String(); s == "" || strings.HasPrefix(s, "kind(") {
			t.Errorf("kind %d has no name", k)
		}
	}
}

func TestLargeInList(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("SELECT * FROM t WHERE id IN (")
	for i := range 10000 {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("12345")
	}
	sb.WriteString(")")
	f, err := Classify(sb.String())
	if err != nil {
		t.Fatal(err)
	}
	if f.Digest != "select * from `t` where `id` in ( ... )" {
		t.Errorf("digest %q", f.Digest)
	}
	if !f.ReadOnly || len(f.Tables) != 1 {
		t.Errorf("facts %s", dump(*f))
	}
}

func TestDigest(t *testing.T) {
	cases := []struct{ sql, want string }{
		{"SELECT c FROM sbtest1 WHERE id=123", "select `c` from `sbtest1` where `id` = ?"},
		{"select  C\n from `SBtest1`  where ID = 'abc'", "select `c` from `sbtest1` where `id` = ?"},
		{"SELECT * FROM t WHERE a IN (1, 2, 3) AND b IN ('x')", "select * from `t` where `a` in ( ... ) and `b` in ( ? )"},
		{"INSERT INTO t VALUES (1, 'a'), (2, 'b')", "insert into `t` values ( ... )"},
		{"/* strata:primary */ SELECT 1 -- tail", "select ?"},
		{"SELECT /*+ MAX_EXECUTION_TIME(10) */ a FROM t LIMIT 5", "select `a` from `t` limit ?"},
	}
	for _, c := range cases {
		f, err := Classify(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		if f.Digest != c.want {
			t.Errorf("%s: digest %q, want %q", c.sql, f.Digest, c.want)
		}
	}
}

// The parser objects are pooled; parallel use must not mix their state.
func TestConcurrentClassify(t *testing.T) {
	sqls := []string{"SELECT a FROM t1 WHERE id = 1", "UPDATE t2 SET a = 1", "SELECT * FROM t3 JOIN t4 ON 1"}
	done := make(chan error)
	for g := range 8 {
		go func() {
			for i := range 200 {
				sql := sqls[(g+i)%len(sqls)]
				f, err := Classify(sql)
				if err == nil && f.Text != sql {
					err = &SyntaxError{Msg: "mixed up: " + f.Text + " for " + sql}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestLikeMatches(t *testing.T) {
	tests := []struct {
		pattern string
		want    bool
	}{
		{"read_only", true},
		{"read%", true},
		{"%only", true},
		{"%", true},
		{"read_onl_", true},
		{"re%_only", true},
		{`read\_only`, true},
		{`read\%`, false},
		{"read", false},
		{"read_only_x", false},
		{"version%", false},
		{"_", false},
	}
	for _, tt := range tests {
		if got := likeMatches(tt.pattern, "read_only"); got != tt.want {
			t.Errorf("likeMatches(%q, read_only) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
	if LikeMatches("READ%", "read_only") || !LikeMatches("read%", "read_only") {
		t.Error("LikeMatches must compare table names with case")
	}
}

// ServerFiles marks the statements that read or write a file on the
// server's host, in a parsed statement and in the fallback's reading.
func TestServerFiles(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want bool
	}{
		{"SELECT * FROM t INTO OUTFILE '/tmp/x'", true},
		{"SELECT a FROM t INTO DUMPFILE '/tmp/x'", true},
		{"SELECT LOAD_FILE('/etc/hostname')", true},
		{"SELECT id FROM t WHERE body = load_file(CONCAT('/tmp/', name))", true},
		{"LOAD DATA INFILE '/tmp/f.csv' INTO TABLE t", true},
		{"LOAD DATA LOCAL INFILE '/tmp/f.csv' INTO TABLE t", false},
		{"LOAD XML INFILE '/tmp/f.xml' INTO TABLE t", true},
		{"LOAD XML LOCAL INFILE '/tmp/f.xml' INTO TABLE t", false},
		{"LOAD DATA CONCURRENT INFILE '/tmp/f.csv' INTO TABLE t", true},
		{"LOAD DATA CONCURRENT LOCAL INFILE '/tmp/f.csv' INTO TABLE t", false},
		{"SELECT a INTO @x FROM t", false},
		{"SELECT 'LOAD_FILE(1)', load_files FROM t", false},
		{"SELECT app.load_file('x')", false},
	} {
		facts, _ := ParseOrFallback(tc.sql) // DUMPFILE is the fallback's to read
		if got := facts[0].ServerFiles(); got != tc.want {
			t.Errorf("ServerFiles(%s) = %v, want %v", tc.sql, got, tc.want)
		}
	}
	if fb := (Mode{}).ClassifyFallback("SELECT LOAD_FILE('/x')"); !fb.ServerFiles() {
		t.Error("the fallback's reading misses LOAD_FILE()")
	}
}
