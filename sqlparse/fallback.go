package sqlparse

import (
	"strconv"
	"strings"
)

// ClassifyFallback classifies a statement the parser rejected from its
// leading keywords (after comments), so that Strata never refuses a
// statement only because the TiDB grammar lacks it (MariaDB RETURNING,
// SET STATEMENT ... FOR, BACKUP STAGE, XA, BEGIN WORK, SELECT ... INTO
// @var, ...). The result is conservative by design:
//
//   - ReadOnly only for a plain SELECT (plainRead): one that calls
//     builtins only and has no word or sign of a write, lock or
//     assignment. Anything else may write, so it runs on the primary.
//   - Transaction control (BEGIN WORK, COMMIT WORK, ROLLBACK [WORK] [TO],
//     XA) is recognized, because getting it wrong would break pinning.
//   - Flags that widen where a statement must run (user variables,
//     locking reads, lock/session/sequence functions) are raised on any
//     textual sign of them; Tables stay empty.
//   - Unknown first keyword: KindOther.
//
// The text should be one statement (see SplitStatements); Fallback is set
// on the result.
func ClassifyFallback(sql string) *Facts { return Mode{}.ClassifyFallback(sql) }

// ClassifyFallback is the package-level ClassifyFallback under this sql_mode.
func (m Mode) ClassifyFallback(sql string) *Facts {
	text := cleanText(sql)
	f := &Facts{Text: text, Fallback: true, Hint: extractHint(sql), Digest: digest(text)}
	fb := fallback{f: f, text: text}
	fb.tokenize(m.noBackslash)
	fb.classify(0)
	if !fb.definesProgram() {
		fb.scanFlags()
	}
	f.ReadOnly = f.ReadOnly || fb.plainRead()
	f.Names = fb.names()
	f.OwnAccount = f.OwnAccount || fb.aboutOwnAccount()
	if f.Kind == KindGrant && fb.word(0) != "GRANT" {
		f.AccountsChanged = fb.accountsAtHosts()
	}
	return f
}

// accountsAtHosts lists the user names written as user@host ('u'@'h',
// `u`@`h`, u@h) in a statement the parser could not read.
func (fb *fallback) accountsAtHosts() []string {
	var names []string
	for i := 0; i+1 < len(fb.toks); i++ {
		t, next := fb.toks[i], fb.toks[i+1]
		if next.start != t.end || fb.text[next.start] != '@' {
			continue
		}
		switch t.kind {
		case tokString, tokQuoted:
			names = append(names, quotedBody(fb.text[t.start:t.end]))
		case tokWord:
			names = append(names, fb.text[t.start:t.end])
		}
	}
	return names
}

// aboutOwnAccount: an account statement the parser could not read
// (MariaDB's IDENTIFIED VIA, say) about the account running it: one that
// names CURRENT_USER, other than a GRANT (which only adds), or ALTER
// USER USER().
func (fb *fallback) aboutOwnAccount() bool {
	if fb.f.Kind != KindGrant || fb.word(0) == "GRANT" {
		return false
	}
	if fb.word(0) == "ALTER" && fb.word(1) == "USER" && fb.word(2) == "USER" {
		return true
	}
	return fb.hasWord("CURRENT_USER", 0, len(fb.toks))
}

