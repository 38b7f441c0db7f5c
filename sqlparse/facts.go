package sqlparse

import (
	"strconv"
	"strings"
)

// ShowTables is a SHOW TABLES statement's database ("" for the current
// one), FULL, and LIKE pattern (Like false: none) or WHERE condition.
type ShowTables struct {
	DB      string
	Full    bool
	Like    bool
	Pattern string
	// Where is the WHERE condition over the listed columns, as SQL text;
	// "" for none.
	Where string
	// Status: SHOW TABLE STATUS, which lists each table's figures.
	Status bool
}

// Kind is the broad class of a statement.
type Kind uint8

// Statement kinds. The zero value is KindOther so that a Facts that was
// never filled in is treated conservatively.
const (
	KindOther        Kind = iota
	KindSelect            // SELECT, UNION, WITH ... SELECT, TABLE, VALUES
	KindInsert            // INSERT (incl. INSERT ... SELECT, ON DUPLICATE KEY UPDATE)
	KindUpdate            // UPDATE, single or multi-table
	KindDelete            // DELETE, single or multi-table
	KindReplace           // REPLACE
	KindDDL               // CREATE/ALTER/DROP/TRUNCATE/RENAME of tables, views, indexes, databases, sequences, routines
	KindSet               // SET of variables, names, character set, role
	KindUse               // USE db
	KindBegin             // BEGIN, START TRANSACTION
	KindCommit            // COMMIT
	KindRollback          // ROLLBACK (the whole transaction)
	KindSavepoint         // SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT
	KindShow              // SHOW ...
	KindExplain           // EXPLAIN, DESCRIBE
	KindLockTables        // LOCK TABLES
	KindUnlockTables      // UNLOCK TABLES
	KindCall              // CALL proc()
	KindDo                // DO expr
	KindLoadData          // LOAD DATA / LOAD XML
	KindKill              // KILL
	KindPrepare           // SQL-level PREPARE, EXECUTE, DEALLOCATE PREPARE
	KindFlush             // FLUSH
	KindAnalyze           // ANALYZE/OPTIMIZE/CHECK/REPAIR/CHECKSUM TABLE
	KindGrant             // GRANT, REVOKE, CREATE/ALTER/DROP/RENAME USER, SET PASSWORD, roles
	KindXA                // XA START/END/PREPARE/COMMIT/ROLLBACK/RECOVER
	KindShutdown          // SHUTDOWN [WAIT FOR ALL SLAVES]
)

var kindNames = [...]string{
	KindOther:        "other",
	KindSelect:       "select",
	KindInsert:       "insert",
	KindUpdate:       "update",
	KindDelete:       "delete",
	KindReplace:      "replace",
	KindDDL:          "ddl",
	KindSet:          "set",
	KindUse:          "use",
	KindBegin:        "begin",
	KindCommit:       "commit",
	KindRollback:     "rollback",
	KindSavepoint:    "savepoint",
	KindShow:         "show",
	KindExplain:      "explain",
	KindLockTables:   "lock_tables",
	KindUnlockTables: "unlock_tables",
	KindCall:         "call",
	KindDo:           "do",
	KindLoadData:     "load_data",
	KindKill:         "kill",
	KindPrepare:      "prepare",
	KindFlush:        "flush",
	KindAnalyze:      "analyze",
	KindGrant:        "grant",
	KindXA:           "xa",
	KindShutdown:     "shutdown",
}

// String returns a short lower-case name, suitable as a metrics label.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// TableRef names a table. Schema "" means the session's default schema.
// Both parts are lower-cased so that refs compare with ==.
type TableRef struct{ Schema, Name string }

