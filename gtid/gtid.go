// Package gtid reads and compares MariaDB GTID positions, and keeps the
// positions behind consistency: global — per cluster, the last write
// Strata acknowledged; per server, what it is known to have applied.
package gtid

import (
	"slices"
	"strconv"
	"strings"
)

// GTID is one MariaDB global transaction id, domain-server-sequence.
type GTID struct {
	Domain uint32
	Server uint32
	Seq    uint64
}

func (g GTID) String() string {
	return strconv.FormatUint(uint64(g.Domain), 10) + "-" + strconv.FormatUint(uint64(g.Server), 10) + "-" + strconv.FormatUint(g.Seq, 10)
}

// Pos is a GTID position: per replication domain, the last transaction.
// Within a domain the sequence number orders transactions, whichever
// server wrote them (MariaDB's new primary goes on from the old one's
// numbers), so comparing positions compares sequence numbers.
type Pos map[uint32]GTID

// Parse reads a position as MariaDB writes it ("0-1-42,1-2-7", what
// @@last_gtid, @@gtid_binlog_pos and @@gtid_slave_pos answer), keeping the
// highest of each domain. Entries that are not GTIDs are skipped.
func Parse(s string) Pos {
	p := Pos{}
	for _, part := range strings.Split(s, ",") {
		g, ok := parseOne(strings.TrimSpace(part))
		if ok && g.Seq >= p[g.Domain].Seq {
			p[g.Domain] = g
		}
	}
	return p
}

func parseOne(s string) (GTID, bool) {
	d, rest, ok1 := strings.Cut(s, "-")
	srv, seq, ok2 := strings.Cut(rest, "-")
	if !ok1 || !ok2 {
		return GTID{}, false
	}
	dn, err1 := strconv.ParseUint(d, 10, 32)
	sn, err2 := strconv.ParseUint(srv, 10, 32)
	n, err3 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return GTID{}, false
	}
	return GTID{Domain: uint32(dn), Server: uint32(sn), Seq: n}, true
}

// Covers reports whether p includes every transaction of q: each domain
// of q is in p at the same or a later sequence number.
func (p Pos) Covers(q Pos) bool {
	for d, g := range q {
		if p[d].Seq < g.Seq {
			return false
		}
	}
	return true
}

// Merge returns a new position with, per domain, the later of p's and q's.
// Neither p nor q changes, so a Pos once shared is never written.
func (p Pos) Merge(q Pos) Pos {
	out := make(Pos, len(p)+len(q))
	for d, g := range p {
		out[d] = g
	}
	for d, g := range q {
		if g.Seq >= out[d].Seq {
			out[d] = g
		}
	}
	return out
}

// String writes p as MariaDB reads it (MASTER_GTID_WAIT), by domain.
func (p Pos) String() string {
	domains := make([]uint32, 0, len(p))
	for d := range p {
		domains = append(domains, d)
	}
	slices.Sort(domains)
	var b strings.Builder
	for i, d := range domains {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p[d].String())
	}
	return b.String()
}
