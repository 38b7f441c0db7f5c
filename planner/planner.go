// Package planner decides where a statement runs: from the statement's facts
// (sqlparse), the session's state and the current topology snapshot to a
// Decision — the primary of a cluster, or a named replica pool.
package planner

import (
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/wire"
)

// Request is what the planner knows about one statement.
type Request struct {
	Facts      *sqlparse.Facts
	User       string
	Schema     string
	ClientAddr string
	// PrimaryOnly is set by the session when its state forces the primary:
	// an open transaction, autocommit off, a pinned connection.
	PrimaryOnly bool
	// Cluster names the cluster the statement's tables live on ("" for
	// the default cluster): a table group's or a shard's.
	Cluster string
	// Explain marks a question (EXPLAIN STRATA, GET /api/explain), not a
	// statement to run: it does not count as a hit of the rule it matches.
	Explain bool
}

// Decision is where a statement goes.
type Decision struct {
	Cluster *topology.Cluster
	// ClusterName is the cluster asked for, kept when it does not exist.
	ClusterName string
	Primary     bool
	Pool        string
	// Reason says why, for EXPLAIN, logs and metrics labels.
	Reason string
	// Rule is the index of the routing rule that matched, or -1.
	Rule  int
	Cache time.Duration
	// Timeout bounds the statement's run time on the server (0: none).
	Timeout time.Duration
	// Gate, when set, bounds how many of the rule's statements run at
	// once (max_running): the statement enters it before it runs.
	Gate *Gate
}

// Route returns the decision for one statement.
func (p *Planner) Route(snap *topology.Snapshot, r *Request) Decision {
	cl := snap.Default()
	if r.Cluster != "" {
		cl = snap.Cluster(r.Cluster)
	}
	if cl == nil {
		return Decision{ClusterName: r.Cluster, Reason: "no such cluster", Rule: -1}
	}
	f := r.Facts
	switch {
	case r.PrimaryOnly:
		return Decision{Cluster: cl, Primary: true, Reason: "session state", Rule: -1}
	case f.Hint.Primary:
		return Decision{Cluster: cl, Primary: true, Reason: "hint", Rule: -1}
	case f.ReadsReadOnly:
		return Decision{Cluster: cl, Primary: true, Reason: "read_only: the primary's", Rule: -1}
	case f.ReadsBinlog:
		return Decision{Cluster: cl, Primary: true, Reason: "binary log position: the primary's", Rule: -1}
	case !f.ReadOnly:
		return Decision{Cluster: cl, Primary: true, Reason: "write", Rule: -1}
	}
	if i, rule := p.match(r); rule != nil {
		rule.hit(r)
		return Decision{Cluster: cl, Pool: rule.Pool, Reason: "rule", Rule: i, Cache: rule.Cache.D(), Timeout: rule.Timeout.D(), Gate: rule.gate}
	}
	return Decision{Cluster: cl, Pool: cl.DefaultPool, Reason: "read", Rule: -1}
}

// Planner holds compiled routing rules and the statement facts cache. The
// rules can be replaced at run time (config reload) without a lock on the
// hot path: each statement reads the current set once.
type Planner struct {
	rules atomic.Pointer[ruleSet]
	facts factsCache
}

// ruleSet is one compiled generation of the routing rules.
type ruleSet struct {
	rules []compiledRule
	// refusals is set when any rule refuses: without one, Refusal costs a
	// statement one atomic load; rewrites likewise for Rewrite.
	refusals bool
	rewrites bool
	loaded   time.Time // when these rules took effect; their hits count from here
}

type compiledRule struct {
	config.Rule
	pattern *regexp.Regexp
	rewrite *regexp.Regexp // rewrite.from
	network *net.IPNet
	tables  map[string]bool
	// hits counts the statements the rule decided, so an operator sees
	// whether a rule matches what it was written for (GET /api/rules).
	hits atomic.Uint64
	gate *Gate // max_running; nil without
}

func (cr *compiledRule) hit(r *Request) {
	if !r.Explain {
		cr.hits.Add(1)
	}
}