// plainRead reports whether a SELECT the parser could not read (MariaDB's
// CAST(x AS INT), LIMIT ROWS EXAMINED, OFFSET ... FETCH) is still plainly
// a read that a replica may answer. Every word followed by "(" must be a
// builtin function or a keyword that opens a list or a subquery: a stored
// function may write, so an unknown, quoted or schema-qualified name
// called sends the statement to the primary, as do INTO, :=, user
// variables, the words of a write and the flags scanFlags raised.
func (fb *fallback) plainRead() bool {
	f := fb.f
	if f.Kind != KindSelect || f.Locking || f.IntoOutfile || f.SetsUserVars || f.ReadsUserVars ||
		f.SideEffects || f.LockFunctions {
		return false
	}
	for i, t := range fb.toks {
		called := i+1 < len(fb.toks) && fb.text[fb.toks[i+1].start] == '('
		switch t.kind {
		case tokPunct:
			if p := fb.text[t.start:t.end]; p == ":=" || p == ";" && i+1 < len(fb.toks) {
				return false
			}
		case tokQuoted:
			if called { // `f`(...): a stored function
				return false
			}
		case tokWord:
			w := fb.word(i)
			switch {
			case writeWords[w] || w == "REPLACE" && !called:
				return false
			case called && (i > 0 && fb.text[fb.toks[i-1].start] == '.' || !openingWords[w] && !isBuiltinFunc(strings.ToLower(w))):
				return false
			}
		}
	}
	return true
}

// writeWords are words that no plain SELECT holds outside strings and
// quoted names (they are reserved): INTO @x / OUTFILE, a CTE's UPDATE.
var writeWords = map[string]bool{"INTO": true, "INSERT": true, "UPDATE": true, "DELETE": true, "CALL": true, "SET": true, "LOCK": true}

// openingWords are keywords a "(" may follow in a SELECT without a
// function being called: lists, subqueries, derived tables, windows,
// index and partition lists, JSON_TABLE's columns, and the types of
// CAST(x AS DECIMAL(10, 2)) (reserved words: no function has their name).
var openingWords = map[string]bool{
	"SELECT": true, "FROM": true, "JOIN": true, "AS": true, "IN": true, "EXISTS": true, "OVER": true,
	"ON": true, "USING": true, "AND": true, "OR": true, "NOT": true, "XOR": true, "WHERE": true,
	"WITH": true, "VALUES": true, "ALL": true, "ANY": true, "SOME": true, "THEN": true, "ELSE": true,
	"WHEN": true, "CASE": true, "IS": true, "LIKE": true, "BETWEEN": true, "UNION": true,
	"INTERSECT": true, "EXCEPT": true, "MINUS": true, "LATERAL": true, "DISTINCT": true, "ROW": true,
	"INTERVAL": true, "HAVING": true, "BY": true, "DIV": true, "REGEXP": true, "RLIKE": true,
	"ESCAPE": true, "BINARY": true, "PARTITION": true, "INDEX": true, "KEY": true,
	"COLUMNS": true, "DECIMAL": true, "DEC": true, "NUMERIC": true, "CHAR": true, "NCHAR": true,
	"VARCHAR": true, "DOUBLE": true, "FLOAT": true, "DATETIME": true, "TIME": true,
}

// names lists the words and quoted names of the statement, lower-cased
// and without quotes: "name" too, which ANSI_QUOTES reads as a name.
func (fb *fallback) names() []string {
	var out []string
	for _, t := range fb.toks {
		text := fb.text[t.start:t.end]
		switch {
		case t.kind == tokWord:
		case t.kind == tokQuoted || t.kind == tokString && text[0] == '"':
			text = quotedBody(text)
		default:
			continue
		}
		out = append(out, strings.ToLower(text))
	}
	return out
}

// savepoint is the savepoint statement whose name is token i, the last:
// zero when anything else is there.
func (fb *fallback) savepoint(action SavepointAction, i int) Savepoint {
	if i != len(fb.toks)-1 || i < 1 {
		return Savepoint{}
	}
	t := fb.toks[i]
	text := fb.text[t.start:t.end]
	switch t.kind {
	case tokWord:
	case tokQuoted:
		text = quotedBody(text)
	default:
		return Savepoint{}
	}
	return Savepoint{Action: action, Name: text}
}

// fallback holds the code tokens (no comments) of the statement.
type fallback struct {
	f    *Facts
	text string
	toks []token
}

func (fb *fallback) tokenize(noBackslash bool) {
	sc := newScanner(fb.text)
	sc.noBackslash = noBackslash
	// Sized for the text at once: a statement of megabytes (a batch, or
	// one the parser would not read) would otherwise be copied on every
	// growth. Statements average well over four bytes a token.
	fb.toks = make([]token, 0, len(fb.text)/4+8)
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		fb.toks = append(fb.toks, t)
	}
}

