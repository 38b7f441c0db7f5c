package sqlparse

import "testing"

var benchQueries = []struct{ name, sql string }{
	{"point_select", "SELECT c FROM sbtest1 WHERE id=123"},
	{"join", "SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id " +
		"LEFT JOIN shipments s ON s.order_id = o.id WHERE o.created_at > '2024-01-01' AND c.country IN ('DE', 'FR') " +
		"ORDER BY o.created_at DESC LIMIT 50"},
	{"insert", "INSERT INTO sbtest1 (id, k, c, pad) VALUES (123, 456, 'abc', 'def')"},
	{"set_names", "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"},
}

// BenchmarkClassify measures the per-query cost on the router's hot path:
// parse, walk, classify, hint scan and digest.
func BenchmarkClassify(b *testing.B) {
	for _, q := range benchQueries {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Classify(q.sql); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClassifyParallel checks that the parser pool scales across
// goroutines.
func BenchmarkClassifyParallel(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Classify(benchQueries[0].sql); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkParts splits the point-select cost into parse and digest.
func BenchmarkParts(b *testing.B) {
	sql := benchQueries[0].sql
	b.Run("parse_only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (Mode{}).parseAST(sql); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("digest_only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = digest(sql)
		}
	})
	b.Run("fallback", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ClassifyFallback(sql)
		}
	})
}
