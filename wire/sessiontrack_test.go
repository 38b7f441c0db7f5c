package wire

import (
	"bytes"
	"testing"
)

// stateEntry is one entry of an OK packet's session state information.
func stateEntry(typ byte, data []byte) []byte {
	return AppendLenEncString([]byte{typ}, data)
}

// sysvarEntry reports a system variable's new value.
func sysvarEntry(name, value string) []byte {
	data := AppendLenEncString(nil, []byte(name))
	return stateEntry(sessionTrackSystemVariables, AppendLenEncString(data, []byte(value)))
}

// okWithState is an OK packet (header 0x00 or 0xfe) as MariaDB sends it on
// a connection with CLIENT_SESSION_TRACK.
func okWithState(header byte, info string, entries ...[]byte) []byte {
	status := uint16(StatusAutocommit)
	if entries != nil {
		status |= StatusSessionStateChanged
	}
	p := AppendOK(nil, header, 1, 7, status, 0)
	if info != "" || entries != nil {
		p = AppendLenEncString(p, []byte(info))
	}
	if entries != nil {
		p = AppendLenEncString(p, bytes.Join(entries, nil))
	}
	return p
}

func TestSessionStateOfAnOK(t *testing.T) {
	const matched = "Rows matched: 1  Changed: 1  Warnings: 0"
	schema := stateEntry(1, AppendLenEncString(nil, []byte("blog")))
	cases := []struct {
		name     string
		packet   []byte
		gtid     string // "" and !found: no report
		found    bool
		stripped []byte
	}{
		{"an INSERT's OK", okWithState(HeaderOK, "", sysvarEntry("last_gtid", "0-1-42")),
			"0-1-42", true, okWithState(HeaderOK, "")},
		{"an UPDATE's OK keeps its info", okWithState(HeaderOK, matched, sysvarEntry("last_gtid", "0-1-43")),
			"0-1-43", true, okWithState(HeaderOK, matched)},
		{"the OK that ends a result set", okWithState(HeaderEOF, "", sysvarEntry("last_gtid", "0-1-44")),
			"0-1-44", true, okWithState(HeaderEOF, "")},
		{"among other entries, the last report counts",
			okWithState(HeaderOK, "", schema, sysvarEntry("time_zone", "+00:00"), sysvarEntry("last_gtid", "0-1-45"), sysvarEntry("last_gtid", "0-1-46")),
			"0-1-46", true, okWithState(HeaderOK, "")},
		{"a change of another variable only", okWithState(HeaderOK, "", sysvarEntry("autocommit", "ON")),
			"", false, okWithState(HeaderOK, "")},
		{"an OK without state", okWithState(HeaderOK, matched),
			"", false, okWithState(HeaderOK, matched)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gtid, found := TrackedVariable(tc.packet, "last_gtid")
			if gtid != tc.gtid || found != tc.found {
				t.Errorf("last_gtid = %q, %v; want %q, %v", gtid, found, tc.gtid, tc.found)
			}
			got, ok := StripSessionState([]byte("kept"), tc.packet)
			if !ok || !bytes.Equal(got, append([]byte("kept"), tc.stripped...)) {
				t.Errorf("stripped to %x, %v; want kept+%x", got, ok, tc.stripped)
			}
			if parsed, _ := ParseOK(got[4:]); parsed.Status&StatusSessionStateChanged != 0 || parsed.AffectedRows != 1 || parsed.LastInsertID != 7 {
				t.Errorf("the stripped packet reads as %+v", parsed)
			}
		})
	}
}

// A packet cut short in its state is not taken apart (the relay then
// passes it on as it came, and trusts no GTID from it).
func TestSessionStateOfABrokenOK(t *testing.T) {
	full := okWithState(HeaderOK, "", sysvarEntry("last_gtid", "0-1-42"))
	for cut := len(full) - 1; cut > 7; cut-- {
		p := full[:cut]
		if _, found := TrackedVariable(p, "last_gtid"); found {
			t.Errorf("cut at %d of %d: a GTID was read", cut, len(full))
		}
		if out, ok := StripSessionState(nil, p); ok {
			t.Errorf("cut at %d of %d: stripped to %x", cut, len(full), out)
		}
	}
}