// word returns token i upper-cased if it is a word, else "".
func (fb *fallback) word(i int) string {
	if i < 0 || i >= len(fb.toks) || fb.toks[i].kind != tokWord {
		return ""
	}
	return strings.ToUpper(fb.text[fb.toks[i].start:fb.toks[i].end])
}

// hasWord reports whether keyword kw appears among tokens [from, to).
func (fb *fallback) hasWord(kw string, from, to int) bool {
	for i := from; i < min(to, len(fb.toks)); i++ {
		if fb.word(i) == kw {
			return true
		}
	}
	return false
}

// classify sets the kind from the statement starting at token i.
func (fb *fallback) classify(i int) {
	for i < len(fb.toks) && fb.text[fb.toks[i].start] == '(' { // (SELECT ...) UNION ...
		i++
	}
	f := fb.f
	switch kw := fb.word(i); kw {
	case "SELECT", "WITH", "TABLE", "VALUES":
		f.Kind = KindSelect
	case "INSERT", "REPLACE", "UPDATE", "DELETE":
		f.Kind = dmlKinds[kw]
	case "CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE":
		fb.ddl(i)
	case "GRANT", "REVOKE":
		f.Kind, f.ImplicitCommit = KindGrant, true
	case "SET":
		fb.set(i)
	case "USE":
		f.Kind, f.Schema = KindUse, fb.name(i+1)
	case "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "XA":
		fb.tx(i, kw)
	default:
		fb.admin(i, kw)
	}
}

var dmlKinds = map[string]Kind{"INSERT": KindInsert, "REPLACE": KindReplace, "UPDATE": KindUpdate, "DELETE": KindDelete}

// tx: transaction control, including the forms the parser lacks
// (BEGIN WORK, COMMIT WORK, ROLLBACK WORK, XA ...).
func (fb *fallback) tx(i int, kw string) {
	f := fb.f
	switch kw {
	case "BEGIN":
		if fb.word(i+1) == "NOT" { // BEGIN NOT ATOMIC ... END: a compound block
			f.Kind = KindOther
			return
		}
		f.Kind, f.StartsTx, f.ImplicitCommit = KindBegin, true, true
	case "START":
		if fb.word(i+1) != "TRANSACTION" { // START SLAVE / REPLICA / GROUP_REPLICATION
			f.Kind = KindOther
			f.ControlsReplication = fb.replicationWord(i + 1)
			return
		}
		f.Kind, f.StartsTx, f.ImplicitCommit = KindBegin, true, true
		f.ReadOnlyTx = fb.hasReadOnly(i + 2)
	case "COMMIT":
		f.Kind, f.EndsTx = KindCommit, true
		f.StartsTx = fb.hasChain(i + 1)
	case "ROLLBACK":
		if fb.hasWord("TO", i+1, i+3) { // ROLLBACK [WORK] TO [SAVEPOINT] sp
			f.Kind = KindSavepoint
			f.Savepoint = fb.savepoint(SavepointRollback, len(fb.toks)-1)
			return
		}
		f.Kind, f.EndsTx = KindRollback, true
		f.StartsTx = fb.hasChain(i + 1)
	case "SAVEPOINT":
		f.Kind, f.Savepoint = KindSavepoint, fb.savepoint(SavepointSet, i+1)
	case "RELEASE":
		f.Kind, f.Savepoint = KindSavepoint, fb.savepoint(SavepointRelease, i+2)
	case "XA":
		f.Kind = KindXA
		switch fb.word(i + 1) {
		case "START", "BEGIN":
			f.StartsTx = true
		case "COMMIT", "ROLLBACK":
			f.EndsTx = true
		}
	}
}

func (fb *fallback) hasReadOnly(from int) bool {
	for i := from; i+1 < len(fb.toks); i++ {
		if fb.word(i) == "READ" && fb.word(i+1) == "ONLY" {
			return true
		}
	}
	return false
}

