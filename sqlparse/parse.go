package sqlparse

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"

	// The parser needs a driver for literal values; test_driver is the
	// light one (no TiDB types package).
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Mode is the part of a session's state that changes how SQL text is
// read: the sql_mode flags ANSI_QUOTES ("x" is a name), NO_BACKSLASH_ESCAPES,
// PIPES_AS_CONCAT, HIGH_NOT_PRECEDENCE and IGNORE_SPACE. The zero Mode is
// the server default. Build one with NewMode when the session's sql_mode
// changes, not per statement.
type Mode struct {
	sqlMode     mysql.SQLMode
	noBackslash bool
	// charset is the client's character set, which its string literals
	// are written in ("" unknown). It does not change how text is
	// tokenized here (the session masks the multi-byte sets that could),
	// only what a literal's bytes mean.
	charset string
	// zone is the session's time_zone where it set one ("" for the
	// server's): MariaDB reads a TIMESTAMP literal in it.
	zone string
	// emptyIsNull: MariaDB's EMPTY_STRING_IS_NULL, under which the
	// server reads an empty string, written or bound, as NULL (the
	// parser does not know the mode).
	emptyIsNull bool
}

// EmptyStringIsNull reports whether m has MariaDB's EMPTY_STRING_IS_NULL:
// a key, or a value in a NOT NULL column, written as ” (or bound as an
// empty string) is NULL to the server.
func (m Mode) EmptyStringIsNull() bool { return m.emptyIsNull }

// NoBackslashEscapes reports whether m has NO_BACKSLASH_ESCAPES: a
// backslash in a string literal is itself, not an escape.
func (m Mode) NoBackslashEscapes() bool { return m.noBackslash }

// EmptyStringLiteral reports whether text is a quoted empty string (”,
// "", N”, _utf8mb4”), which EMPTY_STRING_IS_NULL reads as NULL; a hex
// literal (X”) stays an empty string.
func EmptyStringLiteral(text string) bool {
	s := strings.TrimSpace(text)
	if i := strings.IndexAny(s, `'"`); i > 0 {
		if p := s[:i]; p != "N" && p != "n" && p[0] != '_' {
			return false
		}
		s = s[i:]
	}
	return s == "''" || s == `""`
}

// WithZone is m for a session whose time_zone is zone ("" for the
// server's own).
func (m Mode) WithZone(zone string) Mode {
	m.zone = zone
	return m
}

// Zone is the session's time_zone, "" when it has not set one.
func (m Mode) Zone() string { return m.zone }

// WithCharset is m for a client writing in character set name.
func (m Mode) WithCharset(name string) Mode {
	m.charset = name
	return m
}

// Charset is the client's character set, "" when not known.
func (m Mode) Charset() string { return m.charset }

// NewMode reads a sql_mode value ("ANSI_QUOTES,STRICT_TRANS_TABLES").
// Modes the parser does not know (MariaDB's own, say) are ignored: none
// of them change how a statement is tokenized. MariaDB's
// EMPTY_STRING_IS_NULL changes what a literal means, and is kept.
func NewMode(sqlMode string) Mode {
	var m mysql.SQLMode
	emptyIsNull := false
	for _, part := range strings.Split(strings.ToUpper(sqlMode), ",") {
		part = strings.TrimSpace(part)
		emptyIsNull = emptyIsNull || part == "EMPTY_STRING_IS_NULL"
		names := []string{part}
		if combo, ok := mysql.CombinationSQLMode[part]; ok {
			names = combo
		}
		for _, n := range names {
			m |= mysql.Str2SQLMode[n]
		}
	}
	return Mode{sqlMode: m, noBackslash: m.HasNoBackslashEscapesMode(), emptyIsNull: emptyIsNull}
}

// NumbersZero reports whether an AUTO_INCREMENT column given 0 takes the
// table's next number, as it does unless sql_mode has
// NO_AUTO_VALUE_ON_ZERO. Strata places rows by the values it sees, so it
// must know which ones the server will replace.
func (m Mode) NumbersZero() bool { return m.sqlMode&mysql.ModeNoAutoValueOnZero == 0 }

// KeepingZero is m with NO_AUTO_VALUE_ON_ZERO set as keep says. The flag
// does not change how text reads (ReadsAsDefault), so a session keeps it
// beside its reading.
func (m Mode) KeepingZero(keep bool) Mode {
	if keep {
		m.sqlMode |= mysql.ModeNoAutoValueOnZero
	} else {
		m.sqlMode &^= mysql.ModeNoAutoValueOnZero
	}
	return m
}

// ReadsAsDefault reports whether m reads SQL text as the server's default
// sql_mode does: none of the flags that change tokenizing or precedence,
// nor EMPTY_STRING_IS_NULL, which changes what ” means.
func (m Mode) ReadsAsDefault() bool {
	const reading = mysql.ModeANSIQuotes | mysql.ModeNoBackslashEscapes | mysql.ModePipesAsConcat |
		mysql.ModeHighNotPrecedence | mysql.ModeIgnoreSpace
	return m.sqlMode&reading == 0 && !m.emptyIsNull
}

