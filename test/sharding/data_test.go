package sharding

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/strata-proxy/strata/shard"
)

// The data set: every table's columns, DDL and rows, generated from a fixed
// seed so every run (and every failure report) sees the same rows.

// dataSeed fixes the rows; the query generator has its own seed.
const dataSeed = 20240601

type colKind int

const (
	kInt colKind = iota
	kDec
	kText
	kDate
	kDatetime
)

func (k colKind) numeric() bool { return k == kInt || k == kDec }

// colDef is one column. For join views expr is qualified (e.title) and
// alias renames it when the bare name would be ambiguous.
type colDef struct {
	name     string
	kind     colKind
	nullable bool
	// variants: text whose values include strings equal under
	// utf8mb4_general_ci but different as bytes ('Émile', 'emile'): a
	// group/DISTINCT/MIN/MAX of it may show any of them.
	variants bool
	// lowCard: few distinct values, a good GROUP BY column.
	lowCard bool

	expr, alias string
	// src/srcCol: where values for predicates are sampled.
	src    *tableDef
	srcCol int
}

// ref is how a select list names the column: "e.id AS eid" / "title".
func (c *colDef) selectItem() string {
	if c.alias != "" {
		return c.expr + " AS " + c.alias
	}
	return c.expr
}

// orderRef is how ORDER BY names the column.
func (c *colDef) orderRef() string {
	if c.alias != "" {
		return c.alias
	}
	return c.expr
}

// tableDef is one logical table (or, for the generator, a join view).
type tableDef struct {
	name    string
	cols    []*colDef
	pk      int // index of the unique column
	key     int // index of the shard key, -1 when not sharded
	ddl     string
	cluster string // unsharded: the cluster holding it
	// shards the table lives on (sharded and reference tables).
	shards      []string
	reference   bool
	scatterDeny bool
	method      shard.Method
	rows        [][]string // SQL literals, "NULL" for NULL

	// join views: the FROM clause
	from   string
	isView bool
	weight int
}

func (t *tableDef) col(name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	panic("no column " + name + " in " + t.name)
}

func (t *tableDef) colNames() []string {
	out := make([]string, len(t.cols))
	for i, c := range t.cols {
		out[i] = c.name
	}
	return out
}

// insertStmts renders multi-row INSERTs of batch rows each into table.
func (t *tableDef) insertStmts(table string, rows [][]string, batch int) []string {
	var out []string
	head := "INSERT INTO " + table + " (" + strings.Join(t.colNames(), ", ") + ") VALUES "
	for i := 0; i < len(rows); i += batch {
		var b strings.Builder
		b.WriteString(head)
		for j, r := range rows[i:min(i+batch, len(rows))] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + strings.Join(r, ", ") + ")")
		}
		out = append(out, b.String())
	}
	return out
}