// hasChain: COMMIT/ROLLBACK ... AND CHAIN (not AND NO CHAIN).
func (fb *fallback) hasChain(from int) bool {
	for i := from; i+1 < len(fb.toks); i++ {
		if fb.word(i) == "AND" && fb.word(i+1) == "CHAIN" {
			return true
		}
	}
	return false
}

// ddl: CREATE/ALTER/DROP/RENAME/TRUNCATE. Accounts and roles are
// KindGrant, DROP PREPARE is KindPrepare, and CREATE/DROP TEMPORARY
// TABLE do not commit.
func (fb *fallback) ddl(i int) {
	f := fb.f
	switch {
	case fb.hasWord("USER", i+1, i+5) || fb.hasWord("ROLE", i+1, i+5):
		f.Kind, f.ImplicitCommit = KindGrant, true
	case fb.word(i) == "DROP" && fb.word(i+1) == "PREPARE":
		f.Kind, f.PrepareName = KindPrepare, strings.ToLower(fb.name(i+2))
	case fb.hasWord("TEMPORARY", i+1, i+4):
		f.Kind, f.TempTable = KindDDL, true
	default:
		f.Kind, f.ImplicitCommit = KindDDL, true
	}
}

// set: SET STATEMENT ... FOR stmt routes like stmt; SET NAMES and
// CHARACTER SET are simple enough to turn into SessionVars; any other SET
// leaves the router to pin the session (Fallback=true, no SessionVars).
func (fb *fallback) set(i int) {
	f := fb.f
	f.Kind = KindSet
	switch w1 := fb.word(i + 1); w1 {
	case "STATEMENT":
		fb.setStatement(i + 2)
	case "PASSWORD": // SET PASSWORD [FOR account] = ...
		f.Kind, f.ImplicitCommit = KindGrant, true
		f.OwnAccount = fb.word(i+2) != "FOR" || fb.word(i+3) == "CURRENT_USER"
	case "DEFAULT":
		if fb.word(i+2) == "ROLE" {
			f.Kind, f.ImplicitCommit = KindGrant, true
		}
	case "TRANSACTION":
		f.NextTxSettings = true
	case "NAMES":
		fb.setCharset(i+2, "names", "SET NAMES ")
	case "CHARSET":
		fb.setCharset(i+2, "character set", "SET CHARACTER SET ")
	case "CHARACTER":
		if fb.word(i+2) == "SET" {
			fb.setCharset(i+3, "character set", "SET CHARACTER SET ")
		}
	}
	if fb.hasWord("AUTOCOMMIT", i+1, len(fb.toks)) || fb.hasSysVar("autocommit") {
		off := false // unknown value: report autocommit off, which pins the session
		f.Autocommit = &off
	}
}

// setStatement finds the FOR of SET STATEMENT ... FOR and classifies the
// statement after it.
func (fb *fallback) setStatement(from int) {
	depth := 0
	for i := from; i < len(fb.toks); i++ {
		switch c := fb.text[fb.toks[i].start]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && fb.word(i) == "FOR":
			fb.classify(i + 1)
			return
		}
	}
}

// setCharset: SET NAMES cs [COLLATE coll] / SET CHARACTER SET cs.
func (fb *fallback) setCharset(i int, name, prefix string) {
	cs := strings.ToLower(fb.name(i))
	if cs == "" || i+1 < len(fb.toks) && fb.word(i+1) != "COLLATE" {
		return
	}
	if cs == "default" {
		cs = "DEFAULT"
	}
	v := SessionVar{Name: name, Value: cs, SQL: prefix + sqlWord(cs)}
	if fb.word(i+1) == "COLLATE" {
		coll := strings.ToLower(fb.name(i + 2))
		if coll == "" || i+3 != len(fb.toks) {
			return
		}
		v.Value += " COLLATE " + coll
		v.SQL += " COLLATE " + sqlWord(coll)
	}
	fb.f.SessionVars = append(fb.f.SessionVars, v)
}

