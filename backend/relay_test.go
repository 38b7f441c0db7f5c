package backend

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/wire"
)

// relayed is one packet as the client received it.
type relayed struct {
	seq     byte
	payload []byte
}

func splitPackets(t *testing.T, b []byte) []relayed {
	t.Helper()
	var out []relayed
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("truncated header: % x", b)
		}
		n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
		if len(b) < 4+n {
			t.Fatalf("truncated payload")
		}
		out = append(out, relayed{seq: b[3], payload: b[4 : 4+n]})
		b = b[4+n:]
	}
	return out
}

// endStatus is the status flags of the packet that ends a relayed answer.
func endStatus(p []byte, deprecateEOF bool) uint16 {
	if p[0] == wire.HeaderOK || deprecateEOF {
		ok, _ := wire.ParseOK(p)
		return ok.Status
	}
	return wire.EOFStatus(p)
}

// A relayed answer that is one of several to a client's multi-statement
// query (wire.Chain) is numbered on from the client's sequence, its end
// says whether another answer follows, and an error marks the chain
// failed; without a chain the server's own numbering and flags pass
// unchanged.
func TestRelayChainsAnswers(t *testing.T) {
	cases := []struct {
		query   string
		chained bool
		more    bool
		start   byte // the client's sequence before the answer
		failed  bool
	}{
		{query: "SELECT 1, 'a'", start: 1},
		{query: "SELECT 1, 'a'", chained: true, more: true, start: 7},
		{query: "SELECT 1, 'a'", chained: true, more: false, start: 7},
		{query: "DO 1", chained: true, more: true, start: 3},
		{query: "DO 1", start: 1},
		{query: "SELECT 1; DO 2", chained: true, more: true, start: 250}, // wraps past 255
		{query: "SELECT * FROM no_such_table", chained: true, more: true, start: 4, failed: true},
	}
	eachFlavor(t, func(t *testing.T, c *Conn) {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s chained=%v more=%v", tc.query, tc.chained, tc.more), func(t *testing.T) {
				var buf bytes.Buffer
				client := &wire.Conn{W: bufio.NewWriter(&buf), Seq: tc.start}
				var chain *wire.Chain
				if tc.chained {
					chain = &wire.Chain{Seq: tc.start, More: tc.more}
					client.Chain = chain
				}
				if err := c.Command(append([]byte{wire.ComQuery}, tc.query...)); err != nil {
					t.Fatal(err)
				}
				res, err := c.Relay(client, false)
				if err != nil {
					t.Fatal(err)
				}
				client.W.Flush()
				packets := splitPackets(t, buf.Bytes())
				for i, p := range packets {
					if want := tc.start + byte(i); p.seq != want {
						t.Fatalf("packet %d has sequence id %d, want %d", i, p.seq, want)
					}
				}
				last := packets[len(packets)-1].payload
				if tc.failed {
					if last[0] != wire.HeaderErr || res.Err == nil || !chain.Failed {
						t.Fatalf("error answer: last packet % x, res.Err %v, chain failed %v", last[:1], res.Err, chain.Failed)
					}
					return
				}
				if chain != nil && chain.Failed {
					t.Fatal("a successful answer marked the chain failed")
				}
				gotMore := endStatus(last, c.Flavor.DeprecateEOF)&wire.StatusMoreResults != 0
				if gotMore != tc.more {
					t.Fatalf("the answer's end says more results %v, want %v", gotMore, tc.more)
				}
				if tc.chained && client.Seq != tc.start+byte(len(packets)) {
					t.Fatalf("client sequence after the answer %d, want %d", client.Seq, tc.start+byte(len(packets)))
				}
				if res.Status&wire.StatusMoreResults != 0 {
					t.Fatal("Result.Status took the flag Strata added: the session would wait for an answer the server never sends")
				}
			})
		}
	})
}

