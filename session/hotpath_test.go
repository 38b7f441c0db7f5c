package session

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/querystats"
	"github.com/strata-proxy/strata/resultcache"
	"github.com/strata-proxy/strata/topology"
	"github.com/strata-proxy/strata/wire"
)

// The hot path of a plain autocommit read: COM_QUERY or COM_STMT_EXECUTE
// relayed to a replica. These tests and benchmarks run a session against
// fakeServer, an in-process stand-in for MariaDB that answers without
// allocating, so the allocations counted are Strata's own.

// fakeServer answers the MySQL protocol just enough for a session: login,
// SELECTs (one row), prepared statements (one parameter, one column), and
// OK for everything else.
type fakeServer struct {
	ln net.Listener
	// reads counts the SELECTs and EXECUTEs it answered, executes the
	// EXECUTEs alone.
	reads, executes atomic.Int64
}

func startFakeServer(tb testing.TB) *fakeServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	fs := &fakeServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go fs.serve(c)
		}
	}()
	tb.Cleanup(func() { ln.Close() })
	return fs
}

func (fs *fakeServer) Addr() string { return fs.ln.Addr().String() }

// fakeConn is one connection's framing; every buffer is reused.
type fakeConn struct {
	r   *bufio.Reader
	hdr [4]byte
	in  []byte
}

func (fc *fakeConn) read() ([]byte, error) {
	if _, err := io.ReadFull(fc.r, fc.hdr[:]); err != nil {
		return nil, err
	}
	n := int(fc.hdr[0]) | int(fc.hdr[1])<<8 | int(fc.hdr[2])<<16
	if cap(fc.in) < n {
		fc.in = make([]byte, n)
	}
	fc.in = fc.in[:n]
	_, err := io.ReadFull(fc.r, fc.in)
	return fc.in, err
}

// pkt appends one packet to out.
func pkt(out []byte, seq byte, payload ...byte) []byte {
	n := len(payload)
	out = append(out, byte(n), byte(n>>8), byte(n>>16), seq)
	return append(out, payload...)
}

