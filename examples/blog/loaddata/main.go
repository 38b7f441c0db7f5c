// Command loaddata fills the blog example with deterministic sample data:
// users, their profiles, entries and comments, in multi-row INSERTs.
//
//	go run ./examples/blog/loaddata -addr 127.0.0.1:13306 -user root -schema examples/blog/schema.sql
//	go run ./examples/blog/loaddata -addr 127.0.0.1:6033 -user app -password app   # through Strata
//
// It does nothing when blog.users already has rows (use -reset to reload),
// so it is safe to run twice. The same flags always produce the same rows.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
)

type options struct {
	addr, user, password, schema string
	users, entries, comments     int
	batch                        int
	seed                         uint64
	reset                        bool
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:13306", "server (or Strata) host:port")
	flag.StringVar(&o.user, "user", "root", "user")
	flag.StringVar(&o.password, "password", "", "password")
	flag.StringVar(&o.schema, "schema", "", "SQL file to run first (e.g. examples/blog/schema.sql)")
	flag.IntVar(&o.users, "users", 1000, "users (each with a profile)")
	flag.IntVar(&o.entries, "entries", 5000, "blog entries")
	flag.IntVar(&o.comments, "comments", 50000, "comments")
	flag.IntVar(&o.batch, "batch", 500, "rows per INSERT")
	flag.Uint64Var(&o.seed, "seed", 42, "pseudo-random seed")
	flag.BoolVar(&o.reset, "reset", false, "empty the tables first and load again")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "loaddata:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	db, err := connect(ctx, o)
	if err != nil {
		return err
	}
	defer db.Close()
	if empty, err := prepareSchema(ctx, db, o); err != nil || !empty {
		return err
	}
	start := time.Now()
	l := &loader{o: o, g: newGenerator(o.seed), ins: &inserter{db: db, batch: o.batch}}
	for _, step := range []func(context.Context) error{l.users, l.profiles, l.entries, l.comments} {
		if err := step(ctx); err != nil {
			return err
		}
		if err := l.ins.flush(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("loaded %d users, %d profiles, %d entries, %d comments into %s in %s\n",
		o.users, o.users, o.entries, o.comments, o.addr, time.Since(start).Round(time.Millisecond))
	return nil
}

// connect opens one connection to the server (or Strata) at o.addr.
func connect(ctx context.Context, o options) (*sql.DB, error) {
	c := mysql.NewConfig()
	c.User, c.Passwd = o.user, o.password
	c.Net, c.Addr = "tcp", o.addr
	c.Timeout = 5 * time.Second
	connector, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to %s as %s: %w", o.addr, o.user, err)
	}
	return db, nil
}

// prepareSchema loads the schema and empties the tables when asked, and
// reports whether the blog is empty (a blog with users is left alone, so
// a second run does nothing).
func prepareSchema(ctx context.Context, db *sql.DB, o options) (bool, error) {
	if o.schema != "" {
		text, err := os.ReadFile(o.schema)
		if err != nil {
			return false, err
		}
		for _, stmt := range splitStatements(string(text)) {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return false, fmt.Errorf("%s: %w\n%s", o.schema, err, stmt)
			}
		}
	}
	if o.reset {
		for _, t := range []string{"comments", "entries", "profiles", "users"} {
			if _, err := db.ExecContext(ctx, "TRUNCATE TABLE blog."+t); err != nil {
				return false, err
			}
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM blog.users").Scan(&n); err != nil {
		return false, fmt.Errorf("counting users (did you load the schema? use -schema): %w", err)
	}
	if n > 0 {
		fmt.Printf("blog already has %d users: nothing to do (use -reset to reload)\n", n)
		return false, nil
	}
	return true, nil
}

// loader makes the blog's rows table by table; each table's rows refer
// to the rows (and dates) of the tables made before it.
type loader struct {
	o            options
	g            *generator
	ins          *inserter
	userCreated  []time.Time // by user id
	entryCreated []time.Time // by entry id
}

var (
	loadBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	loadSpan = 365 * 24 * time.Hour
)

func (l *loader) users(ctx context.Context) error {
	l.userCreated = make([]time.Time, l.o.users+1)
	for i := 1; i <= l.o.users; i++ {
		name := fmt.Sprintf("%s%d", l.g.pick(firstNames), i)
		l.userCreated[i] = loadBase.Add(time.Duration(l.g.r.Int64N(int64(loadSpan / 4))))
		if err := l.ins.add(ctx, "blog.users", "id, name, email, created_at",
			i, name, strings.ToLower(name)+"@example.com", l.userCreated[i]); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) profiles(ctx context.Context) error {
	for i := 1; i <= l.o.users; i++ {
		first := l.g.pick(firstNames)
		if err := l.ins.add(ctx, "blog.profiles", "user_id, display_name, bio, location, website, updated_at",
			i, capitalize(first)+" "+l.g.pick(lastNames), l.g.sentences(1, 3), l.g.pick(cities),
			fmt.Sprintf("https://%s.example.org/", strings.ToLower(first)), l.userCreated[i]); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) entries(ctx context.Context) error {
	l.entryCreated = make([]time.Time, l.o.entries+1)
	for i := 1; i <= l.o.entries; i++ {
		uid := 1 + l.g.r.IntN(l.o.users)
		created := l.userCreated[uid].Add(time.Duration(l.g.r.Int64N(int64(loadSpan / 2))))
		l.entryCreated[i] = created
		status := "published"
		if l.g.r.IntN(10) == 0 {
			status = "draft"
		}
		if err := l.ins.add(ctx, "blog.entries", "id, user_id, title, body, status, created_at, updated_at",
			i, uid, l.g.title(), l.g.paragraphs(2, 4), status, created, created); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) comments(ctx context.Context) error {
	for i := 1; i <= l.o.comments; i++ {
		eid := 1 + l.g.r.IntN(l.o.entries)
		created := l.entryCreated[eid].Add(time.Duration(l.g.r.Int64N(int64(30 * 24 * time.Hour))))
		if err := l.ins.add(ctx, "blog.comments", "id, entry_id, user_id, body, created_at",
			i, eid, 1+l.g.r.IntN(l.o.users), l.g.sentences(1, 3), created); err != nil {
			return err
		}
	}
	return nil
}

// splitStatements cuts an SQL file into statements at semicolons that end a
// line, dropping "--" comment lines. Enough for schema.sql, not a parser.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}

// inserter builds multi-row INSERTs as plain text (no prepared statements,
// so it works through any proxy) and sends one per batch.
type inserter struct {
	db    *sql.DB
	batch int
	table string
	cols  string
	rows  int
	buf   strings.Builder
}

func (in *inserter) add(ctx context.Context, table, cols string, vals ...any) error {
	if in.rows > 0 && (table != in.table || in.rows >= in.batch) {
		if err := in.flush(ctx); err != nil {
			return err
		}
	}
	if in.rows == 0 {
		in.table, in.cols = table, cols
		fmt.Fprintf(&in.buf, "INSERT INTO %s (%s) VALUES ", table, cols)
	} else {
		in.buf.WriteByte(',')
	}
	in.buf.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			in.buf.WriteByte(',')
		}
		in.buf.WriteString(literal(v))
	}
	in.buf.WriteByte(')')
	in.rows++
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	if in.rows == 0 {
		return nil
	}
	q := in.buf.String()
	in.buf.Reset()
	in.rows = 0
	if _, err := in.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("inserting into %s: %w", in.table, err)
	}
	return nil
}

// literal renders a Go value as an SQL literal.
func literal(v any) string {
	switch x := v.(type) {
	case int:
		return fmt.Sprint(x)
	case time.Time:
		return "'" + x.Format("2006-01-02 15:04:05") + "'"
	case string:
		r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
		return "'" + r.Replace(x) + "'"
	default:
		panic(fmt.Sprintf("literal: unsupported %T", v))
	}
}

// generator makes deterministic text.
type generator struct{ r *rand.Rand }

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *generator) words(min, max int) []string {
	n := min + g.r.IntN(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.pick(words)
	}
	return out
}