// A write's OK brings its GTID (the connection tracks last_gtid), and the
// client gets the OK it would get from a server it asked no session
// tracking of: without the state and its status flag. An answer that
// wrote nothing reports no GTID; only answers every end of which could
// carry one are trusted (a classic EOF cannot).
func TestRelayReportsAWritesGTID(t *testing.T) {
	eachFlavor(t, func(t *testing.T, c *Conn) {
		if !c.TracksGTID {
			t.Fatal("a MariaDB connection does not track last_gtid")
		}
		mustExec(t, c, "CREATE TABLE IF NOT EXISTS gtids (id INT PRIMARY KEY, v INT)")
		mustExec(t, c, "DELETE FROM gtids")
		relay := func(query string) (Result, []relayed) {
			t.Helper()
			var buf bytes.Buffer
			client := &wire.Conn{W: bufio.NewWriter(&buf), Seq: 1}
			if err := c.Command(append([]byte{wire.ComQuery}, query...)); err != nil {
				t.Fatal(err)
			}
			res, err := c.Relay(client, false)
			if err != nil || res.Err != nil {
				t.Fatalf("%s: %v %v", query, err, res.Err)
			}
			client.W.Flush()
			return res, splitPackets(t, buf.Bytes())
		}
		lastGTID := func() string {
			t.Helper()
			_, rows := queryAll(t, c, "SELECT @@last_gtid")
			return string(rows[0][0])
		}
		cases := []struct {
			query   string
			wrote   bool
			tracked bool
			info    string // the info the client's OK keeps
		}{
			{query: "INSERT INTO gtids VALUES (1, 1)", wrote: true, tracked: true},
			{query: "UPDATE gtids SET v = 2 WHERE id = 1", wrote: true, tracked: true, info: "Rows matched: 1  Changed: 1  Warnings: 0"},
			{query: "UPDATE gtids SET v = 2 WHERE id = 2", tracked: true, info: "Rows matched: 0  Changed: 0  Warnings: 0"},
			{query: "INSERT INTO gtids VALUES (3, 3); SELECT v FROM gtids WHERE id = 3", wrote: true, tracked: c.Flavor.DeprecateEOF},
			{query: "SELECT v FROM gtids", tracked: c.Flavor.DeprecateEOF},
		}
		for _, tc := range cases {
			res, packets := relay(tc.query)
			if res.GTIDTracked != tc.tracked {
				t.Errorf("%s: GTIDTracked %v, want %v", tc.query, res.GTIDTracked, tc.tracked)
			}
			if want := lastGTID(); tc.wrote && res.GTID != want || !tc.wrote && res.GTID != "" {
				t.Errorf("%s: reported GTID %q (wrote %v; @@last_gtid is %q)", tc.query, res.GTID, tc.wrote, want)
			}
			for _, p := range packets {
				if p.payload[0] != wire.HeaderOK && (p.payload[0] != wire.HeaderEOF || len(p.payload) >= 9) {
					continue
				}
				if endStatus(p.payload, c.Flavor.DeprecateEOF)&wire.StatusSessionStateChanged != 0 {
					t.Errorf("%s: the client got a packet flagged with session state: % x", tc.query, p.payload)
				}
			}
			if last := packets[len(packets)-1].payload; last[0] == wire.HeaderOK {
				want := wire.AppendOK(nil, wire.HeaderOK, 1, 0, res.Status, 0)
				if !tc.wrote {
					want = wire.AppendOK(nil, wire.HeaderOK, 0, 0, res.Status, 0)
				}
				if tc.info != "" {
					want = wire.AppendLenEncString(want, []byte(tc.info))
				}
				if !bytes.Equal(last, want) {
					t.Errorf("%s: the client's OK is % x, want % x", tc.query, last, want)
				}
			}
		}
		// A reset puts the server's trackers back to its defaults;
		// Strata sets them again in the same round trip.
		if err := c.Reset(); err != nil || !c.TracksGTID {
			t.Fatalf("after a reset: %v, tracking %v", err, c.TracksGTID)
		}
		if err := c.SimpleCommand(wire.ComInitDB, "qt"); err != nil {
			t.Fatal(err)
		}
		if res, _ := relay("INSERT INTO gtids VALUES (4, 4)"); res.GTID == "" || res.GTID != lastGTID() {
			t.Errorf("after a reset, an INSERT reported GTID %q", res.GTID)
		}
		if res, packets := relay("USE qt"); len(packets) != 1 || res.GTID != "" || endStatus(packets[0].payload, false)&wire.StatusSessionStateChanged != 0 {
			t.Errorf("USE after a reset: %+v, % x (session_track_schema back on?)", res, packets)
		}
	})
}