func lenencStr(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

func colDef(name string, typ byte) []byte {
	var b []byte
	for _, s := range []string{"def", "sbtest", "sbtest1", "sbtest1", name, name} {
		b = lenencStr(b, s)
	}
	b = append(b, 0x0c, 45, 0, 0, 1, 0, 0, typ, 0, 0, 0, 0, 0)
	return b
}

// replies are the fixed answers of one flavor, sequence ids included.
type replies struct {
	ok, text, binary, prepare []byte
}

func makeReplies(deprecateEOF bool) replies {
	const status = wire.StatusAutocommit
	eof := wire.AppendEOF(nil, status, 0)
	end := eof
	if deprecateEOF {
		end = wire.AppendOK(nil, wire.HeaderEOF, 0, 0, status, 0)
	}
	col := colDef("c", 0xfd)
	resultSet := func(row []byte) []byte {
		out := pkt(nil, 1, 1)
		out = pkt(out, 2, col...)
		seq := byte(3)
		if !deprecateEOF {
			out = pkt(out, seq, eof...)
			seq++
		}
		out = pkt(out, seq, row...)
		return pkt(out, seq+1, end...)
	}
	value := strings.Repeat("x", 120)
	var r replies
	r.ok = pkt(nil, 1, wire.AppendOK(nil, wire.HeaderOK, 0, 0, status, 0)...)
	r.text = resultSet(lenencStr(nil, value))
	r.binary = resultSet(lenencStr([]byte{0, 0}, value))
	prep := []byte{wire.HeaderOK, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0}
	r.prepare = pkt(nil, 1, prep...)
	seq := byte(2)
	for _, def := range [][]byte{colDef("?", 0xfd), col} {
		r.prepare = pkt(r.prepare, seq, def...)
		seq++
		if !deprecateEOF {
			r.prepare = pkt(r.prepare, seq, eof...)
			seq++
		}
	}
	return r
}

func (fs *fakeServer) serve(c net.Conn) {
	defer c.Close()
	fc := &fakeConn{r: bufio.NewReader(c)}
	hello := []byte{10}
	hello = append(hello, "11.4.0-fake\x00"...)
	hello = append(hello, 1, 0, 0, 0)                          // thread id
	hello = append(hello, "saltsalt"...)                       // salt part 1
	hello = append(hello, 0, 0xff, 0xff, 45, 2, 0, 0xff, 0xff) // caps, charset, status, caps
	hello = append(hello, 21)                                  // auth data length
	hello = append(hello, make([]byte, 10)...)
	hello = append(hello, "saltsaltsalt\x00"...)
	hello = append(hello, "mysql_native_password\x00"...)
	if _, err := c.Write(pkt(nil, 0, hello...)); err != nil {
		return
	}
	login, err := fc.read()
	if err != nil || len(login) < 4 {
		return
	}
	r := makeReplies(binary.LittleEndian.Uint32(login)&wire.ClientDeprecateEOF != 0)
	if _, err := c.Write(pkt(nil, 2, r.ok[4:]...)); err != nil {
		return
	}
	for {
		p, err := fc.read()
		if err != nil || len(p) == 0 || p[0] == wire.ComQuit {
			return
		}
		var reply []byte
		switch p[0] {
		case wire.ComQuery:
			reply = r.ok
			if len(p) > 7 && strings.EqualFold(string(p[1:7]), "select") {
				reply = r.text
				fs.reads.Add(1)
			}
		case wire.ComStmtPrepare:
			reply = r.prepare
		case wire.ComStmtExecute:
			reply = r.binary
			fs.reads.Add(1)
			fs.executes.Add(1)
		case wire.ComStmtClose, wire.ComStmtSendLong:
			continue
		default:
			reply = r.ok
		}
		if _, err := c.Write(reply); err != nil {
			return
		}
	}
}

// hotPath is a session whose reads go to a fake replica (and the rest to a
// fake primary), answering a client whose end is drained.
type hotPath struct {
	s                *Session
	primary, replica *fakeServer
}

// newHotPath starts the servers and the session; routing is the config's
// routing: section, if any.
func newHotPath(tb testing.TB, routing string) *hotPath {
	tb.Helper()
	primary, replica := startFakeServer(tb), startFakeServer(tb)
	cfg, err := config.Parse([]byte(`
users: [{name: app, password: app}]
backend: {user: strata, password: strata}
clusters:
  main:
    primary: ` + primary.Addr() + `
    replicas: [{address: ` + replica.Addr() + `}]
` + routing))
	if err != nil {
		tb.Fatal(err)
	}
	env := &Env{
		Topology: topology.New(topology.FromConfig(cfg)),
		Planner:  planner.New(cfg.Routing),
		Pools:    backend.NewPools(backend.PoolConfig{User: "strata", Password: "strata", PoolLimits: backend.PoolLimits{ConnectTimeout: cfg.Limits.ConnectTimeout.D(), Wait: cfg.Limits.PoolWait.D()}}),
		Metrics:  metrics.New(),
		Registry: NewRegistry(),
		Sharding: planner.NewSharding(nil),
		Stats:    querystats.New(100), // as in production: counted on every statement
	}
	if cfg.CacheEnabled() {
		env.Cache = resultcache.New(int(cfg.ResultCache.MaxSize), int(cfg.ResultCache.MaxEntrySize))
	}
	tb.Cleanup(env.Pools.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	clientEnd, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	proxyEnd := <-accepted
	if proxyEnd == nil {
		tb.Fatal("accept failed")
	}
	tb.Cleanup(func() { clientEnd.Close(); proxyEnd.Close() })
	go func() { _, _ = io.Copy(io.Discard, clientEnd) }()
	caps := uint32(wire.ClientProtocol41 | wire.ClientTransactions | wire.ClientSecureConn | wire.ClientMultiResults | wire.ClientPSMultiResults)
	s := New(env, wire.NewConn(proxyEnd), Options{ID: env.Registry.NextID(), User: "app", ClientAddr: clientEnd.LocalAddr().String(), Caps: caps, Collation: backendCollation})
	return &hotPath{s: s, primary: primary, replica: replica}
}

const pointSelect = "SELECT c FROM sbtest1 WHERE id=?"

func queryPacket(id int) []byte {
	return append([]byte{wire.ComQuery}, strings.Replace(pointSelect, "?", strconv.Itoa(id), 1)...)
}

// prepare prepares pointSelect; execute(id) is then its COM_STMT_EXECUTE
// binding id (parameter types included).
func (h *hotPath) prepare(tb testing.TB) {
	tb.Helper()
	if err := h.s.Prepare(context.Background(), append([]byte{wire.ComStmtPrepare}, pointSelect...)); err != nil {
		tb.Fatal(err)
	}
}

func (h *hotPath) execute(id uint64) []byte {
	p := []byte{wire.ComStmtExecute}
	p = binary.LittleEndian.AppendUint32(p, h.s.nextStmt)
	p = append(p, 0, 1, 0, 0, 0) // no cursor, one iteration
	p = append(p, 0, 1, 0x08, 0) // null bitmap, types bound: LONGLONG
	return binary.LittleEndian.AppendUint64(p, id)
}

// A plain autocommit read allocates nothing per statement in Strata
// (socket reads and writes, routing, relaying, metrics): a regression
// guard for the hot path. Run the benchmark with -memprofile to find a new
// allocation.
func TestHotPathAllocs(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"query", "execute", "query as prepared"} {
		t.Run(mode, func(t *testing.T) {
			h := newHotPath(t, "")
			packet, run := queryPacket(42), h.s.Query
			switch mode {
			case "execute":
				h.prepare(t)
				packet, run = h.execute(42), h.s.Execute
			case "query as prepared":
				// backend.prepare_text_reads: the text runs as its
				// shape's prepared statement, its binary row turned
				// into text.
				h.s.env.SetLimits(Limits{PrepareTextReads: true})
			}
			var err error
			allocs := testing.AllocsPerRun(200, func() {
				if e := run(ctx, packet); e != nil && err == nil {
					err = e
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := h.replica.reads.Load(); n != 201 || h.primary.reads.Load() != 0 {
				t.Fatalf("the replica answered %d reads and the primary %d, want 201 and 0", n, h.primary.reads.Load())
			}
			if n := h.replica.executes.Load(); mode != "query" && n != 201 {
				t.Fatalf("the replica answered %d EXECUTEs, want 201", n)
			}
			if allocs != 0 {
				t.Errorf("%s: %v heap allocations per statement, want 0", mode, allocs)
			}
			// The per-digest statistics saw every statement, on its route.
			rows := h.s.env.Stats.Snapshot(querystats.Query{}).Rows
			if len(rows) != 1 || rows[0].Count < 201 || rows[0].Server != h.replica.Addr() || rows[0].Role != "replica" {
				t.Fatalf("query statistics %+v, want one row of 201+ reads on the replica %s", rows, h.replica.Addr())
			}
		})
	}
}

// The result cache key is built only when a rule caches the statement: the
// same statement and values are answered from the cache, others are not.
func TestHotPathResultCache(t *testing.T) {
	ctx := context.Background()
	h := newHotPath(t, "routing: [{match: {tables: [sbtest1]}, pool: primary, cache: 1m}]\n")
	h.prepare(t)
	steps := []struct {
		name   string
		packet []byte
		run    func(context.Context, []byte) error
		reads  int64 // the replica's reads after the step
	}{
		{"query", queryPacket(1), h.s.Query, 1},
		{"same query", queryPacket(1), h.s.Query, 1},
		{"other query", queryPacket(2), h.s.Query, 2},
		{"execute", h.execute(1), h.s.Execute, 3},
		{"same execute", h.execute(1), h.s.Execute, 3},
		{"execute, other value", h.execute(2), h.s.Execute, 4},
		{"same query again", queryPacket(2), h.s.Query, 4},
	}
	for _, st := range steps {
		if err := st.run(ctx, st.packet); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if n := h.replica.reads.Load(); n != st.reads {
			t.Fatalf("after %s the replica answered %d reads, want %d", st.name, n, st.reads)
		}
	}
}

func BenchmarkHotPath(b *testing.B) {
	ctx := context.Background()
	b.Run("query", func(b *testing.B) {
		h := newHotPath(b, "")
		packet := queryPacket(42)
		b.ReportAllocs()
		for b.Loop() {
			if err := h.s.Query(ctx, packet); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("query as prepared", func(b *testing.B) {
		h := newHotPath(b, "")
		h.s.env.SetLimits(Limits{PrepareTextReads: true})
		packet := queryPacket(42)
		b.ReportAllocs()
		for b.Loop() {
			if err := h.s.Query(ctx, packet); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("execute", func(b *testing.B) {
		h := newHotPath(b, "")
		h.prepare(b)
		packet := h.execute(42)
		b.ReportAllocs()
		for b.Loop() {
			if err := h.s.Execute(ctx, packet); err != nil {
				b.Fatal(err)
			}
		}
	})
}