// RuleStats is one routing rule as configured, with the statements it
// decided since the rules were loaded.
type RuleStats struct {
	Index int
	Rule  config.Rule
	Hits  uint64
	// Running is how many of its statements run now (max_running rules).
	Running int
}

// Rules returns the routing rules in order with their hits, and since when
// those are counted (start, or the reload that changed the rules).
func (p *Planner) Rules() (time.Time, []RuleStats) {
	set := p.rules.Load()
	out := make([]RuleStats, len(set.rules))
	for i := range set.rules {
		out[i] = RuleStats{Index: i, Rule: set.rules[i].Rule, Hits: set.rules[i].hits.Load()}
		if g := set.rules[i].gate; g != nil {
			out[i].Running = g.Running()
		}
	}
	return set.loaded, out
}

// New compiles the config's routing rules (already validated).
func New(rules []config.Rule) *Planner {
	p := &Planner{}
	p.SetRules(rules)
	return p
}

// SetRules replaces the routing rules; statements already routed keep the
// decision they got.
func (p *Planner) SetRules(rules []config.Rule) {
	set := &ruleSet{rules: make([]compiledRule, len(rules)), loaded: time.Now()}
	for i, r := range rules {
		cr := &set.rules[i]
		cr.Rule = r
		if r.MaxRunning > 0 {
			cr.gate = newGate(r.MaxRunning)
		}
		if r.Match.Pattern != "" {
			cr.pattern = regexp.MustCompile(r.Match.Pattern)
		}
		if r.Rewrite != nil {
			cr.rewrite = regexp.MustCompile(r.Rewrite.From)
		}
		if c := r.Match.Client; c != "" {
			if !strings.Contains(c, "/") {
				c += "/32"
			}
			_, cr.network, _ = net.ParseCIDR(c)
		}
		if len(r.Match.Tables) > 0 {
			cr.tables = map[string]bool{}
			for _, t := range r.Match.Tables {
				cr.tables[strings.ToLower(t)] = true
			}
		}
		set.refusals = set.refusals || r.Refuse != ""
		set.rewrites = set.rewrites || r.Rewrite != nil
	}
	p.rules.Store(set)
}

// match returns the first routing (not refusing, not rewriting) rule
// that matches r.
func (p *Planner) match(r *Request) (int, *compiledRule) {
	rules := p.rules.Load().rules
	for i := range rules {
		if rules[i].Refuse == "" && rules[i].Rewrite == nil && rules[i].matches(r) {
			return i, &rules[i]
		}
	}
	return -1, nil
}

// Refusal returns the first refuse rule that matches r — its index in the
// routing list and its message — or -1. It applies to every statement,
// writes and statements in transactions included, so the session asks it
// before any routing.
func (p *Planner) Refusal(r *Request) (int, string) {
	set := p.rules.Load()
	if !set.refusals {
		return -1, ""
	}
	for i := range set.rules {
		if cr := &set.rules[i]; cr.Refuse != "" && cr.matches(r) {
			cr.hit(r)
			return i, cr.Refuse
		}
	}
	return -1, ""
}

// Rewrite returns the text of the statement sql after the first rewrite
// rule that matches r and changes sql — the rule's index and the new
// text — or -1 and sql. The session asks it before anything else, so the
// new text meets every other rule as if the client had sent it.
func (p *Planner) Rewrite(r *Request, sql string) (int, string) {
	set := p.rules.Load()
	if !set.rewrites {
		return -1, sql
	}
	for i := range set.rules {
		cr := &set.rules[i]
		if cr.rewrite == nil || !cr.matches(r) || !cr.rewrite.MatchString(sql) {
			continue
		}
		if text := cr.rewrite.ReplaceAllString(sql, cr.Rewrite.To); text != sql {
			cr.hit(r)
			return i, text
		}
	}
	return -1, sql
}

