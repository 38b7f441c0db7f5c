package backend

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/strata-proxy/strata/wire"
)

// tap is a loopback TCP relay in front of the test server that records,
// in order, which side sent each chunk of bytes it forwarded.
type tap struct {
	ln net.Listener
	mu sync.Mutex
	// log holds one entry per chunk: 'c' for Strata's bytes to the
	// server, 's' for the server's, each with the bytes.
	log []tapChunk
}

type tapChunk struct {
	from byte
	data []byte
}

func startTap(t *testing.T, server string) *tap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", server)
			if err != nil {
				in.Close()
				return
			}
			go tp.copy(out, in, 'c')
			go tp.copy(in, out, 's')
		}
	}()
	return tp
}

// dial logs in to the test server through the tap, in database qt; the
// connection is closed when the test ends.
func (tp *tap) dial(t *testing.T, deprecateEOF bool) *Conn {
	t.Helper()
	c := dialAt(t, tp.ln.Addr().String(), deprecateEOF)
	c.DB = "qt"
	return c
}

func (tp *tap) copy(dst, src net.Conn, from byte) {
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			// Logged before it is forwarded, so the log's order is the
			// order the bytes crossed the tap.
			tp.mu.Lock()
			tp.log = append(tp.log, tapChunk{from, append([]byte(nil), buf[:n]...)})
			tp.mu.Unlock()
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// mark is the current length of the log, to read what follows it.
func (tp *tap) mark() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return len(tp.log)
}

// sentBeforeAnswer reports whether Strata's bytes after mark held needle
// before any byte of the server's answer came back.
func (tp *tap) sentBeforeAnswer(mark int, needle string) bool {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var sent []byte
	for _, ch := range tp.log[mark:] {
		if ch.from == 's' {
			break
		}
		sent = append(sent, ch.data...)
	}
	return bytes.Contains(sent, []byte(needle))
}

// A read sent behind a wait (WaitFirst) goes out in the same write as the
// wait, before the wait has answered. When the wait succeeds the client
// gets exactly the answer it would have got without one; when it does not
// (its value is not 0, or it failed), the read's answer — a result set,
// several, an error, a thousand rows — is dropped unseen and the
// connection runs its next command as usual; a longer one is cut off by
// closing the connection.
func TestReadGoesOutWithItsWait(t *testing.T) {
	requireServer(t)
	for _, dep := range []bool{false, true} {
		// A tap of its own: the server may still be sending the answer
		// the other flavor's last case cut off.
		tp := startTap(t, "127.0.0.1:27306")
		c := tp.dial(t, dep)
		relayed := func(wait, query string) ([]byte, error) {
			t.Helper()
			var buf bytes.Buffer
			client := &wire.Conn{W: bufio.NewWriter(&buf), Seq: 1}
			if wait != "" {
				c.WaitFirst(wait)
			}
			mark := tp.mark()
			if err := c.RequestFor(append([]byte{wire.ComQuery}, query...), nil); err != nil {
				return buf.Bytes(), err
			}
			if wait != "" && !tp.sentBeforeAnswer(mark, query) {
				t.Errorf("DeprecateEOF=%v: %q was sent after its wait %q answered, not with it", dep, query, wait)
			}
			res, err := c.Relay(client, false)
			if err == nil {
				err = res.Err
			}
			client.W.Flush()
			return buf.Bytes(), err
		}
		cases := []struct {
			wait, query string
			behind      bool
			cutOff      bool // the last case: it leaves the connection Broken
		}{
			{wait: "SELECT SLEEP(0.2)", query: "SELECT 'fresh', 2"},
			{wait: "SELECT 0", query: "SELECT 'a'; SELECT 'b'"},
			{wait: "SELECT 1", query: "SELECT 'stale'", behind: true},
			{wait: "SELECT NULL", query: "SELECT 'stale'", behind: true},
			{wait: "SELECT no_such_column", query: "SELECT 'stale'", behind: true},
			{wait: "SELECT -1", query: "SELECT 'stale'; SELECT 'more'; DO 1", behind: true},
			{wait: "SELECT 1", query: "SELECT * FROM no_such_table", behind: true},
			{wait: "SELECT 1", query: "SELECT seq FROM seq_1_to_3; SELECT * FROM no_such_table; SELECT 1", behind: true},
			{wait: "SELECT 1", query: "SELECT seq, REPEAT('x', 100) FROM seq_1_to_1000", behind: true},
			// Longer than maxDroppedRows: cut off, the connection closed.
			{wait: "SELECT 1", query: "SELECT seq, REPEAT('x', 100) FROM seq_1_to_100000", behind: true, cutOff: true},
		}
		for _, tc := range cases {
			want, wantErr := relayed("", tc.query)
			got, err := relayed(tc.wait, tc.query)
			switch {
			case tc.behind && !errors.Is(err, ErrReplicaBehind):
				t.Errorf("DeprecateEOF=%v: %q behind %q: %v, want ErrReplicaBehind", dep, tc.query, tc.wait, err)
			case tc.behind && len(got) > 0:
				t.Errorf("DeprecateEOF=%v: %q behind %q: the client got % x", dep, tc.query, tc.wait, got)
			case !tc.behind && (!errors.Is(err, wantErr) || !bytes.Equal(got, want)):
				t.Errorf("DeprecateEOF=%v: %q behind %q: the client got % x, %v; without a wait % x, %v", dep, tc.query, tc.wait, got, err, want, wantErr)
			}
			if c.Broken != tc.cutOff {
				t.Fatalf("DeprecateEOF=%v: %q behind %q: connection broken %v, want %v", dep, tc.query, tc.wait, c.Broken, tc.cutOff)
			}
			if tc.cutOff {
				break
			}
			_, rows := queryAll(t, c, "SELECT 'next'")
			if len(rows) != 1 || string(rows[0][0]) != "next" {
				t.Fatalf("DeprecateEOF=%v: after %q behind %q, the next query read %q", dep, tc.query, tc.wait, rows)
			}
		}
	}
}

