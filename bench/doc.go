// Package bench holds Strata's proxy-overhead benchmarks: Go benchmarks that
// run the same go-sql-driver workload against a MariaDB replica directly and
// through Strata, interleaved, and report the ratio. `make bench`
// (scripts/bench.sh) brings up the topology in benchcfg/, runs sysbench and
// these benchmarks, and writes docs/BENCHMARKS.md.
//
// Without STRATA_BENCH_DIRECT and STRATA_BENCH_STRATA in the environment the
// benchmarks skip, so `go test ./...` passes quickly without servers:
//
//	STRATA_BENCH_DIRECT='strata:strata@tcp(127.0.0.1:15307)/sbtest' \
//	STRATA_BENCH_STRATA='app:app@tcp(127.0.0.1:16033)/sbtest' \
//	go test -run '^$' -bench . -benchtime 3s ./bench/
package bench