func (cr *compiledRule) matches(r *Request) bool {
	m := cr.Match
	f := r.Facts
	if m.User != "" && m.User != r.User {
		return false
	}
	if m.Schema != "" && !strings.EqualFold(m.Schema, r.Schema) {
		return false
	}
	if m.Hint != "" && f.Hint.Pool != m.Hint {
		return false
	}
	if m.Digest != "" && m.Digest != f.Digest {
		return false
	}
	if m.Writes && len(f.WriteTables) == 0 {
		return false
	}
	if cr.pattern != nil && !cr.pattern.MatchString(f.Digest) {
		return false
	}
	if cr.network != nil && !cr.network.Contains(clientIP(r.ClientAddr)) {
		return false
	}
	if cr.tables != nil && !readsAny(f, cr.tables) {
		return false
	}
	return true
}

func readsAny(f *sqlparse.Facts, tables map[string]bool) bool {
	for _, t := range f.Tables {
		if tables[t.Name] || (t.Schema != "" && tables[t.Schema+"."+t.Name]) {
			return true
		}
	}
	if f.Fallback {
		// The parser could not read it, so it lists no tables: any of its
		// words may be one, and a rule for that table takes it (a rule's
		// pool serves the same data as the others).
		for _, name := range f.Names {
			if tables[name] {
				return true
			}
		}
	}
	return false
}

func clientIP(addr string) net.IP {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	return net.ParseIP(host)
}

// maxCachedFacts bounds the facts cache, and maxCachedShapes its shapes;
// past its bound each starts over, which keeps the hot path free of LRU
// bookkeeping.
const (
	maxCachedFacts  = 10000
	maxCachedShapes = 10000
)

// maxCachedText is the longest statement text the facts cache keeps:
// longer ones (bulk INSERTs, mostly) are parsed each time, which costs
// little beside running them, rather than holding megabytes per entry.
const maxCachedText = 16 << 10

// factsCache maps statement text to parsed facts so repeated statements are
// parsed once, and statement shapes (texts with their literal values
// blanked, sqlparse.AppendShapeKey) to the parse of one text of the shape,
// so that a statement that only differs from an earlier one in its values
// is not parsed either.
type factsCache struct {
	m sync.Map
	n atomic.Int64
	// shapes holds, per shape key, a *shapeEntry that stands for every text
	// of the shape (sharesShape).
	shapes  sync.Map
	nShapes atomic.Int64
	keys    sync.Pool // *[]byte, the buffers shape keys are built in
	// replies holds one *wire.ReplyPoll per digest, so every text of a
	// statement shape shares what polling for its answers taught.
	replies  sync.Map
	nReplies atomic.Int64
	// Statements the cache did not hold, by how they got their facts
	// (ParseStats). Hits are not counted: that would be a shared write on
	// every statement.
	shaped, parsed atomic.Uint64
}

// ParseStats counts the statements whose text the facts cache did not
// hold, since the planner was made.
type ParseStats struct {
	// Shaped: an earlier text of the same shape (the same statement with
	// other values) gave its facts; no parse.
	Shaped uint64
	// Parsed: the SQL parser read the text.
	Parsed uint64
}

// ParseStats returns how statements the facts cache did not hold got
// their facts. Every other statement was a cache hit.
func (p *Planner) ParseStats() ParseStats {
	return ParseStats{Shaped: p.facts.shaped.Load(), Parsed: p.facts.parsed.Load()}
}

// Parsed is a statement's parse result: one Facts per statement of a
// multi-statement query, combined into Summary.
type Parsed struct {
	// SQL is the text that was parsed.
	SQL        string
	Statements []*sqlparse.Facts
	Summary    *sqlparse.Facts
	// Err is the parser's error when it could not parse the text; Summary is
	// then a conservative classification so the server can judge the text.
	Err error
	// Reply is the statement shape's record of busy polling for its
	// answers (wire.ReplyPoll), shared by every text with its digest.
	Reply *wire.ReplyPoll
}

// Parse returns the (cached) parse of sql.
func (p *Planner) Parse(sql string) *Parsed {
	if v, ok := p.facts.m.Load(sql); ok {
		return v.(*Parsed)
	}
	return p.parseUncached(sql, true)
}

