package wire

import "encoding/binary"

// Session state tracking (CLIENT_SESSION_TRACK). Strata asks its server
// connections to track one variable, last_gtid, so the OK that answers a
// write carries the write's GTID and read-your-writes needs no SELECT
// @@last_gtid round trip after it. Strata never offers the capability to
// its clients, so it strips what the servers add before relaying.

// StatusSessionStateChanged is the status flag of an OK packet followed by
// session state information.
const StatusSessionStateChanged = 0x4000

// sessionTrackSystemVariables is the type of a state entry that names a
// system variable and its new value.
const sessionTrackSystemVariables = 0

// okState finds the parts of an OK packet's payload p (header 0x00, or
// 0xfe ending a result set under CLIENT_DEPRECATE_EOF) sent on a
// connection with CLIENT_SESSION_TRACK: statusAt is the offset of its
// status flags, infoEnd where its (length-encoded) info ends, and state the
// session state information, nil when the flag is not set. ok is false for
// a packet that does not parse.
func okState(p []byte) (statusAt, infoEnd int, state []byte, ok bool) {
	pos := 1
	for range 2 { // affected rows, last insert id
		_, n := ReadLenEnc(p[min(pos, len(p)):])
		if n == 0 {
			return 0, 0, nil, false
		}
		pos += n
	}
	if len(p) < pos+4 {
		return 0, 0, nil, false
	}
	statusAt = pos
	status := binary.LittleEndian.Uint16(p[pos:])
	pos += 4
	if pos == len(p) {
		return statusAt, pos, nil, status&StatusSessionStateChanged == 0
	}
	infoLen, n := ReadLenEnc(p[pos:])
	if n == 0 || uint64(len(p)-pos-n) < infoLen {
		return 0, 0, nil, false
	}
	pos += n + int(infoLen)
	infoEnd = pos
	if status&StatusSessionStateChanged == 0 {
		return statusAt, infoEnd, nil, true
	}
	stateLen, n := ReadLenEnc(p[pos:])
	if n == 0 || uint64(len(p)-pos-n) < stateLen {
		return 0, 0, nil, false
	}
	return statusAt, infoEnd, p[pos+n : pos+n+int(stateLen)], true
}

// TrackedVariable returns the value the OK packet p reports for the system
// variable name in its session state information. found is false when the
// packet reports no change of it (or does not parse).
func TrackedVariable(p []byte, name string) (value string, found bool) {
	_, _, state, ok := okState(p)
	if !ok {
		return "", false
	}
	for len(state) > 0 {
		typ := state[0]
		size, n := ReadLenEnc(state[1:])
		if n == 0 || uint64(len(state)-1-n) < size {
			return "", false
		}
		entry := state[1+n : 1+n+int(size)]
		state = state[1+n+int(size):]
		if typ != sessionTrackSystemVariables {
			continue
		}
		v, rest, ok := ReadLenEncString(entry)
		if !ok || string(v) != name {
			continue
		}
		if v, _, ok = ReadLenEncString(rest); ok {
			value, found = string(v), true // the last change counts
		}
	}
	return value, found
}

// StripSessionState appends to dst the OK packet p as a client without
// CLIENT_SESSION_TRACK expects it: without the session state information
// and its status flag, and without an info that is empty. ok is false
// when p does not parse; dst is then returned as it was.
func StripSessionState(dst, p []byte) (out []byte, ok bool) {
	statusAt, infoEnd, _, ok := okState(p)
	if !ok {
		return dst, false
	}
	start := len(dst)
	if infoEnd == statusAt+5 && p[statusAt+4] == 0 {
		infoEnd = statusAt + 4 // an empty info, sent only to carry the state
	}
	dst = append(dst, p[:infoEnd]...)
	status := binary.LittleEndian.Uint16(dst[start+statusAt:]) &^ StatusSessionStateChanged
	binary.LittleEndian.PutUint16(dst[start+statusAt:], status)
	return dst, true
}