// The TiDB parser keeps scratch state and is not goroutine-safe; a pool
// gives each concurrent parse its own and reuses them (a new parser
// allocates a large symbol cache).
var parserPool = sync.Pool{New: func() any { return parser.New() }}

// parseAST parses sql into statement nodes. This is the single call into
// the parser; later passes (shard-key extraction, table renames) start
// from its result.
func (m Mode) parseAST(sql string) (_ []ast.StmtNode, err error) {
	if why := m.unread(sql); why != ReadFully {
		return nil, &SyntaxError{Code: ErrCodeSyntax, SQLState: "42000", Msg: "Strata's parser does not read this statement: " + why.String()}
	}
	p := parserPool.Get().(*parser.Parser)
	defer func() {
		// The parser panics on a few texts MariaDB reads, e.g. a number of
		// more than 81 digits (beyond its decimal type). Such a text is
		// one the parser cannot read: the caller falls back, and the
		// server answers it. The parser's state is unknown after a panic,
		// so it does not go back to the pool.
		if r := recover(); r != nil {
			err = &SyntaxError{Code: ErrCodeSyntax, SQLState: "42000", Msg: fmt.Sprintf("the SQL parser failed on this statement: %v", r)}
			return
		}
		parserPool.Put(p)
	}()
	p.SetSQLMode(m.sqlMode)
	stmts, _, err := p.ParseSQL(m.execComments(sql))
	if err != nil {
		return nil, newSyntaxError(err)
	}
	// The nodes are fresh, but the slice is the parser's and is reused
	// by its next parse.
	stmts = slices.Clone(stmts)
	for i, st := range stmts {
		if n, ok := st.Accept(renamedFuncs{}); ok {
			stmts[i] = n.(ast.StmtNode)
		}
	}
	return stmts, nil
}

// Parse parses one or more ';'-separated statements (a multi-statement
// COM_QUERY) and returns the facts of each. A statement the parser
// rejects fails the whole call with a *SyntaxError; see ParseOrFallback.
func Parse(sql string) ([]*Facts, error) { return Mode{}.Parse(sql) }

// Parse is the package-level Parse under this sql_mode.
func (m Mode) Parse(sql string) ([]*Facts, error) {
	stmts, err := m.parseAST(sql)
	if err != nil {
		return nil, err
	}
	facts := make([]*Facts, len(stmts))
	for i, st := range stmts {
		hintText := st.Text()
		if len(stmts) == 1 {
			hintText = sql // a lone statement owns comments after its ';' too
		}
		facts[i] = m.analyze(st, hintText)
	}
	if len(facts) == 1 && m.ReadsAsDefault() && facts[0].Kind == KindSelect && facts[0].ReadOnly &&
		facts[0].MetadataOf == nil && !facts[0].ListsSchema {
		// The offsets of the parser's nodes are in the text it read,
		// which execComments keeps at sql's length: they are sql's.
		// Statements about the schema are left out: their facts hold
		// names from their values, and Strata answers some of them.
		facts[0].Prepared = preparedForm(sql, stmts[0])
	}
	return facts, nil
}

// Classify is Parse for exactly one statement. Empty text is MySQL's
// "Query was empty" (1065); several statements are ErrMultipleStatements.
func Classify(sql string) (*Facts, error) { return Mode{}.Classify(sql) }

// Classify is the package-level Classify under this sql_mode.
func (m Mode) Classify(sql string) (*Facts, error) {
	facts, err := m.Parse(sql)
	switch {
	case err != nil:
		return nil, err
	case len(facts) == 0:
		return nil, emptyQueryError()
	case len(facts) > 1:
		return nil, ErrMultipleStatements
	}
	return facts[0], nil
}

// ParseOrFallback returns facts for every statement, even ones the
// parser rejects: those get ClassifyFallback's conservative facts
// (Fallback=true, ReadOnly=false), so Strata forwards them to the primary
// and the backend has the last word on their syntax. The error is the
// parser's *SyntaxError (nil if everything parsed), for the caller to log
// or to answer with if it prefers strictness.
func ParseOrFallback(sql string) ([]*Facts, error) { return Mode{}.ParseOrFallback(sql) }

// ParseOrFallback is the package-level ParseOrFallback under this sql_mode.
func (m Mode) ParseOrFallback(sql string) ([]*Facts, error) {
	facts, err := m.Parse(sql)
	if err == nil {
		return facts, nil
	}
	// Parse statement by statement so one unknown statement does not
	// blind the others.
	pieces := SplitStatements(sql)
	if len(pieces) == 0 { // e.g. an unterminated comment: let the backend answer it
		pieces = []string{sql}
	}
	facts = make([]*Facts, len(pieces))
	for i, piece := range pieces {
		facts[i] = m.classifyPiece(piece)
	}
	return facts, err
}

