// Package shard maps shard-key values to shards, as pure functions.
//
// It covers the hand-sharding layouts described in "Scaling a PHP MySQL Web
// Application, Part 2" so that Strata can sit in front of an existing layout
// without moving rows:
//
//   - modulo: shard = key mod N ("interlaced rows"), shards in list order.
//   - hash: 64-bit hash of the key, split into Vitess-style hex keyranges.
//   - range: half-open integer ranges.
//   - date: date ranges choose the shard, and every period (day, month,
//     year) has its own table, e.g. posts_2024_06.
//   - key_range: half-open string ranges by binary comparison.
//   - lookup: key -> shard through a lookup table whose I/O lives elsewhere.
//
// Nothing here does I/O except through the Lookup and BlockSource
// interfaces, which callers implement. Constructors validate the layout
// (no gaps, no overlaps, whole key space covered) so a bad config fails at
// load time instead of silently losing rows at query time.
package shard
