package gtid

import (
	"testing"
	"time"
)

// What consistency: global adds to a replica read when the replica is
// known to have every acknowledged write (the quiet case: no wait query),
// and to a write's recording.
func BenchmarkMarksNeedApplied(b *testing.B) {
	m := NewMarks()
	now := time.Now()
	m.Settle("127.0.0.1:13306", "0-1-100")
	m.Reached("127.0.0.1:13307", m.Need("127.0.0.1:13306", "127.0.0.1:13307", now), now)
	b.ReportAllocs()
	for b.Loop() {
		if w := m.Need("127.0.0.1:13306", "127.0.0.1:13307", now); w.Text != "" || w.Primary {
			b.Fatal("a wait in the quiet case")
		}
	}
}

func BenchmarkMarksWrote(b *testing.B) {
	m := NewMarks()
	m.Settle("127.0.0.1:13306", "0-1-1")
	gtids := []string{"0-1-2", "0-1-3", "0-1-4", "0-1-5"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Wrote("127.0.0.1:13306", gtids[i%len(gtids)])
		i++
	}
}