// name returns token i as a name: a word, or the content of a quoted
// name or string.
func (fb *fallback) name(i int) string {
	if i >= len(fb.toks) {
		return ""
	}
	t := fb.toks[i]
	s := fb.text[t.start:t.end]
	switch t.kind {
	case tokWord:
		return s
	case tokQuoted, tokString:
		q := s[:1]
		return strings.ReplaceAll(strings.Trim(s, q), q+q, q)
	}
	return ""
}

// admin: everything that is neither DML, DDL, SET nor transaction control.
func (fb *fallback) admin(i int, kw string) {
	f := fb.f
	next := fb.word(i + 1)
	switch kw {
	case "SHOW":
		f.Kind = KindShow
		fb.showDiagnostics(i + 1)
		f.ReadsBinlog = fb.showsBinlog(i + 1)
	case "GET": // GET [CURRENT | STACKED] DIAGNOSTICS
		if next == "DIAGNOSTICS" || fb.word(i+2) == "DIAGNOSTICS" {
			f.Kind, f.SessionFunctions, f.ReadsPrevious = KindOther, true, true
		}
	case "EXPLAIN", "DESCRIBE", "DESC":
		f.Kind = KindExplain
	case "ANALYZE": // ANALYZE TABLE, or MariaDB's ANALYZE stmt (runs stmt)
		f.Kind = KindExplain
		if next == "TABLE" || next == "NO_WRITE_TO_BINLOG" || next == "LOCAL" {
			f.Kind, f.ImplicitCommit = KindAnalyze, true
		}
	case "OPTIMIZE", "CHECK", "REPAIR":
		f.Kind, f.ImplicitCommit = KindAnalyze, true
	case "CHECKSUM":
		f.Kind = KindAnalyze
	case "LOCK", "UNLOCK":
		fb.lock(kw, next)
	case "HANDLER":
		fb.handler(i)
	case "BACKUP":
		fb.backup(i)
	case "CALL":
		f.Kind = KindCall
	case "DO":
		f.Kind = KindDo
	case "LOAD":
		f.Kind = KindLoadData
		if next == "INDEX" { // LOAD INDEX INTO CACHE
			f.Kind, f.ImplicitCommit = KindOther, true
		}
	case "KILL":
		fb.kill(i + 1)
	case "PREPARE", "EXECUTE":
		f.Kind, f.PrepareName = KindPrepare, strings.ToLower(fb.name(i+1))
	case "DEALLOCATE":
		f.Kind, f.PrepareName = KindPrepare, strings.ToLower(fb.name(i+2))
	case "FLUSH":
		f.Kind, f.ImplicitCommit = KindFlush, true
		// FLUSH TABLES ... WITH READ LOCK / FOR EXPORT: locks until UNLOCK TABLES.
		f.Locking = fb.hasWord("READ", i, len(fb.toks)) && fb.hasWord("LOCK", i, len(fb.toks)) ||
			fb.hasWord("EXPORT", i, len(fb.toks))
	case "RESET", "CACHE", "PURGE", "CHANGE":
		f.Kind, f.ImplicitCommit = KindOther, true
		f.ControlsReplication = kw != "PURGE" && (next == "MASTER" || fb.replicationWord(i+1))
	case "STOP":
		f.Kind = KindOther
		f.ControlsReplication = fb.replicationWord(i + 1)
	case "SHUTDOWN": // MariaDB's SHUTDOWN WAIT FOR ALL SLAVES
		f.Kind = KindShutdown
	default:
		f.Kind = KindOther
	}
}

// replicationWord reports whether token i starts what START, STOP, RESET
// or CHANGE act on when they control replication: SLAVE, REPLICA, ALL
// SLAVES or REPLICAS, or a connection name and then SLAVE (MariaDB's
// multi-source 'name' SLAVE).
func (fb *fallback) replicationWord(i int) bool {
	switch fb.word(i) {
	case "SLAVE", "SLAVES", "REPLICA", "REPLICAS", "ALL":
		return true
	}
	return fb.word(i+1) == "SLAVE" || fb.word(i+1) == "REPLICA"
}

