package session

import (
	"encoding/binary"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/wire"
)

// A shard that gets some of the rows of a client's INSERT or LOAD DATA
// numbers them from 1 in its own messages ("Data truncated for column
// 'x' at row 2", "Row 2 doesn't contain data for all columns"), so its
// row 2 may be the client's row 7. Strata rewrites the number to the
// client's row before it relays an error or a warning: one server's
// message points at the row to fix, and so must Strata's.

// rowsOfShard follows a row number that stays the shard's own.
const rowsOfShard = " of those sent to the shard"

// maxSentRowBytes bounds the memory a LOAD DATA's row numbers take per
// shard: about a million rows each (a byte a row where the shards take
// turns). The rows after that are not kept, and messages about them say
// that their number is the shard's own.
const maxSentRowBytes = 1 << 20

// sentRows are the client's rows (from 1) that a shard's part of a LOAD
// DATA got, in order.
type sentRows struct {
	deltas []byte // each row's number less the one before it, as a uvarint
	last   int
	n      int
	full   bool // past maxSentRowBytes: the rows from n on are not kept
}

// add notes that the shard got the client's row.
func (s *sentRows) add(row int) {
	if s.full {
		return
	}
	if len(s.deltas) >= maxSentRowBytes {
		s.full = true
		return
	}
	s.deltas = binary.AppendUvarint(s.deltas, uint64(row-s.last))
	s.last = row
	s.n++
}

// clientRow is the client's row that the shard's nth row (from 1) is.
func (s *sentRows) clientRow(n int) (int, bool) {
	if n < 1 || n > s.n {
		return 0, false
	}
	row, b := 0, s.deltas
	for range n {
		d, size := binary.Uvarint(b)
		row, b = row+int(d), b[size:]
	}
	return row, true
}

// serverRowNumber finds the row number in a server's message about one
// row of its statement: MariaDB's "... at row %lu" (data truncated, out
// of range, NULL to NOT NULL, an incorrect value, too long) and "Row %lu
// ..." (a LOAD DATA line with too few or too many fields).
var serverRowNumber = regexp.MustCompile(`^(Row )([0-9]+)( (?:doesn't contain|was truncated))|( at row )([0-9]+)$`)

// messageRow is the row number a message names, if it names one.
func messageRow(msg string) (int, bool) {
	m := serverRowNumber.FindStringSubmatch(strings.TrimSuffix(onShardSuffix.ReplaceAllString(msg, ""), rowsOfShard))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[2] + m[5])
	return n, err == nil
}

// onShardSuffix is what Strata adds to a shard's message.
var onShardSuffix = regexp.MustCompile(` \(on shard [^()]*\)$`)

// clientRowMessage is msg, a server's message, with the number of the
// row it is about (of the rows the shard got) made the client's, which
// rowOf gives; where rowOf does not know it, the message says the
// number is the shard's own. A message about no row is unchanged.
func clientRowMessage(msg string, rowOf func(n int) (int, bool)) string {
	m := serverRowNumber.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	at := 4 // the number's group: "Row N" (2) or "at row N" (5)
	if m[4] < 0 {
		at = 10
	}
	n, err := strconv.Atoi(msg[m[at]:m[at+1]])
	if err != nil {
		return msg
	}
	row, ok := rowOf(n)
	if !ok {
		return msg[:m[at+1]] + rowsOfShard + msg[m[at+1]:]
	}
	return msg[:m[at]] + strconv.Itoa(row) + msg[m[at+1]:]
}

// clientRow is the client's row (from 1) that the nth row (from 1) sc's
// statement got is: the row of a split INSERT's VALUES list, or of a
// LOAD DATA file, that Strata sent there as the shard's nth. A statement
// that got every row of the client's (one shard, a reference table's
// copy) numbers them as the client does.
func (sc *shardConn) clientRow(n int) (int, bool) {
	switch {
	case n < 1:
		return 0, false
	case sc.route.InsertRows != nil:
		if n > len(sc.route.InsertRows) {
			return 0, false
		}
		return sc.route.InsertRows[n-1] + 1, true
	case sc.sent != nil:
		return sc.sent.clientRow(n)
	}
	return n, true
}

// clientRowError is err, a shard's answer to sc's statement, with the
// row number of its message made the client's (clientRowMessage).
func clientRowError(sc *shardConn, err error) error {
	var werr *wire.Error
	if sc == nil || !errors.As(err, &werr) {
		return err
	}
	msg := clientRowMessage(werr.Message, sc.clientRow)
	if msg == werr.Message {
		return err
	}
	return &wire.Error{Code: werr.Code, State: werr.State, Message: msg}
}

// firstFailure ranks a shard's error among those of one statement's
// shards, lowest first: a failure that is not the server's answer (the
// connection broke), then the server's errors by the client's row they
// are about, then those about no row.
func firstFailure(sc *shardConn, err error) int {
	var werr *wire.Error
	if !errors.As(err, &werr) {
		return -1
	}
	if n, ok := messageRow(werr.Message); ok {
		if row, ok := sc.clientRow(n); ok {
			return row
		}
	}
	return math.MaxInt
}