// ParseBytes is Parse of a statement still in a packet buffer: a statement
// seen before costs no string copy, and its Parsed.SQL stands in for the
// text (which must not change during the call).
func (p *Planner) ParseBytes(sql []byte) *Parsed {
	// The lookup key only lives for the lookup: the map keeps no
	// reference to it, so it may alias the buffer.
	text := unsafe.String(unsafe.SliceData(sql), len(sql))
	if v, ok := p.facts.m.Load(text); ok {
		return v.(*Parsed)
	}
	return p.parseUncached(text, false)
}

// parseUncached parses a text the facts cache does not hold, unless an
// earlier text of its shape stands for it. owned says whether sql may be
// kept as it is; a text that aliases a packet buffer is copied first.
func (p *Planner) parseUncached(sql string, owned bool) *Parsed {
	if !owned {
		sql = strings.Clone(sql)
	}
	if len(sql) > maxCachedText {
		return p.parseNew(sqlparse.Mode{}, sql)
	}
	buf, _ := p.facts.keys.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	defer p.facts.keys.Put(buf)
	key, literals := sqlparse.AppendShapeKey((*buf)[:0], sql)
	*buf = key
	if literals {
		if v, ok := p.facts.shapes.Load(unsafe.String(unsafe.SliceData(key), len(key))); ok {
			shape := v.(*shapeEntry)
			parsed := shape.parsed.forText(sql, shape.sharedDigest)
			if parsed.Summary.Digest != shape.parsed.Summary.Digest {
				parsed.Reply = p.replyFor(parsed.Summary.Digest)
			}
			p.store(sql, parsed) // the same text again costs a lookup
			p.facts.shaped.Add(1)
			return parsed
		}
	}
	parsed := p.parseNew(sqlparse.Mode{}, sql)
	p.store(sql, parsed)
	if literals && sharesShape(parsed) {
		if p.facts.nShapes.Add(1) > maxCachedShapes {
			p.facts.shapes.Clear()
			p.facts.nShapes.Store(0)
		}
		p.facts.shapes.Store(string(key), &shapeEntry{parsed: parsed, sharedDigest: sqlparse.SharesDigest(key, parsed.Summary.Digest)})
	}
	return parsed
}

// shapeEntry is a statement shape's parse, which stands for every text of
// the shape, and whether its digest does too (sqlparse.SharesDigest): then
// a text of the shape costs no digest and no lookup of its reply record.
type shapeEntry struct {
	parsed       *Parsed
	sharedDigest bool
}

// store keeps the parse of sql in the facts cache.
func (p *Planner) store(sql string, parsed *Parsed) {
	if p.facts.n.Add(1) > maxCachedFacts {
		p.facts.m.Clear()
		p.facts.n.Store(0)
	}
	p.facts.m.Store(sql, parsed)
}

// replyFor returns the record of busy polling for the answers of the
// statements with this digest.
func (p *Planner) replyFor(digest string) *wire.ReplyPoll {
	if reply, ok := p.facts.replies.Load(digest); ok {
		return reply.(*wire.ReplyPoll)
	}
	if p.facts.nReplies.Add(1) > maxCachedFacts {
		p.facts.replies.Clear()
		p.facts.nReplies.Store(0)
	}
	reply, _ := p.facts.replies.LoadOrStore(digest, &wire.ReplyPoll{})
	return reply.(*wire.ReplyPoll)
}

// sharesShape reports whether parsed stands for every text of its shape:
// one statement whose facts do not depend on literal values
// (sqlparse.SharesShape), and whose Text is the text cleaned as forText
// cleans another's.
func sharesShape(parsed *Parsed) bool {
	return parsed.Err == nil && len(parsed.Statements) == 1 &&
		sqlparse.SharesShape(parsed.Summary) && parsed.Summary.Text == sqlparse.CleanText(parsed.SQL)
}

// shapedParse is a Parsed made from the parse of another text of the same
// shape, in one allocation.
type shapedParse struct {
	Parsed
	facts sqlparse.Facts
	stmts [1]*sqlparse.Facts
}

