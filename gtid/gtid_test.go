package gtid

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0-1-42", "0-1-42"},
		{" 0-1-42, 1-2-7,junk,2-x-1", "0-1-42,1-2-7"},
		{"1-2-7,0-1-42", "0-1-42,1-2-7"},
		{"0-1-5,0-2-9,0-1-7", "0-2-9"}, // the highest of a domain, whichever server
		{"", ""},
		{"0-1", ""},
		{"0-1-2-3", ""},
		{"-1-1-1", ""},
		{"4294967296-1-1", ""}, // a domain id is 32 bits
	} {
		if got := Parse(tc.in).String(); got != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"0-1-42", "0-1-42", true},
		{"0-1-42", "0-1-41", true},
		{"0-1-42", "0-1-43", false},
		{"0-2-42", "0-1-41", true}, // a new primary's numbers go on from the old one's
		{"0-1-42", "1-1-1", false}, // a domain p never saw
		{"0-1-42,1-1-1", "1-1-1", true},
		{"", "", true},
		{"0-1-1", "", true},
		{"", "0-1-1", false},
	} {
		if got := Parse(tc.a).Covers(Parse(tc.b)); got != tc.want {
			t.Errorf("%q covers %q = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestMergeLeavesItsInputsAlone(t *testing.T) {
	a, b := Parse("0-1-5,1-1-9"), Parse("0-1-7,2-3-1")
	if got := a.Merge(b).String(); got != "0-1-7,1-1-9,2-3-1" {
		t.Fatalf("merge = %q", got)
	}
	if a.String() != "0-1-5,1-1-9" || b.String() != "0-1-7,2-3-1" {
		t.Fatalf("merge changed an input: %q, %q", a, b)
	}
}

// A replica read under consistency: global: what it must wait for, as
// writes are acknowledged and servers are found to have them or not.
func TestMarks(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMarks()
	check := func(step, primary, addr, wantText string, wantPrimary bool) {
		t.Helper()
		if w := m.Need(primary, addr, now); w.Text != wantText || w.Primary != wantPrimary {
			t.Fatalf("%s: Need(%s, %s) = %q, primary %v; want %q, %v", step, primary, addr, w.Text, w.Primary, wantText, wantPrimary)
		}
	}
	check("before the primary's position is known", "main", "r1", "", true)
	if !m.Need("main", "r1", now).Settle {
		t.Fatal("the first read from a primary is not asked to settle its position")
	}
	m.Settle("main", "")
	check("a primary that never wrote", "main", "r1", "", false)
	m.Wrote("main", "")
	check("a statement that wrote no transaction", "main", "r1", "", false)

	m.Wrote("main", "0-1-10")
	check("after a write", "main", "r1", "0-1-10", false)
	check("another primary, not settled", "other", "r1", "", true)
	m.Wrote("other", "0-7-3")
	check("a write before the primary was settled, which may not hold all before it", "other", "r1", "", true)
	m.Wrote("main", "0-1-9") // recorded late by a slower session
	check("an older write recorded later", "main", "r1", "0-1-10", false)

	w := m.Need("main", "r1", now)
	m.Reached("r1", w, now)
	check("r1 has applied it", "main", "r1", "", false)
	check("r2 not known to", "main", "r2", "0-1-10", false)

	w = m.Need("main", "r2", now)
	m.Missed("r2", w, now.Add(10*time.Millisecond))
	check("r2 found short of it", "main", "r2", "", true)
	now = now.Add(20 * time.Millisecond)
	check("r2 asked again once its wait is over", "main", "r2", "0-1-10", false)

	m.Wrote("main", "0-1-11")
	check("r1 after a newer write", "main", "r1", "0-1-11", false)
	w = m.Need("main", "r1", now)
	m.Reached("r1", w, now)
	check("r1 has applied that too", "main", "r1", "", false)
	now = now.Add(AppliedMaxAge)
	check("r1's position seen too long ago (it may have been rebuilt)", "main", "r1", "0-1-11", false)
	m.Unknown("main")
	check("a write whose position is unknown", "main", "r1", "", true)
	if !m.Need("main", "r1", now).Settle {
		t.Fatal("a read after a write of unknown position is not asked to settle it")
	}
	m.Wrote("main", "0-1-12")
	check("a write recorded after it, which may have committed before", "main", "r1", "", true)
	m.Settle("main", "0-1-14,1-1-3")
	check("the primary's binlog position read after it", "main", "r1", "0-1-14,1-1-3", false)
	if got := m.Written("main"); got != "0-1-14,1-1-3" {
		t.Fatalf("Written = %q", got)
	}
}

// While another Strata process finishes its clients after a handover,
// every read settles on the primary; after it, the first read settles
// once more and replicas serve again.
func TestMarksHoldDuringAHandover(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMarks()
	m.Settle("main", "0-1-5")
	m.Hold()
	for i := 0; i < 2; i++ {
		if w := m.Need("main", "r1", now); !w.Primary || !w.Settle {
			t.Fatalf("read %d while held: %+v, want the primary, settled", i, w)
		}
		m.Settle("main", "0-1-6")
	}
	m.Release()
	if w := m.Need("main", "r1", now); !w.Primary || !w.Settle {
		t.Fatalf("first read after Release: %+v, want the primary, settled (the other process's last writes)", w)
	}
	m.Settle("main", "0-1-9")
	if w := m.Need("main", "r1", now); w.Primary || w.Text != "0-1-9" {
		t.Fatalf("after settling: %+v, want a wait for 0-1-9 on the replica", w)
	}
}