// sqlStr quotes a MariaDB string literal.
func sqlStr(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// unquote reverses sqlStr for values the generator produced.
func unquote(lit string) string {
	if len(lit) < 2 || lit[0] != '\'' {
		return lit
	}
	s := lit[1 : len(lit)-1]
	s = strings.ReplaceAll(s, "''", "'")
	return strings.ReplaceAll(s, `\\`, `\`)
}

// keyValue turns a literal of a shard-key column into a shard.Value.
func keyValue(kind colKind, lit string) shard.Value {
	switch kind {
	case kInt:
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			panic(err)
		}
		return shard.Int(n)
	case kDate, kDatetime:
		ts, err := time.ParseInLocation(time.DateTime, unquote(lit), time.UTC)
		if err != nil {
			ts, err = time.ParseInLocation(time.DateOnly, unquote(lit), time.UTC)
		}
		if err != nil {
			panic(err)
		}
		return shard.Time(ts)
	}
	return shard.String(unquote(lit))
}

// ownerOf is the shard holding a row of a sharded table.
func (t *tableDef) ownerOf(row []string) string {
	s, err := t.method.ShardForContext(context.Background(), keyValue(t.cols[t.key].kind, row[t.key]))
	if err != nil {
		panic(fmt.Sprintf("%s: owner of %v: %v", t.name, row, err))
	}
	return s
}

// ownerOfKey is the shard holding the rows whose shard key is the literal
// key.
func (t *tableDef) ownerOfKey(key string) string {
	row := make([]string, len(t.cols))
	row[t.key] = key
	return t.ownerOf(row)
}

// physical is the table a row of t lives in on its shard (posts_2025_03
// for the date table, t.name otherwise).
func (t *tableDef) physical(row []string) string {
	if p, ok := t.method.(shard.Periodic); ok {
		return p.PeriodTable(keyValue(t.cols[t.key].kind, row[t.key]))
	}
	return t.name
}

// --- value generators -------------------------------------------------

var baseNames = []string{"emile", "zoe", "anais", "noel", "bjorn", "jose", "francois", "chloe",
	"ines", "muller", "bob", "alice", "d'artagnan", "renee", "cafe", "ana"}

var accents = map[rune][]rune{
	'e': {'é', 'è', 'ê', 'ë'}, 'a': {'á', 'à', 'â', 'ä'}, 'o': {'ö', 'ô', 'ó'},
	'i': {'ï', 'í'}, 'u': {'ü', 'ú'}, 'c': {'ç'}, 'n': {'ñ'},
}

// variant spells a base name with random case and accents; the results are
// equal under utf8mb4_general_ci.
func variant(r *rand.Rand, s string) string {
	var b strings.Builder
	mode := r.IntN(4)
	for i, c := range s {
		if alts, ok := accents[c]; ok && r.IntN(3) == 0 {
			c = alts[r.IntN(len(alts))]
		}
		switch {
		case mode == 1 && i == 0, mode == 2:
			c = []rune(strings.ToUpper(string(c)))[0]
		case mode == 3 && r.IntN(2) == 0:
			c = []rune(strings.ToUpper(string(c)))[0]
		}
		b.WriteRune(c)
	}
	return b.String()
}

type gen struct{ r *rand.Rand }

func (g gen) maybeNull(pct int, lit string) string {
	if g.r.IntN(100) < pct {
		return "NULL"
	}
	return lit
}
func (g gen) intLit(lo, hi int) string { return strconv.Itoa(lo + g.r.IntN(hi-lo+1)) }

// decLit picks from a small set so sums and groups have ties.
func (g gen) decLit(vals ...string) string { return vals[g.r.IntN(len(vals))] }
func (g gen) name() string                 { return sqlStr(variant(g.r, baseNames[g.r.IntN(len(baseNames))])) }
func (g gen) title() string {
	return sqlStr(variant(g.r, baseNames[g.r.IntN(len(baseNames))]) + " " + variant(g.r, baseNames[g.r.IntN(len(baseNames))]))
}
func (g gen) pick(vals ...string) string { return vals[g.r.IntN(len(vals))] }

// dateIn is a DATE within [from, from+days).
func (g gen) date(from time.Time, days int) string {
	return sqlStr(from.AddDate(0, 0, g.r.IntN(days)).Format(time.DateOnly))
}

// datetime is a DATETIME within [from, from+days), on whole minutes half
// of the time so timestamps tie.
func (g gen) datetime(from time.Time, days int) string {
	t := from.AddDate(0, 0, g.r.IntN(days)).Add(time.Duration(g.r.IntN(24*60)) * time.Minute)
	if g.r.IntN(2) == 0 {
		t = t.Truncate(time.Hour)
	}
	return sqlStr(t.Format(time.DateTime))
}

// --- the data set -----------------------------------------------------

type dataSet struct {
	tables  map[string]*tableDef
	order   []string          // load order
	views   []*tableDef       // join views for the generator
	custOf  map[int64]string  // orders lookup: customer_id -> shard
	months  []time.Time       // the 24 data months, oldest first
	postsBy map[string]string // posts period table -> shard
}

var shardNames = []string{"s0", "s1", "s2", "s3"}

var hashRanges = map[string]string{"s0": "-40", "s1": "40-80", "s2": "80-c0", "s3": "c0-"}

type mapLookup map[int64]string

func (m mapLookup) Shard(_ context.Context, _ string, key shard.Value) (string, bool, error) {
	n, ok := key.Int64()
	if !ok {
		return "", false, fmt.Errorf("lookup key %v is not an integer", key)
	}
	s, found := m[n]
	return s, found, nil
}

func mustMethod(table string, c shard.Config) shard.Method {
	m, err := shard.New(table, c)
	if err != nil {
		panic(err)
	}
	return m
}

func newDataSet(t0 *topologyTimes) *dataSet {
	r := rand.New(rand.NewPCG(dataSeed, 7))
	g := gen{r}
	ds := &dataSet{tables: map[string]*tableDef{}, custOf: map[int64]string{}, postsBy: map[string]string{}}
	add := func(t *tableDef) *tableDef {
		for i, c := range t.cols {
			c.expr = c.name
			c.src, c.srcCol = t, i
		}
		ds.tables[t.name] = t
		ds.order = append(ds.order, t.name)
		if t.weight == 0 {
			t.weight = 10
		}
		return t
	}
	c := func(name string, kind colKind, nullable bool, flags ...string) *colDef {
		cd := &colDef{name: name, kind: kind, nullable: nullable}
		for _, f := range flags {
			switch f {
			case "variants":
				cd.variants = true
			case "low":
				cd.lowCard = true
			}
		}
		return cd
	}
	day0 := t0.since

	// countries (reference): unique names with accents, a few regions.
	countries := add(&tableDef{name: "countries", key: -1, reference: true, shards: shardNames, weight: 3,
		ddl:  "CREATE TABLE %s (code CHAR(2) NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL, region VARCHAR(20) NULL, population INT NULL)",
		cols: []*colDef{c("code", kText, false), c("name", kText, false), c("region", kText, true, "low"), c("population", kInt, true)}})
	countryNames := []string{"Åland", "Belgique", "Côte d'Ivoire", "Deutschland", "España", "France", "Ghana", "Hrvatska",
		"Island", "Japan", "Kenya", "Lëtzebuerg", "México", "Norge", "Österreich", "Perú", "Québec", "România",
		"Suomi", "Türkiye", "Uruguay", "Việt Nam", "Wales", "Yemen", "Zambia", "Italia", "Éire", "Brasil", "Chile", "Danmark"}
	var codes []string
	for i, n := range countryNames {
		code := fmt.Sprintf("%c%c", 'A'+i%26, 'A'+(i*7+3+i/26)%26)
		codes = append(codes, code)
		countries.rows = append(countries.rows, []string{sqlStr(code), sqlStr(n),
			g.maybeNull(10, g.pick("'Europe'", "'Africa'", "'Americas'", "'Asia'")), g.maybeNull(10, g.intLit(1, 90)+"000")})
	}

	// users and profiles: an unsharded cluster.
	users := add(&tableDef{name: "users", key: -1, cluster: "accounts", weight: 3,
		ddl:  "CREATE TABLE %s (id INT NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, email VARCHAR(100) NULL, karma INT NULL)",
		cols: []*colDef{c("id", kInt, false), c("name", kText, false, "variants"), c("email", kText, true), c("karma", kInt, true, "low")}})
	for i := 1; i <= 300; i++ {
		users.rows = append(users.rows, []string{strconv.Itoa(i), g.name(), g.maybeNull(20, sqlStr(fmt.Sprintf("u%d@example.org", i))), g.maybeNull(15, g.intLit(0, 9))})
	}
	profiles := add(&tableDef{name: "profiles", key: -1, cluster: "accounts", weight: 2,
		ddl:  "CREATE TABLE %s (user_id INT NOT NULL PRIMARY KEY, bio VARCHAR(100) NULL, city VARCHAR(40) NULL)",
		cols: []*colDef{c("user_id", kInt, false), c("bio", kText, true, "variants"), c("city", kText, true, "variants", "low")}})
	for i := 1; i <= 300; i += 1 + r.IntN(2) {
		profiles.rows = append(profiles.rows, []string{strconv.Itoa(i), g.maybeNull(30, g.title()), g.maybeNull(20, g.pick("'Paris'", "'paris'", "'Zürich'", "'zurich'", "'Oslo'"))})
	}

	// entries (hash on id, sequence) and entry_likes (co-sharded).
	entries := add(&tableDef{name: "entries", key: 0, shards: shardNames, weight: 14,
		method: mustMethod("entries", shard.Config{ShardKey: "id", Method: "hash", Ranges: hashRanges}),
		ddl:    "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, user_id INT NULL, title VARCHAR(100) NULL, score INT NULL, rating DECIMAL(6,2) NULL, published DATE NULL, status VARCHAR(10) NOT NULL)",
		cols: []*colDef{c("id", kInt, false), c("user_id", kInt, true), c("title", kText, true, "variants"), c("score", kInt, true),
			c("rating", kDec, true), c("published", kDate, true), c("status", kText, false, "low")}})
	var entryIDs []int64
	id := int64(1_000_000_000)
	for i := 0; i < 1200; i++ {
		id += 1 + int64(r.IntN(5))
		entryIDs = append(entryIDs, id)
		entries.rows = append(entries.rows, []string{strconv.FormatInt(id, 10), g.maybeNull(10, g.intLit(1, 60)), g.maybeNull(10, g.title()),
			g.maybeNull(15, g.intLit(-5, 40)), g.maybeNull(20, g.decLit("1.50", "2.25", "3.00", "3.75", "4.99", "0.10", "-1.00")),
			g.maybeNull(15, g.date(day0, 700)), g.pick("'draft'", "'live'", "'live'", "'hidden'")})
	}
	likes := add(&tableDef{name: "entry_likes", key: 1, shards: shardNames, weight: 10,
		method: mustMethod("entry_likes", shard.Config{ShardKey: "entry_id", Method: "hash", Ranges: hashRanges}),
		ddl:    "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, entry_id BIGINT NOT NULL, user_id INT NULL, weight INT NULL, liked_at DATETIME NULL, KEY (entry_id))",
		cols: []*colDef{c("id", kInt, false), c("entry_id", kInt, false), c("user_id", kInt, true, "low"), c("weight", kInt, true, "low"),
			c("liked_at", kDatetime, true)}})
	for i := 1; i <= 2500; i++ {
		e := entryIDs[r.IntN(len(entryIDs)/2)*(1+r.IntN(2))%len(entryIDs)] // some entries get many likes
		likes.rows = append(likes.rows, []string{strconv.Itoa(i), strconv.FormatInt(e, 10), g.maybeNull(10, g.intLit(1, 30)),
			g.maybeNull(10, g.intLit(1, 5)), g.maybeNull(10, g.datetime(day0, 700))})
	}

	// comments: modulo on entry_id (no index on it: a keyed read scans its shard's table).
	comments := add(&tableDef{name: "comments", key: 1, shards: shardNames, weight: 12,
		method: mustMethod("comments", shard.Config{ShardKey: "entry_id", Method: "modulo", Shards: shardNames}),
		ddl:    "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, entry_id BIGINT NOT NULL, author VARCHAR(50) NULL, body VARCHAR(200) NOT NULL, votes INT NULL, created DATETIME NULL)",
		cols: []*colDef{c("id", kInt, false), c("entry_id", kInt, false), c("author", kText, true, "variants", "low"), c("body", kText, false, "variants"),
			c("votes", kInt, true, "low"), c("created", kDatetime, true)}})
	for i := 1; i <= 2000; i++ {
		comments.rows = append(comments.rows, []string{strconv.Itoa(i * 3), g.intLit(1, 400), g.maybeNull(15, g.name()), g.title(),
			g.maybeNull(20, g.intLit(-3, 12)), g.maybeNull(10, g.datetime(day0, 700))})
	}

	// events: range on id.
	events := add(&tableDef{name: "events", key: 0, shards: shardNames, weight: 10,
		method: mustMethod("events", shard.Config{ShardKey: "id", Method: "range",
			Ranges: map[string]string{"s0": "..1000", "s1": "1000..2000", "s2": "2000..3000", "s3": "3000.."}}),
		ddl: "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, kind VARCHAR(20) NULL, amount DECIMAL(10,2) NULL, qty INT NULL, happened DATE NULL)",
		cols: []*colDef{c("id", kInt, false), c("kind", kText, true, "low", "variants"), c("amount", kDec, true), c("qty", kInt, true, "low"),
			c("happened", kDate, true)}})
	for _, eid := range r.Perm(4200)[:1500] {
		events.rows = append(events.rows, []string{strconv.Itoa(eid + 1), g.maybeNull(10, g.pick("'click'", "'view'", "'buy'", "'Buy'")),
			g.maybeNull(15, g.decLit("0.00", "9.99", "10.00", "-2.50", "120.40", "33.33")), g.maybeNull(10, g.intLit(0, 6)),
			g.maybeNull(10, g.date(day0, 700))})
	}
	slices.SortFunc(events.rows, func(a, b []string) int { x, _ := strconv.Atoi(a[0]); y, _ := strconv.Atoi(b[0]); return x - y })

	// posts: date sharded, one table per month.
	posts := add(&tableDef{name: "posts", key: 1, shards: shardNames, weight: 12,
		method: t0.postsMethod(),
		ddl:    "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, created_at DATETIME NOT NULL, author VARCHAR(50) NULL, title VARCHAR(100) NOT NULL, views INT NULL, KEY (created_at))",
		cols: []*colDef{c("id", kInt, false), c("created_at", kDatetime, false), c("author", kText, true, "variants", "low"),
			c("title", kText, false, "variants"), c("views", kInt, true)}})
	ds.months = t0.months
	perm := r.Perm(len(t0.months) * 40)
	for mi, m := range t0.months {
		days := m.AddDate(0, 1, 0).Sub(m).Hours() / 24
		for j := 0; j < 40; j++ {
			posts.rows = append(posts.rows, []string{strconv.Itoa(perm[mi*40+j] + 1), g.datetime(m, int(days)),
				g.maybeNull(15, g.name()), g.title(), g.maybeNull(15, g.intLit(0, 50))})
		}
	}
	for _, dt := range t0.postsTables() {
		ds.postsBy[dt.Table] = dt.Shard
	}

	// members: key_range on username (lower-case ASCII: binary order is
	// the collation's order).
	members := add(&tableDef{name: "members", key: 0, shards: shardNames, weight: 10,
		method: mustMethod("members", shard.Config{ShardKey: "username", Method: "key_range",
			Ranges: map[string]string{"s0": "..g", "s1": "g..n", "s2": "n..t", "s3": "t.."}}),
		ddl: "CREATE TABLE %s (username VARCHAR(50) NOT NULL PRIMARY KEY, country CHAR(2) NULL, age INT NULL, karma INT NULL, joined DATE NULL, nick VARCHAR(50) NULL)",
		cols: []*colDef{c("username", kText, false), c("country", kText, true, "low"), c("age", kInt, true), c("karma", kInt, true, "low"),
			c("joined", kDate, true), c("nick", kText, true, "variants")}})
	seen := map[string]bool{}
	for len(members.rows) < 600 {
		n := strings.ReplaceAll(strings.ReplaceAll(baseNames[r.IntN(len(baseNames))], "'", ""), " ", "")
		u := string(rune('a'+r.IntN(26))) + n[:1+r.IntN(len(n)-1)] + strconv.Itoa(r.IntN(100))
		if seen[u] {
			continue
		}
		seen[u] = true
		country := sqlStr(codes[r.IntN(len(codes))])
		if r.IntN(10) == 0 {
			country = g.pick("NULL", "'QQ'") // no such country: drops out of the join
		}
		members.rows = append(members.rows, []string{sqlStr(u), country, g.maybeNull(10, g.intLit(16, 70)), g.maybeNull(10, g.intLit(0, 5)),
			g.maybeNull(10, g.date(day0, 700)), g.maybeNull(20, g.name())})
	}

	// orders: lookup on customer_id through main's order_customer.
	for cust := int64(1); cust <= 300; cust++ {
		ds.custOf[cust] = shardNames[r.IntN(4)]
	}
	orders := add(&tableDef{name: "orders", key: 1, shards: shardNames, weight: 10,
		method: mustMethod("orders", shard.Config{ShardKey: "customer_id", Method: "lookup", LookupTable: "order_customer",
			Lookup: mapLookup(ds.custOf), Shards: shardNames}),
		ddl: "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, customer_id BIGINT NOT NULL, total DECIMAL(10,2) NULL, items INT NULL, status VARCHAR(10) NULL, ordered DATE NULL)",
		cols: []*colDef{c("id", kInt, false), c("customer_id", kInt, false), c("total", kDec, true), c("items", kInt, true, "low"),
			c("status", kText, true, "low"), c("ordered", kDate, true)}})
	for i := 1; i <= 1500; i++ {
		orders.rows = append(orders.rows, []string{strconv.Itoa(10000 + i), g.intLit(1, 300), g.maybeNull(10, g.decLit("5.00", "19.99", "100.00", "0.01", "42.42")),
			g.maybeNull(10, g.intLit(1, 8)), g.maybeNull(10, g.pick("'new'", "'paid'", "'shipped'")), g.maybeNull(10, g.date(day0, 700))})
	}

	// audit: modulo, scatter: deny (queried by key only).
	audit := add(&tableDef{name: "audit", key: 0, shards: shardNames, scatterDeny: true, weight: 4,
		method: mustMethod("audit", shard.Config{ShardKey: "id", Method: "modulo", Shards: shardNames}),
		ddl:    "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, actor VARCHAR(30) NOT NULL, action VARCHAR(20) NULL, at DATETIME NULL)",
		cols:   []*colDef{c("id", kInt, false), c("actor", kText, false, "variants"), c("action", kText, true, "low"), c("at", kDatetime, true)}})
	for i := 1; i <= 500; i++ {
		audit.rows = append(audit.rows, []string{strconv.Itoa(i), g.name(), g.maybeNull(10, g.pick("'login'", "'logout'", "'edit'")), g.maybeNull(10, g.datetime(day0, 700))})
	}

	ds.views = []*tableDef{
		joinView("entries_likes", "entries e JOIN entry_likes l ON e.id = l.entry_id", entries, "e", likes, "l", "lid", 12),
		joinView("members_countries", "members m JOIN countries c ON m.country = c.code", members, "m", countries, "c", "username", 8),
		// Sharded apart (likes by entry_id, events by id): Strata reads
		// both tables' usable rows and joins them on one server.
		joinView("likes_events", "entry_likes l LEFT JOIN events ev ON ev.id = l.user_id", likes, "l", events, "ev", "lid", 6),
		// The same, joined with USING (read as its ON, merged by the server).
		joinView("likes_events_using", "entry_likes l LEFT JOIN events ev USING (id)", likes, "l", events, "ev", "lid", 3),
	}
	return ds
}

// joinView describes "a JOIN b" as a table for the generator: every column
// of both sides qualified, ids renamed; the view's unique column is
// uniqueAlias (b's primary key or a's).
func joinView(name, from string, a *tableDef, aa string, b *tableDef, ba string, unique string, weight int) *tableDef {
	v := &tableDef{name: name, from: from, isView: true, key: -1, pk: -1, weight: weight}
	seen := map[string]bool{}
	for _, side := range []struct {
		t     *tableDef
		alias string
	}{{a, aa}, {b, ba}} {
		for i, c := range side.t.cols {
			nc := *c
			nc.expr = side.alias + "." + c.name
			nc.src, nc.srcCol = side.t, i
			out := c.name
			if seen[out] || c.name == "id" {
				out = side.alias + c.name
				nc.alias = out
			}
			seen[out] = true
			nc.name = out
			if out == unique {
				v.pk = len(v.cols)
			}
			if side.t == a && i == a.key {
				v.key = len(v.cols)
			}
			v.cols = append(v.cols, &nc)
		}
	}
	if v.pk < 0 {
		panic("join view " + name + ": no column " + unique)
	}
	return v
}
