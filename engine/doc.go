// Package engine merges rows that several shards return for one query
// (scatter-gather), without any network code: rows arrive through the
// RowStream and Source interfaces as decoded MySQL text-protocol values.
//
// The primitives compose. A typical plan for
//
//	SELECT g, COUNT(*) FROM t GROUP BY g ORDER BY g LIMIT 10 OFFSET 5
//
// sends "... GROUP BY g ORDER BY g" to every shard, then reads
//
//	NewLimit(NewAggregate(NewMergeSort(cmp, shards...), spec), 5, 10)
//
// Every stream returns io.EOF only after a complete answer. An error from
// any source ends the stream with that error (naming the source) and
// never with io.EOF, so a caller cannot mistake a partial result for a
// whole one.
package engine
