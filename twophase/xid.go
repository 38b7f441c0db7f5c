package twophase

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
)

// FormatID marks Strata's XA transactions ("STRA"): XA RECOVER lists every
// prepared transaction of a server, and the resolver settles only these.
const FormatID = 0x53545241

// maxPart is MariaDB's bound on an XA gtrid and bqual (bytes each).
const maxPart = 64

// XID names one branch of a transaction across clusters: Gtrid is the
// transaction's id, the same on every branch; Coordinator, the bqual, is
// the cluster whose log holds its decision row.
type XID struct {
	Gtrid       string
	Coordinator string
}

// SQL is the xid as XA statements write it: X'gtrid',X'bqual',formatID.
// Hex literals keep any cluster name safe inside the statement.
func (x XID) SQL() string {
	return hexLiteral(x.Gtrid) + "," + hexLiteral(x.Coordinator) + "," + strconv.Itoa(FormatID)
}

// Valid reports whether MariaDB accepts the xid's parts.
func (x XID) Valid() error {
	if x.Gtrid == "" || len(x.Gtrid) > maxPart {
		return fmt.Errorf("transaction id %q must have 1 to %d bytes", x.Gtrid, maxPart)
	}
	if x.Coordinator == "" || len(x.Coordinator) > maxPart {
		return fmt.Errorf("cluster name %q must have 1 to %d bytes to coordinate a transaction across shards", x.Coordinator, maxPart)
	}
	return nil
}

// Gtrids hands out transaction ids unique across Strata instances and
// restarts: a random instance prefix made at start, then a counter.
type Gtrids struct {
	prefix string
	next   atomic.Uint64
}

// NewGtrids makes a generator with a fresh random prefix.
func NewGtrids() *Gtrids {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("twophase: no randomness for transaction ids: " + err.Error())
	}
	return &Gtrids{prefix: "strata-" + hex.EncodeToString(b[:]) + "-"}
}

// Next is a new transaction id.
func (g *Gtrids) Next() string {
	return g.prefix + strconv.FormatUint(g.next.Add(1), 10)
}

// ParseRecovered reads one row of XA RECOVER (formatID, gtrid_length,
// bqual_length, data). ok is false for transactions that are not Strata's
// or rows that do not add up.
func ParseRecovered(formatID int64, gtridLen, bqualLen int, data []byte) (x XID, ok bool) {
	if formatID != FormatID || gtridLen <= 0 || bqualLen <= 0 || gtridLen+bqualLen != len(data) {
		return XID{}, false
	}
	return XID{Gtrid: string(data[:gtridLen]), Coordinator: string(data[gtridLen:])}, true
}