// showDiagnostics: SHOW [COUNT(*)] WARNINGS | ERRORS [LIMIT ...] from
// token i, in the forms the parser lacks (LIMIT), reads the previous
// statement's diagnostics.
func (fb *fallback) showDiagnostics(i int) {
	if fb.word(i) == "COUNT" {
		i += 4 // COUNT ( * )
	}
	if w := fb.word(i); w == "WARNINGS" || w == "ERRORS" {
		fb.f.ReadOnly, fb.f.SessionFunctions, fb.f.ReadsPrevious = true, true, true
	}
}

// showsBinlog: SHOW MASTER STATUS, BINLOG STATUS, BINARY LOGS, MASTER
// LOGS or BINLOG EVENTS from token i, the forms the parser lacks among
// them; the others (SHOW VARIABLES) are the parser's.
func (fb *fallback) showsBinlog(i int) bool {
	switch fb.word(i) + " " + fb.word(i+1) {
	case "MASTER STATUS", "BINLOG STATUS", "BINARY LOGS", "MASTER LOGS", "BINLOG EVENTS":
		return true
	}
	return false
}

// handler: HANDLER [db.]t OPEN [[AS] alias] opens a handle, named by the
// alias or else the table, that its connection keeps until HANDLER name
// CLOSE; HANDLER name READ ... reads through it.
func (fb *fallback) handler(i int) {
	f := fb.f
	f.Kind = KindOther
	j := i + 1
	for j+2 < len(fb.toks) && fb.text[fb.toks[j+1].start:fb.toks[j+1].end] == "." {
		j += 2 // db.t: the handle is named t
	}
	name := fb.name(j)
	switch fb.word(j + 1) {
	case "OPEN":
		if a := j + 2; fb.word(a) == "AS" {
			name = fb.name(a + 1)
		} else if a < len(fb.toks) {
			name = fb.name(a)
		}
		f.Hold = "handler " + strings.ToLower(name)
	case "CLOSE":
		f.Release = "handler " + strings.ToLower(name)
	}
}

// backup: MariaDB's BACKUP STAGE (START ... END) and BACKUP LOCK t (to
// BACKUP UNLOCK) hold locks on their connection.
func (fb *fallback) backup(i int) {
	f := fb.f
	f.Kind = KindOther
	switch fb.word(i + 1) {
	case "STAGE":
		if fb.word(i+2) == "END" {
			f.Release = "backup stage"
		} else {
			f.Hold = "backup stage"
		}
	case "LOCK":
		f.Hold = "backup lock"
	case "UNLOCK":
		f.Release = "backup lock"
	}
}

func (fb *fallback) lock(kw, next string) {
	f := fb.f
	if next != "TABLE" && next != "TABLES" { // LOCK INSTANCE FOR BACKUP ...
		f.Kind = KindOther
		return
	}
	if kw == "LOCK" {
		f.Kind, f.ImplicitCommit = KindLockTables, true
		return
	}
	f.Kind = KindUnlockTables
}

// kill: KILL [HARD|SOFT] [CONNECTION|QUERY] [ID] n. MariaDB's KILL QUERY
// ID n names a query id, not a connection id, so KillID stays 0.
func (fb *fallback) kill(i int) {
	f := fb.f
	f.Kind = KindKill
	if w := fb.word(i); w == "HARD" || w == "SOFT" {
		i++
	}
	switch fb.word(i) {
	case "QUERY":
		f.KillQuery = true
		i++
	case "CONNECTION":
		i++
	}
	if fb.word(i) == "ID" {
		return
	}
	if id, err := strconv.ParseUint(fb.name(i), 10, 64); err == nil {
		f.KillID = id
	}
}

