// Package sqlparse turns SQL text into statement facts: what kind of
// statement it is, which tables it reads and writes, and which session or
// transaction state it touches. The router decides from these facts where a
// statement runs (replica or primary, pinned session or not, later which
// shard).
//
// It is the only package in Strata that imports the SQL parser
// (github.com/pingcap/tidb/pkg/parser); everything else sees Facts. That
// keeps the parser swappable and keeps its quirks (grammar gaps, charset
// checks, non-thread-safe parser objects) in one place.
//
// Two entry points matter to the router:
//
//   - Parse / Classify are strict: a statement the parser rejects comes back
//     as a *SyntaxError.
//   - ParseOrFallback never refuses a statement: what the parser rejects is
//     classified by ClassifyFallback from its leading keywords, always
//     conservatively (ReadOnly=false, so it runs on the primary). The
//     TiDB grammar does not know every MySQL/MariaDB statement (BEGIN WORK,
//     SELECT ... INTO @var, XA, SET STATEMENT ... FOR, RETURNING, ...), and
//     Strata must not refuse a statement the backend would accept: the
//     backend is the authority on syntax, so the caller forwards such
//     statements to the primary and lets it answer.
//
// The work per statement is one parse (parser objects are pooled: the
// TiDB parser is not goroutine-safe), one AST walk (walker, the single
// visitor that later sharding work extends with shard-key predicates and
// table renames), a look at the top node (classify), a comment scan for
// strata: hints and the parser's digest normalization.
package sqlparse