// forText returns the parse of sql, a text of the same shape as the one
// parsed: the same facts but for the text itself and, unless the shape
// shares it (sharedDigest, sqlparse.DigestOfShaped), its digest. The
// facts' slices are shared, as every cached parse's are: nobody writes to
// them.
func (parsed *Parsed) forText(sql string, sharedDigest bool) *Parsed {
	sp := &shapedParse{Parsed: *parsed, facts: *parsed.Summary}
	sp.facts.Text = sqlparse.CleanText(sql)
	if sharedDigest {
		sp.facts.Digest = sqlparse.DigestOfShaped(sp.facts.Text, parsed.Summary.Digest)
	} else {
		sp.facts.Digest = sqlparse.Digest(sp.facts.Text)
	}
	sp.stmts[0] = &sp.facts
	sp.SQL, sp.Statements, sp.Summary = sql, sp.stmts[:], &sp.facts
	return &sp.Parsed
}

// parseIn parses sql as sql_mode m reads it. It never refuses a
// statement: what the parser cannot read is classified conservatively
// (primary) and the server judges its syntax.
//
// A text too long for the caches (a bulk INSERT, mostly) keeps its
// parsed tree for the shard analysis (Sharding.Plan), which would
// otherwise parse it a second time.
func parseIn(m sqlparse.Mode, sql string) *Parsed {
	parse := m.ParseOrFallback
	if len(sql) > maxCachedText {
		parse = m.ParseKeepingTree
	}
	stmts, err := parse(sql)
	if len(stmts) == 0 {
		return &Parsed{SQL: sql, Summary: m.ClassifyFallback(sql), Err: err}
	}
	return &Parsed{SQL: sql, Statements: stmts, Summary: combine(stmts), Err: err}
}

// ParseMode parses sql as a session whose sql_mode is m reads it
// (sqlparse.Mode: with NO_BACKSLASH_ESCAPES, 'a\' ends a string where the
// default reading goes on). It is not cached: the caches hold the
// default reading, and such sessions are rare.
func (p *Planner) ParseMode(m sqlparse.Mode, sql string) *Parsed { return p.parseNew(m, sql) }

// parseNew runs the parser on sql as sql_mode m reads it, and counts it.
func (p *Planner) parseNew(m sqlparse.Mode, sql string) *Parsed {
	p.facts.parsed.Add(1)
	parsed := parseIn(m, sql)
	parsed.Reply = p.replyFor(parsed.Summary.Digest)
	return parsed
}

// combine merges the facts of a multi-statement query: it may use a replica
// only if every statement may.
func combine(stmts []*sqlparse.Facts) *sqlparse.Facts {
	if len(stmts) == 1 {
		return stmts[0]
	}
	sum := *stmts[0]
	sum.Tables, sum.WriteTables = nil, nil
	sum.SessionVars = nil
	for _, f := range stmts {
		sum.ReadOnly = sum.ReadOnly && f.ReadOnly
		sum.Locking = sum.Locking || f.Locking
		sum.Tables = append(sum.Tables, f.Tables...)
		sum.WriteTables = append(sum.WriteTables, f.WriteTables...)
		sum.SessionVars = append(sum.SessionVars, f.SessionVars...)
		sum.StartsTx = sum.StartsTx || f.StartsTx
		sum.SetsUserVars = sum.SetsUserVars || f.SetsUserVars
		sum.TempTable = sum.TempTable || f.TempTable
		sum.LockFunctions = sum.LockFunctions || f.LockFunctions
		sum.SessionFunctions = sum.SessionFunctions || f.SessionFunctions
		sum.CalcFoundRows = sum.CalcFoundRows || f.CalcFoundRows
		sum.Hint.Primary = sum.Hint.Primary || f.Hint.Primary
		sum.ReadsReadOnly = sum.ReadsReadOnly || f.ReadsReadOnly
		sum.ReadsBinlog = sum.ReadsBinlog || f.ReadsBinlog
		if f.Unread != sqlparse.ReadFully {
			sum.Unread = f.Unread
		}
		if f.Autocommit != nil {
			sum.Autocommit = f.Autocommit
		}
		if f.Hold != "" { // routing sees it; each statement's is learned on its own
			sum.Hold = f.Hold
		}
		if f.Kind == sqlparse.KindUse {
			sum.Schema = f.Schema
		}
	}
	sum.Kind = sqlparse.KindOther
	return &sum
}