// definesProgram reports whether the statement is CREATE or ALTER of a
// stored program (CREATE [OR REPLACE] [DEFINER = 'u'@'h'] TRIGGER ...):
// its body runs later, on each call, not now, so the user variables and
// functions it names say nothing of where the definition runs. Before,
// CREATE TRIGGER ... SET NEW.who = @app_user on a sharded table was
// refused as assigning user variables on several shards.
func (fb *fallback) definesProgram() bool {
	if fb.f.Kind != KindDDL || !(fb.word(0) == "CREATE" || fb.word(0) == "ALTER") {
		return false
	}
	for i := 1; i < len(fb.toks) && i < 16; i++ {
		switch fb.word(i) {
		case "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE":
			return true
		case "TABLE", "VIEW", "INDEX", "DATABASE", "SCHEMA", "USER", "ROLE", "SEQUENCE", "SERVER":
			return false
		}
	}
	return false
}

// scanFlags raises the flags that widen where the statement must run
// on any textual sign of them.
func (fb *fallback) scanFlags() {
	f := fb.f
	for i, t := range fb.toks {
		switch t.kind {
		case tokUserVar:
			f.ReadsUserVars, f.SetsUserVars = true, true
		case tokSysVar:
			name := sysVarName(fb.text[t.start:t.end])
			f.SessionFunctions = f.SessionFunctions || sessionSysVars[name]
			f.ReadsPrevious = f.ReadsPrevious || previousSysVars[name]
			f.ReadsReadOnly = f.ReadsReadOnly || name == "read_only"
			f.ReadsBinlog = f.ReadsBinlog || binlogSysVars[name]
		case tokWord:
			fb.wordFlags(i)
		}
	}
}

func (fb *fallback) wordFlags(i int) {
	f := fb.f
	w := fb.word(i)
	if i+1 < len(fb.toks) && fb.text[fb.toks[i+1].start] == '(' {
		c := specialFuncs[strings.ToLower(w)]
		f.LockFunctions = f.LockFunctions || c&funcLock != 0
		f.SessionFunctions = f.SessionFunctions || c&funcSession != 0
		f.SideEffects = f.SideEffects || c&funcSideEffect != 0
		f.ReadsPrevious = f.ReadsPrevious || c&funcPrevious != 0
		f.LoadsFile = f.LoadsFile || w == "LOAD_FILE"
	}
	switch w {
	case "NEXT", "PREVIOUS": // NEXT VALUE FOR seq, PREVIOUS VALUE FOR seq
		if fb.word(i+1) == "VALUE" && fb.word(i+2) == "FOR" {
			f.SideEffects = true
			f.SessionFunctions = f.SessionFunctions || w == "PREVIOUS"
		}
	case "FOR": // only a SELECT locks this way; SET STATEMENT ... FOR UPDATE t is an UPDATE
		if n := fb.word(i + 1); (n == "UPDATE" || n == "SHARE") && f.Kind == KindSelect {
			f.Locking = true
		}
	case "LOCK":
		if fb.word(i+1) == "IN" && fb.word(i+2) == "SHARE" && f.Kind == KindSelect {
			f.Locking = true
		}
	case "INTO":
		if n := fb.word(i + 1); n == "OUTFILE" || n == "DUMPFILE" {
			f.IntoOutfile = true
		}
	case "SQL_CALC_FOUND_ROWS":
		f.CalcFoundRows = true
	case "INFILE": // LOAD XML INFILE, LOAD DATA CONCURRENT INFILE: the server's file unless LOCAL
		if f.Kind == KindLoadData && fb.word(i-1) != "LOCAL" {
			f.LoadsFile = true
		}
	}
}

func (fb *fallback) hasSysVar(name string) bool {
	for _, t := range fb.toks {
		if t.kind == tokSysVar && sysVarName(fb.text[t.start:t.end]) == name {
			return true
		}
	}
	return false
}

// sysVarName: "@@SESSION.Warning_Count" -> "warning_count".
func sysVarName(tok string) string {
	name := strings.ToLower(strings.TrimPrefix(tok, "@@"))
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name
}
