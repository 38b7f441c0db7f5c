package planner

import (
	"fmt"
	"testing"
)

// BenchmarkParseInlinedValues is a statement stream of an application
// that inlines its values (PHP PDO's default, emulated prepares): a point
// select whose id is new every time, over a million rows. Each text is
// new to the facts cache; its shape is not.
func BenchmarkParseInlinedValues(b *testing.B) {
	p := New(nil)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = fmt.Appendf(buf[:0], "SELECT c FROM sbtest1 WHERE id=%d", (i*7919)%1000000+1)
		if p.ParseBytes(buf).Summary == nil {
			b.Fatal("no facts")
		}
	}
}

// BenchmarkParseRepeatedText is the same statement text every time (a
// server-side prepared statement, or a constant query): the facts cache's
// best case, for comparison.
func BenchmarkParseRepeatedText(b *testing.B) {
	p := New(nil)
	buf := []byte("SELECT c FROM sbtest1 WHERE id=5023")
	b.ReportAllocs()
	for b.Loop() {
		if p.ParseBytes(buf).Summary == nil {
			b.Fatal("no facts")
		}
	}
}