func (g *generator) title() string {
	w := g.words(3, 8)
	w[0] = capitalize(w[0])
	return strings.Join(w, " ")
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

func (g *generator) sentences(min, max int) string {
	n := min + g.r.IntN(max-min+1)
	s := make([]string, n)
	for i := range s {
		s[i] = g.title() + "."
	}
	return strings.Join(s, " ")
}

func (g *generator) paragraphs(min, max int) string {
	n := min + g.r.IntN(max-min+1)
	p := make([]string, n)
	for i := range p {
		p[i] = g.sentences(2, 5)
	}
	return strings.Join(p, "\n\n")
}

var (
	firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
		"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki", "zoe", "amir", "chen", "ines"}
	lastNames = []string{"Smith", "Garcia", "Müller", "Rossi", "Dubois", "Tanaka", "Kowalski", "Silva", "O'Brien", "Nguyen", "Ivanova", "Jensen"}
	cities    = []string{"Lisbon", "Berlin", "Kyoto", "Montréal", "São Paulo", "Oslo", "Nairobi", "Austin", "Melbourne", "Zürich"}
	words     = strings.Fields(`the a replica primary query cache latency proxy shard pool connection table index
		read write lag binlog server client scale row column schema backup failover weekend coffee garden
		bicycle mountain river recipe bread tomato guitar novel winter summer morning evening city train
		quiet bright slow fast simple careful honest strange little big old new first last every other
		thinks writes reads builds tries finds loves fixes breaks measures compares explains 🚀 café naïve`)
)