// String renders the ref as schema.name (or name).
func (t TableRef) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// Facts is what the router needs to know about one statement.
type Facts struct {
	Kind Kind
	// tree is the parsed statement, kept for one shard analysis where the
	// caller asked (ParseKeepingTree).
	tree *keptTree
	// Text is this statement's own text: trimmed, without the ';'
	// separator, with its leading comments (hints) kept. For a
	// multi-statement query it lets the caller forward statements one by one.
	Text string

	// Prepared is a lone SELECT as a server-side prepared statement, with
	// its inlined values as parameters (PreparedForm), shared by every
	// text of its shape; nil where a parameter could change its answer.
	Prepared *PreparedForm

	// ReadOnly: may run on a replica. True for SELECT (incl. UNION,
	// subqueries, WITH), SHOW, EXPLAIN, DO and HELP that write nothing,
	// take no locks, have no INTO OUTFILE/DUMPFILE/@var, assign no
	// variables and call no side-effect or stored functions. Reading
	// session state (user variables, LAST_INSERT_ID()...) does not clear
	// ReadOnly: those are reported separately so the router can pick the
	// connection that holds the state.
	ReadOnly bool
	// Locking: SELECT ... FOR UPDATE / LOCK IN SHARE MODE / FOR SHARE (any
	// variant), and FLUSH TABLES WITH READ LOCK; the locks live on the
	// backend connection until the transaction (or UNLOCK TABLES) ends.
	Locking bool
	// Tables: every table the statement references, deduplicated, in order
	// of appearance: targets, joins, subqueries, INSERT ... SELECT sources,
	// sequences in NEXTVAL(s), tables of SHOW COLUMNS and the like. CTE
	// names and aliases are not tables and are left out.
	Tables []TableRef
	// WriteTables: the tables written: INSERT/UPDATE/DELETE/REPLACE
	// targets, DDL targets (both names of a RENAME), LOAD DATA target,
	// TRUNCATE, OPTIMIZE/ANALYZE/REPAIR targets. For a multi-table UPDATE
	// whose SET columns are not qualified, all its tables are listed.
	WriteTables []TableRef

	// Load: for LOAD DATA, the clauses Strata needs to split its file
	// between shards; nil when the parser could not read it (Fallback).
	Load *LoadData

	StartsTx bool // BEGIN, START TRANSACTION (any options), XA START
	EndsTx   bool // COMMIT, ROLLBACK (not ROLLBACK TO SAVEPOINT), XA COMMIT/ROLLBACK
	// Savepoint: for KindSavepoint, what the statement does to which
	// savepoint; zero when the parser could not read it (Fallback).
	Savepoint Savepoint
	// ImplicitCommit: MySQL commits any open transaction before running
	// this statement: DDL (but not CREATE/DROP TEMPORARY TABLE), account
	// management, LOCK TABLES, FLUSH, ANALYZE/OPTIMIZE/REPAIR, and BEGIN
	// itself. Two cases depend on session state and are left to the
	// router: UNLOCK TABLES (commits only under LOCK TABLES) and SET
	// autocommit=1 (commits only if autocommit was 0).
	ImplicitCommit bool
	ReadOnlyTx     bool // START TRANSACTION READ ONLY
	// Autocommit is set when the statement sets the session's autocommit
	// (SET autocommit=0/1, @@autocommit, SESSION/LOCAL, ON/OFF/TRUE/FALSE,
	// DEFAULT=on). A value that is not a constant (SET autocommit=@x) is
	// reported as false: the router then keeps the session pinned, which
	// is always safe.
	Autocommit *bool
	// NextTxSettings: SET TRANSACTION ... without SESSION/GLOBAL. It only
	// applies to the next transaction on this backend connection, so it
	// cannot be replayed as a session variable; the router must run the
	// next transaction on the same connection.
	NextTxSettings bool

	// SessionVars: session settings made by SET, one per variable, to be
	// replayed on another backend connection. Global ones are listed with
	// Global=true (not to be replayed; the statement goes to the primary).
	SessionVars   []SessionVar
	SetsUserVars  bool // assigns a user variable: SET @x=..., SELECT @x:=..., SELECT ... INTO @x, CALL p(@x)
	ReadsUserVars bool // reads a user variable @x anywhere (not @@system vars)
	TempTable     bool // CREATE TEMPORARY TABLE / DROP TEMPORARY TABLE
	// DDLForm: for DDL, what it does to the tables it names, so a refusal
	// can say what to do instead: "rename" (RENAME TABLE, ALTER TABLE ...
	// RENAME), "create-select" (CREATE TABLE ... SELECT), "create-like",
	// "create" (any other CREATE TABLE), "view" (CREATE or ALTER VIEW),
	// "drop" (DROP TABLE), "" for the rest.
	DDLForm string
	// AltersSchema is the schema an ALTER or DROP DATABASE names.
	AltersSchema string
	// LockFunctions: GET_LOCK, RELEASE_LOCK, RELEASE_ALL_LOCKS,
	// IS_FREE_LOCK, IS_USED_LOCK. Named locks live on one server and one
	// connection.
	LockFunctions bool
	// SessionFunctions: values that live on one backend connection:
	// LAST_INSERT_ID(), FOUND_ROWS(), ROW_COUNT(), CONNECTION_ID(),
	// LASTVAL(), @@last_insert_id, @@identity, @@warning_count,
	// @@error_count, and SHOW WARNINGS/ERRORS/PROFILE(S)/SESSION STATUS.
	// The statement must run on the connection that ran the previous one.
	SessionFunctions bool
	// Volatile names the first function the statement calls whose value
	// differs from call to call or from server to server (RAND() without
	// a seed, UUID(), UUID_SHORT(), SYSDATE()...), upper-case; "" when
	// none. Each copy of a reference table would write its own value.
	Volatile string
	// SeededRand: the statement calls RAND(n), whose values are one
	// sequence over the rows in the order one server reads them: a
	// statement over several shards would start it again on each.
	SeededRand bool
	// ReadsClock: the statement calls NOW() or another function of the
	// current time, which one server evaluates once per statement.
	ReadsClock bool
	// Hold names connection state the statement starts that lives on its
	// connection until a later statement ends it (Release names it then):
	// a MariaDB HANDLER ("handler h" from HANDLER t OPEN AS h to HANDLER
	// h CLOSE), BACKUP STAGE (START to END), BACKUP LOCK (to BACKUP
	// UNLOCK). The session stays on the connection meanwhile.
	Hold, Release string
	// Names: for a statement the parser could not read (Fallback), its
	// words and quoted names, lower-cased: Strata cannot tell which are
	// its tables, so any of them may be one.
	Names []string
	// MetadataOf: a read of information_schema only, about the tables its
	// WHERE names (table_name = 'comments', as mariadb-dump and schema
	// tools ask): where Strata places those, their metadata is.
	MetadataOf []string
	// ListsSchema: a read of information_schema only that reads one of
	// its views of tables (TABLES, COLUMNS, STATISTICS, constraints; see
	// SchemaViews) without naming a table: a schema's table list or its
	// columns, as Laravel's Schema::getTables and Doctrine's
	// listTableNames and listTables read them. The placed tables belong
	// in it.
	ListsSchema bool
	// ShowTables: SHOW [FULL] TABLES [FROM db] [LIKE 'pattern'], for the
	// tables Strata places elsewhere than on the default cluster; nil for
	// any other statement, and for the WHERE form.
	ShowTables *ShowTables
	// ShowTriggers: SHOW TRIGGERS [FROM db] [LIKE 'pattern' | WHERE cond]
	// (Full and Status unused) that names no one table, for the
	// triggers of tables Strata places elsewhere than on the default
	// cluster; nil for any other statement.
	ShowTriggers *ShowTables
	// ReadsReadOnly: reads @@read_only (SELECT @@GLOBAL.read_only, SHOW
	// VARIABLES that may list it): whether the server takes writes. A
	// client asks before it writes (MediaWiki goes read-only on a 1), and
	// the server it talks to through Strata is the primary.
	ReadsReadOnly bool
	// ReadsBinlog: reads the server's binary log or its position (SHOW
	// MASTER STATUS, SHOW BINLOG STATUS, SHOW BINARY LOGS, SHOW BINLOG
	// EVENTS, @@gtid_binlog_pos, @@gtid_current_pos, SHOW VARIABLES that
	// may list them): a replica's are its own, not the primary's the
	// client writes to (binlogSysVars).
	ReadsBinlog bool
	// ReadsPrevious: reads what the previous statement left on its
	// connection — FOUND_ROWS(), ROW_COUNT(), its warnings and errors
	// (SHOW WARNINGS, SHOW ERRORS, @@warning_count, @@error_count, GET
	// DIAGNOSTICS). One kind of SessionFunctions: it must run where that
	// statement ran, a replica's connection for a read.
	ReadsPrevious bool
	// SetsInsertID: calls LAST_INSERT_ID(expr), which sets the
	// connection's value to one Strata does not see.
	SetsInsertID bool
	// ConnectionID: calls CONNECTION_ID(), which behind a proxy must
	// answer the client's id, not the backend connection's.
	ConnectionID  bool
	CalcFoundRows bool // SELECT SQL_CALC_FOUND_ROWS
	// SideEffects: calls functions that must not run on a replica:
	// NEXTVAL/SETVAL/LASTVAL (MariaDB sequences), the GET_LOCK family,
	// LAST_INSERT_ID(expr), or assigns a system variable inside an
	// expression. SLEEP, RAND, UUID and the like are fine.
	SideEffects bool
	// StoredFunctions: calls a function that is not a MySQL/MariaDB
	// builtin (or a schema-qualified one): a stored function may write,
	// so such a statement is not ReadOnly.
	StoredFunctions bool
	Schema          string // USE db: the schema, as written (not lower-cased: it is replayed)
	IntoOutfile     bool   // SELECT ... INTO OUTFILE / DUMPFILE
	LoadsFile       bool   // LOAD_FILE(), or a LOAD the fallback read without LOCAL: a file on the server's host

	// PrepareName is the statement name of PREPARE/EXECUTE/DEALLOCATE
	// (lower-cased), PrepareSQL the text of PREPARE ... FROM 'text' (empty
	// for FROM @var). SQL-level prepared statements live on one
	// connection.
	PrepareName string
	PrepareSQL  string
	// KillID is the connection id of KILL [CONNECTION|QUERY] id (0 when
	// it is not a constant or is a MariaDB KILL QUERY ID); KillQuery is
	// true for KILL QUERY. The router must map client ids to backend ids.
	KillID    uint64
	KillQuery bool

	Hint Hint // strata: directives from comments anywhere in the statement
	// Digest is the normalized text: literals replaced by ?, lists
	// collapsed to "...", identifiers back-quoted and lower-cased,
	// whitespace folded, comments dropped. Equal digests mean the same
	// statement shape (for metrics, caching and query rules).
	Digest string

	// Fallback is true when the parser rejected the statement and the
	// facts come from ClassifyFallback: Kind, the transaction flags,
	// Hint, Digest and Text are reliable, Tables are unknown (empty), and
	// ReadOnly is false. A fallback SET has no SessionVars (except SET
	// NAMES / CHARACTER SET): the router should pin the session.
	Fallback bool
	// OwnAccount: an account statement about the account it runs as
	// (SET PASSWORD without FOR, ALTER USER USER(), CURRENT_USER() in
	// ALTER, DROP, RENAME USER or REVOKE). Through Strata that account is
	// the server account Strata logs in as, not the client's user.
	OwnAccount bool
	// ControlsReplication: RESET MASTER, CHANGE MASTER TO, START, STOP or
	// RESET SLAVE / REPLICA: about one server's place in the topology.
	ControlsReplication bool
	// AccountsChanged: the user names of the server accounts an account
	// statement creates, changes, renames, drops or revokes from (GRANT,
	// which only adds, names none).
	AccountsChanged []string
	// Unread: why the statement was not given to the parser, as reading
	// it would cost too much (unread.go): nothing else about it is known,
	// and Strata refuses it. ReadFully for any other statement.
	Unread Unread
	// Returning is the RETURNING clause of a MariaDB INSERT, REPLACE or
	// DELETE ... RETURNING (from the keyword on), which the parser lacks:
	// the other facts are the write's without it, Text the whole
	// statement's. Empty for any other statement.
	Returning string
	// Masked: read from the text with its two-byte characters masked
	// (Multibyte.Mask). Kind, Tables, ReadOnly and the other flags are
	// the server's reading; the values inside (names, strings, the
	// SessionVars' values, Text and Digest) are not the client's.
	Masked bool
}