// A statement prepared behind a wait goes out with it too. When the wait
// does not succeed, the prepare answers ErrReplicaBehind — even when this
// server refused it (it may lack the table) — and what it prepared is
// closed again, not kept.
func TestPrepareGoesOutWithItsWait(t *testing.T) {
	requireServer(t)
	tp := startTap(t, "127.0.0.1:27306")
	c := tp.dial(t, true)
	closes := func() string {
		t.Helper()
		_, rows := queryAll(t, c, "SHOW SESSION STATUS LIKE 'Com_stmt_close'")
		return string(rows[0][1])
	}
	cases := []struct {
		wait, query string
		behind      bool
		refused     bool // the server refuses the prepare
	}{
		{wait: "SELECT SLEEP(0.2)", query: "SELECT ? + 1"},
		{wait: "SELECT 0", query: "SELECT * FROM no_such_table WHERE id = ?", refused: true},
		{wait: "SELECT 1", query: "SELECT ? + 2", behind: true},
		{wait: "SELECT 1", query: "SELECT * FROM no_such_table WHERE id = ?", behind: true, refused: true},
	}
	// The connection is in the statements' database already (dial): the
	// prepare is the first command after the wait.
	for _, tc := range cases {
		before := closes()
		c.WaitFirst(tc.wait)
		mark := tp.mark()
		st, err := c.Stmt("qt", tc.query)
		if !tp.sentBeforeAnswer(mark, tc.query) {
			t.Errorf("%q was prepared after its wait %q answered, not with it", tc.query, tc.wait)
		}
		var werr *wire.Error
		switch {
		case tc.behind && !errors.Is(err, ErrReplicaBehind):
			t.Errorf("%q behind %q: %v, want ErrReplicaBehind", tc.query, tc.wait, err)
		case !tc.behind && tc.refused && !errors.As(err, &werr):
			t.Errorf("%q behind %q: %v, want the server's refusal", tc.query, tc.wait, err)
		case !tc.behind && !tc.refused && (err != nil || st.NumParams != 1):
			t.Errorf("%q behind %q: %+v, %v", tc.query, tc.wait, st, err)
		}
		if c.Broken {
			t.Fatalf("%q behind %q broke the connection", tc.query, tc.wait)
		}
		after := closes()
		if closed := after != before; closed != (tc.behind && !tc.refused) {
			t.Errorf("%q behind %q: Com_stmt_close %s → %s (closing what it prepared: %v)", tc.query, tc.wait, before, after, tc.behind && !tc.refused)
		}
	}
	// What a failed wait prepared is not cached: it is prepared anew.
	st, err := c.Stmt("qt", "SELECT ? + 2")
	if err != nil || st.NumParams != 1 {
		t.Fatalf("preparing again after a failed wait: %+v, %v", st, err)
	}
}

// QueryValues sends every connection its query before it reads an
// answer: the servers run them side by side.
func TestQueryValuesRunSideBySide(t *testing.T) {
	requireServer(t)
	tp := startTap(t, "127.0.0.1:27306")
	conns := []*Conn{tp.dial(t, true), tp.dial(t, true), tp.dial(t, true)}
	sqls := []string{"SELECT SLEEP(0.2) /* first */", "SELECT 'x' FROM no_such_table", "SELECT 'third' FROM DUAL WHERE SLEEP(0.2) = 0"}
	mark := tp.mark()
	values, errs := QueryValues(conns, sqls)
	for _, sql := range sqls {
		if !tp.sentBeforeAnswer(mark, sql) {
			t.Errorf("%q was sent after another query's answer came back", sql)
		}
	}
	var werr *wire.Error
	if values[0] != "0" || errs[0] != nil || !errors.As(errs[1], &werr) || values[2] != "third" || errs[2] != nil {
		t.Errorf("QueryValues: %q, %v", values, errs)
	}
	for i, c := range conns {
		if v, err := c.QueryValue("SELECT 'next'"); c.Broken || err != nil || v != "next" {
			t.Errorf("connection %d after QueryValues: %q, %v (broken %v)", i, v, err, c.Broken)
		}
	}
}