func (m Mode) classifyPiece(text string) *Facts {
	if why := m.unread(text); why != ReadFully {
		// The digest of its start only: the digester's time on such a
		// text grows faster than its length (7 s for 20 MB of nested
		// parentheses).
		text = cleanText(text)
		return &Facts{Kind: KindOther, Unread: why, Fallback: true, Text: text, Digest: digest(text[:min(len(text), 4096)]), Hint: extractHint(text)}
	}
	if f, err := m.Classify(text); err == nil {
		return f
	}
	if f := m.setStatementFor(text); f != nil {
		return f
	}
	if f := m.returningFacts(text); f != nil {
		return f
	}
	return m.ClassifyFallback(text)
}

// analyze builds the facts of one parsed statement.
func (m Mode) analyze(stmt ast.StmtNode, hintText string) *Facts {
	if _, ok := stmt.(*ast.ProcedureInfo); ok {
		// CREATE PROCEDURE: the parser reads it, but the facts of its
		// body are not the definition's. Read as the other stored
		// programs are, whose names tell which tables the body reads.
		return m.ClassifyFallback(stmt.Text())
	}
	f := &Facts{Text: cleanText(stmt.Text())}
	walk(f, stmt)
	m.classify(f, stmt)
	f.computeReadOnly(stmt)
	if sel, ok := stmt.(*ast.SelectStmt); ok && f.ReadOnly {
		f.MetadataOf = metadataOf(f, sel)
		f.ListsSchema = f.MetadataOf == nil && listsSchema(f)
	}
	f.Hint = extractHint(hintText)
	f.Digest = digest(f.Text)
	return f
}

// cleanText trims a statement's text as the parser cut it: it runs from
// the previous ';' to its own ';' inclusive, empty statements included.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, ";") {
		s = strings.TrimSpace(s[1:])
	}
	for strings.HasSuffix(s, ";") {
		s = strings.TrimSpace(s[:len(s)-1])
	}
	return s
}

// digest normalizes statement text with the parser's digester: literals
// become ?, IN lists and VALUES rows collapse to "...", comments and
// optimizer hints go.
func digest(text string) string { return parser.Normalize(text, "ON") }

// setStatementFor handles MariaDB's SET STATEMENT var=value[, ...] FOR
// stmt, which the parser lacks: the variables only apply to stmt, so the
// statement routes like stmt itself.
func (m Mode) setStatementFor(text string) *Facts {
	forAt := setStatementForOffset(text, m.noBackslash)
	if forAt < 0 {
		return nil
	}
	f, err := m.Classify(text[forAt:])
	if err != nil {
		return nil
	}
	f.Text, f.Digest, f.Hint = text, digest(text), extractHint(text)
	return f
}

// SetStatementFor is MariaDB's SET STATEMENT assignments FOR stmt, as
// Strata writes it (SplitSetStatement reads it back).
func SetStatementFor(assignments, stmt string) string {
	return "SET STATEMENT " + assignments + " FOR " + stmt
}

// StartsSetStatement reports whether text begins (after comments) with
// SET STATEMENT: another SET STATEMENT cannot be put before it.
func StartsSetStatement(text string) bool {
	sc := newScanner(text)
	return sc.isWord(sc.nextCode(), "SET") && sc.isWord(sc.nextCode(), "STATEMENT")
}

// SplitSetStatement splits MariaDB's SET STATEMENT var=value[, ...] FOR
// stmt into its assignments ("max_statement_time = 10") and stmt; ok is
// false for any other text.
func (m Mode) SplitSetStatement(text string) (assignments, stmt string, ok bool) {
	sc := newScanner(text)
	sc.noBackslash = m.noBackslash
	if !sc.isWord(sc.nextCode(), "SET") {
		return "", "", false
	}
	st := sc.nextCode()
	if !sc.isWord(st, "STATEMENT") {
		return "", "", false
	}
	fors := sc.topLevelWords("FOR", true)
	if len(fors) == 0 {
		return "", "", false
	}
	return strings.TrimSpace(text[st.end:fors[0].start]), strings.TrimSpace(text[fors[0].end:]), true
}

// setStatementForOffset returns the offset just after the FOR of
// SET STATEMENT ... FOR, or -1.
func setStatementForOffset(text string, noBackslash bool) int {
	sc := newScanner(text)
	sc.noBackslash = noBackslash
	if !sc.isWord(sc.nextCode(), "SET") || !sc.isWord(sc.nextCode(), "STATEMENT") {
		return -1
	}
	if fors := sc.topLevelWords("FOR", true); len(fors) > 0 {
		return fors[0].end
	}
	return -1
}