// SessionVar is one session setting made by a SET statement.
type SessionVar struct {
	// Name is the lower-cased variable name without @@ or scope, e.g.
	// "time_zone". SET NAMES is "names", SET CHARACTER SET is "character
	// set", SET ROLE is "role"; tx_isolation and tx_read_only are reported
	// under their MySQL 8 names transaction_isolation and
	// transaction_read_only so that a later setting replaces an earlier one.
	Name string
	// Value is the value as rendered in SQL, without quotes for plain
	// strings: "+00:00", "utf8mb4 COLLATE utf8mb4_bin", "DEFAULT",
	// "CONCAT(@@sql_mode, ',ANSI')".
	Value string
	// SQL is a standalone statement that re-applies exactly this setting
	// on another connection, e.g. "SET SESSION time_zone = '+00:00'".
	SQL string
	// Global: SET GLOBAL (or PERSIST/INSTANCE). Not to be replayed.
	Global bool
	// Dynamic: the value is an expression (variables, functions,
	// subqueries), rendered as written. Replaying it evaluates it again on
	// the other connection, which may give a different value.
	Dynamic bool
}

// Zone is the time_zone a SET of it gives the session, unquoted: "+02:00",
// "Europe/Berlin"; "" for DEFAULT, the server's own.
func (v SessionVar) Zone() string {
	zone := strings.TrimSpace(v.Value)
	if len(zone) >= 2 && (zone[0] == '\'' || zone[0] == '"') && zone[len(zone)-1] == zone[0] {
		zone = zone[1 : len(zone)-1]
	}
	if strings.EqualFold(zone, "DEFAULT") {
		return ""
	}
	return zone
}

