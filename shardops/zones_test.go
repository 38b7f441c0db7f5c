package shardops

import "testing"

// A session's time_zone reads TIMESTAMP literals as the servers' does
// where it is the same zone: the same name, or equal fixed offsets (UTC
// and +00:00). Then Strata asks the servers nothing; anywhere else it
// asks them, so a zone it cannot prove the same is never taken as such.
func TestSameZone(t *testing.T) {
	for _, c := range []struct {
		zone, global, system string
		same                 bool
	}{
		{"+00:00", "SYSTEM", "UTC", true},
		{"-00:00", "+00:00", "", true},
		{"UTC", "SYSTEM", "UTC", true},
		{"SYSTEM", "SYSTEM", "CET", true},
		{"+02:00", "+02:00", "", true},
		{"Europe/Berlin", "Europe/Berlin", "", true},
		{"+02:00", "SYSTEM", "UTC", false},
		{"+01:00", "SYSTEM", "CET", false}, // CET keeps summer time
		{"+00:00", "SYSTEM", "GMT", true},
		{"+05:30", "+05:30", "", true},
		{"+05:30", "+05:00", "", false},
		{"Europe/London", "SYSTEM", "UTC", false},
		{"+25:00", "+25:00", "", true}, // the same text, whatever it means
		{"+25:00", "SYSTEM", "UTC", false},
	} {
		if got := SameZone(c.zone, c.global, c.system); got != c.same {
			t.Errorf("SameZone(%q, %q, %q) = %v, want %v", c.zone, c.global, c.system, got, c.same)
		}
	}
}
