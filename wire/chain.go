package wire

import "encoding/binary"

// Chain marks an answer that is one of several to one client command: a
// multi-statement query that Strata runs a statement at a time, because
// its statements go to different servers. One server answering the whole
// query numbers its packets on from one answer to the next and ends every
// answer but the last with SERVER_MORE_RESULTS_EXISTS; Strata must do the
// same with answers that come from several servers, each numbered from 1
// and each ending as if it were the only one.
type Chain struct {
	// Seq is the sequence id the current answer starts at.
	Seq byte
	// More: another answer follows the current one, so its end carries
	// SERVER_MORE_RESULTS_EXISTS.
	More bool
	// Failed: the current answer was an error. A server runs nothing after
	// a failed statement of a multi-statement query, nor does Strata.
	Failed bool
}

// Status is status with SERVER_MORE_RESULTS_EXISTS added when c (which may
// be nil) says another answer follows.
func (c *Chain) Status(status uint16) uint16 {
	if c != nil && c.More {
		status |= StatusMoreResults
	}
	return status
}

// MarkMoreResults sets SERVER_MORE_RESULTS_EXISTS in the packet p that
// ends an answer: an OK (header 0x00, or 0xfe under CLIENT_DEPRECATE_EOF:
// okLayout) or a classic EOF. It reports false when p is too short to
// hold the flags.
func MarkMoreResults(p []byte, okLayout bool) bool {
	pos := 3 // EOF: header, warnings, status
	if okLayout {
		pos = 1
		for range 2 { // affected rows, last insert id
			_, n := ReadLenEnc(p[min(pos, len(p)):])
			if n == 0 {
				return false
			}
			pos += n
		}
	}
	if len(p) < pos+2 {
		return false
	}
	status := binary.LittleEndian.Uint16(p[pos:]) | StatusMoreResults
	binary.LittleEndian.PutUint16(p[pos:], status)
	return true
}