// Hint holds the strata: directives found in comments, e.g.
// /* strata:primary */ or /* strata:pool=batch,shard=s1 */.
type Hint struct {
	Primary bool   // strata:primary: run on the primary
	Pool    string // strata:pool=NAME: run on this backend pool
	Shard   string // strata:shard=NAME: run on this shard
}

// IsZero reports whether no directive was given.
func (h Hint) IsZero() bool { return h == Hint{} }

// Savepoint is what a SAVEPOINT, ROLLBACK TO SAVEPOINT or RELEASE
// SAVEPOINT statement does, to the savepoint Name (as written, without
// quotes; the server compares names without regard to case).
type Savepoint struct {
	Action SavepointAction
	Name   string
}

// SavepointAction is one of the three savepoint statements.
type SavepointAction uint8

const (
	SavepointNone     SavepointAction = iota // not a savepoint statement, or not read
	SavepointSet                             // SAVEPOINT sp
	SavepointRollback                        // ROLLBACK [WORK] TO [SAVEPOINT] sp
	SavepointRelease                         // RELEASE SAVEPOINT sp
)

// ServerFiles reports whether the statement reads or writes a file on the
// host of the server that runs it: SELECT ... INTO OUTFILE / DUMPFILE,
// LOAD DATA (or XML) INFILE without LOCAL, LOAD_FILE().
func (f *Facts) ServerFiles() bool {
	return f.IntoOutfile || f.LoadsFile || f.Kind == KindLoadData && f.Load != nil && !f.Load.Local
}
