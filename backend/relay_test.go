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
