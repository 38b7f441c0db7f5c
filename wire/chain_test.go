package wire

import "testing"

func TestMarkMoreResults(t *testing.T) {
	cases := []struct {
		name     string
		p        []byte
		okLayout bool
		want     uint16 // status after; 0 when the packet is too short
	}{
		{"OK", AppendOK(nil, HeaderOK, 3, 7, StatusAutocommit, 1), true, StatusAutocommit | StatusMoreResults},
		{"OK with long counts", AppendOK(nil, HeaderOK, 1<<20, 1<<40, StatusInTrans, 0), true, StatusInTrans | StatusMoreResults},
		{"terminal OK 0xfe", AppendOK(nil, HeaderEOF, 0, 0, StatusAutocommit, 2), true, StatusAutocommit | StatusMoreResults},
		{"EOF", AppendEOF(nil, StatusAutocommit, 5), false, StatusAutocommit | StatusMoreResults},
		{"short OK", []byte{HeaderOK, 0, 0, 2}, true, 0},
		{"short EOF", []byte{HeaderEOF, 0, 0}, false, 0},
		{"truncated length", []byte{HeaderOK, 0xfd, 1}, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]byte(nil), tc.p...)
			ok := MarkMoreResults(tc.p, tc.okLayout)
			if tc.want == 0 {
				if ok || string(before) != string(tc.p) {
					t.Fatalf("a packet too short to hold the flags was changed: % x → % x", before, tc.p)
				}
				return
			}
			var got uint16
			if tc.okLayout {
				o, _ := ParseOK(tc.p)
				got = o.Status
			} else {
				got = EOFStatus(tc.p)
			}
			if !ok || got != tc.want {
				t.Fatalf("status %#x (ok %v), want %#x", got, ok, tc.want)
			}
			if w, _ := ParseOK(tc.p); tc.okLayout && w.Warnings != mustOK(before).Warnings {
				t.Fatal("the warning count changed")
			}
		})
	}
	var nilChain *Chain
	if nilChain.Status(StatusAutocommit) != StatusAutocommit || (&Chain{More: true}).Status(0) != StatusMoreResults {
		t.Fatal("Chain.Status")
	}
}

func mustOK(p []byte) OK { o, _ := ParseOK(p); return o }
