#!/usr/bin/env bash
# Proxy-overhead benchmark of Strata: `make bench` runs it (after make deps).
#
# Brings up the topology of bench/benchcfg/strata.yaml (a MariaDB primary on
# 127.0.0.1:15306 and a replica on :15307), loads a 10k-row sysbench table on
# the primary, then measures the SAME replica through several targets, in
# the same run and interleaved (each round runs every target once; even
# rounds reverse the order):
#   direct         the replica itself;
#   relay          bench/nullproxy (:16034), a Go stdlib TCP relay;
#   crelay         bench/crelay (:16036), a C relay with one blocking thread
#                  per direction: the floor for any proxy (skipped, with a
#                  note, if no C compiler can be had);
#   strata         Strata with strata.yaml (:16033, admin :16080): the
#                  headline, whose reads go to that replica over TCP;
#   strata-socket  Strata with strata-socket.yaml (:16037, admin :16081):
#                  reaches the servers through their Unix sockets;
#   strata-cache   Strata with strata-cache.yaml (:16038, admin :16082): a
#                  60 s result-cache rule on the benchmark table;
#   strata-1thread Strata with strata-1thread.yaml (:16039, admin :16083):
#                  `threads: 1`, Go code on one OS thread;
#   strata-nopoll  Strata with strata-nopoll.yaml (:16035, admin :16084):
#                  `busy_poll: 0s`, every wait sleeps at once;
#   strata-poll40  Strata with strata-poll40.yaml (:16041, admin :16086):
#                  `busy_poll: 40us`, the earlier default;
#   strata-prepared Strata with strata-prepared.yaml (:16040, admin :16085):
#                  `backend.prepare_text_reads`, text SELECTs run as
#                  prepared statements on the replica.
# It measures:
#   - sysbench oltp_point_select and oltp_read_only, 4 threads, for
#     --db-ps-mode=auto (server-side prepared statements) and disable;
#   - CPU time and read/write syscalls per query of each proxy process;
#   - a CPU profile of the default Strata during point selects (pprof top
#     in bench/out/);
#   - the Go benchmarks of bench/ (go-sql-driver point select, interpolated
#     and prepared, and a 10k-row streaming read; direct, relay, Strata);
#   - then bench/poolbench and bench/shardbench, which append their sections.
# It rewrites docs/BENCHMARKS.md with the results; raw outputs, logs and
# profiles go to bench/out/ (ignored by git). About 12 minutes with defaults.
#
# Only loopback addresses are used. Everything it starts is stopped on exit,
# and the sandbox's data is removed (BENCH_KEEP=1 leaves servers and proxies
# running for a look). Running it again starts from scratch.
#
# Knobs (environment): BENCH_TIME seconds per sysbench run (default 10),
# BENCH_ROUNDS rounds per cell (default 2: every target, then the same in
# reverse), BENCH_THREADS (4), BENCH_TABLE_SIZE (10000),
# BENCH_GOTIME go test -benchtime (3s), BENCH_PROFILE_TIME seconds of each
# profiled run (10), BENCH_DOC output file (docs/BENCHMARKS.md).
set -euo pipefail
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/.." # paths below are relative to the repository root

CONF=bench/benchcfg/strata.yaml # also the sandbox's: the only one for sandbox up/down
SOCKET_CONF=bench/benchcfg/strata-socket.yaml
CACHE_CONF=bench/benchcfg/strata-cache.yaml
THREAD_CONF=bench/benchcfg/strata-1thread.yaml
NOPOLL_CONF=bench/benchcfg/strata-nopoll.yaml
POLL40_CONF=bench/benchcfg/strata-poll40.yaml
PREPARED_CONF=bench/benchcfg/strata-prepared.yaml
OUT=bench/out
BIN=$OUT/strata
RELAY_BIN=$OUT/nullproxy
CRELAY_SRC=bench/crelay/crelay.c
CRELAY_BIN=$OUT/crelay
DOC=${BENCH_DOC:-docs/BENCHMARKS.md}
HOST=127.0.0.1
# These match the configs.
PRIMARY_PORT=15306
REPLICA_PORT=15307
STRATA_PORT=16033 ADMIN_PORT=16080               # $CONF
SOCKET_PORT=16037 SOCKET_ADMIN_PORT=16081        # $SOCKET_CONF
CACHE_PORT=16038 CACHE_ADMIN_PORT=16082          # $CACHE_CONF
THREAD_PORT=16039 THREAD_ADMIN_PORT=16083        # $THREAD_CONF
NOPOLL_PORT=16035 NOPOLL_ADMIN_PORT=16084        # $NOPOLL_CONF
POLL40_PORT=16041 POLL40_ADMIN_PORT=16086        # $POLL40_CONF
PREPARED_PORT=16040 PREPARED_ADMIN_PORT=16085    # $PREPARED_CONF
RELAY_PORT=16034                                 # bench/nullproxy, not in a config
CRELAY_PORT=16036                                # bench/crelay, not in a config
DIRECT_USER=strata DIRECT_PASS=strata # the backend account Strata itself uses
APP_USER=app APP_PASS=app             # Strata's client account
DB=sbtest

# Per target: port, and for the proxies their admin port (Strata) and config.
declare -A PORT=([direct]=$REPLICA_PORT [relay]=$RELAY_PORT [crelay]=$CRELAY_PORT
	[strata]=$STRATA_PORT [strata-socket]=$SOCKET_PORT [strata-cache]=$CACHE_PORT [strata-1thread]=$THREAD_PORT [strata-nopoll]=$NOPOLL_PORT [strata-poll40]=$POLL40_PORT [strata-prepared]=$PREPARED_PORT)
declare -A ADMIN=([strata]=$ADMIN_PORT [strata-socket]=$SOCKET_ADMIN_PORT [strata-cache]=$CACHE_ADMIN_PORT [strata-1thread]=$THREAD_ADMIN_PORT [strata-nopoll]=$NOPOLL_ADMIN_PORT [strata-poll40]=$POLL40_ADMIN_PORT [strata-prepared]=$PREPARED_ADMIN_PORT)
declare -A STRATA_CONF=([strata]=$CONF [strata-socket]=$SOCKET_CONF [strata-cache]=$CACHE_CONF [strata-1thread]=$THREAD_CONF [strata-nopoll]=$NOPOLL_CONF [strata-poll40]=$POLL40_CONF [strata-prepared]=$PREPARED_CONF)
# Every Strata process; the default (strata) first, the others are compared with it.
STRATA_TARGETS=(strata strata-nopoll strata-poll40 strata-1thread strata-socket strata-prepared strata-cache)
declare -A PIDS=() # target -> pid of its proxy process, while it runs

TIME=${BENCH_TIME:-10}
ROUNDS=${BENCH_ROUNDS:-2}
THREADS=${BENCH_THREADS:-4}
TABLE_SIZE=${BENCH_TABLE_SIZE:-10000}
GOTIME=${BENCH_GOTIME:-3s}
PROFILE_TIME=${BENCH_PROFILE_TIME:-10}
WORKLOADS=(oltp_point_select oltp_read_only)
PSMODES=(auto disable)
TARGETS=(direct relay crelay strata strata-nopoll strata-poll40 strata-1thread strata-socket strata-prepared strata-cache) # crelay is dropped if it cannot be built
TARGET_RATIO=0.6 # Strata >= 0.6x direct QPS on oltp_point_select

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- checks
for tool in sysbench mariadbd mariadb mariadb-install-db go ss; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run make deps"
done

mkdir -p "$OUT" "$OUT/sysbench" "$(dirname "$DOC")"
SYSBENCH_PID=
failures=() # human-readable problems, reported in the doc and the exit code
notes=()    # things skipped on purpose, reported in the doc

sandbox() { "$BIN" sandbox "$@" -c "$CONF"; }
strata_log() { echo "$OUT/$1.log"; } # strata.log, strata-socket.log, strata-cache.log

# stop_proc TARGET: SIGINT to its proxy (Strata flushes a CPU profile on
# it; the relays exit on it), SIGKILL after 10 s.
stop_proc() {
	local t=$1 pid=${PIDS[$1]:-}
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$t (pid $pid) ignored SIGINT for 10s; killing it"
			failures+=("$t did not exit within 10 s of SIGINT (killed)")
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	unset "PIDS[$t]"
	rm -f "$OUT/$t.pid"
}

cleanup() {
	local rc=$? t
	trap - EXIT INT TERM
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		log "BENCH_KEEP=1: leaving the sandbox and these running:"
		for t in "${!PIDS[@]}"; do log "  $t: pid ${PIDS[$t]}, $HOST:${PORT[$t]}"; done
		log "stop them with: kill -INT ${PIDS[*]}; $BIN sandbox down -c $CONF"
		exit "$rc"
	fi
	if [ -n "$SYSBENCH_PID" ]; then
		kill -TERM "$SYSBENCH_PID" 2>/dev/null || true # timeout passes it on to sysbench
		wait "$SYSBENCH_PID" 2>/dev/null || true
	fi
	for t in "${!PIDS[@]}"; do stop_proc "$t"; done
	if [ -x "$BIN" ] && [ -d "$OUT/sandbox" ]; then
		sandbox down -q >/dev/null 2>&1 || log "sandbox down failed; run: $BIN sandbox down -c $CONF"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Proxies left behind by an interrupted BENCH_KEEP run of this script: each
# has a pid file; stop the process only if it still runs one of our binaries.
for pidfile in "$OUT"/*.pid; do
	[ -f "$pidfile" ] || continue
	old=$(cat "$pidfile")
	argv0=$(tr '\0' '\n' 2>/dev/null <"/proc/$old/cmdline" | head -n 1 || true)
	if [ -n "$old" ] && { [ "$argv0" = "$BIN" ] || [ "$argv0" = "$RELAY_BIN" ] || [ "$argv0" = "$CRELAY_BIN" ]; }; then
		log "stopping $(basename "$pidfile" .pid) of an earlier run (pid $old)"
		kill -INT "$old" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$old" 2>/dev/null || true
	fi
	rm -f "$pidfile"
done
# Fresh logs: the problems section counts the warnings of this run only.
for t in "${STRATA_TARGETS[@]}"; do : >"$(strata_log "$t")"; done

# ---------------------------------------------------------------- build
log "building $BIN, $RELAY_BIN and $CRELAY_BIN"
go build -o "$BIN" ./cmd/strata
go build -o "$RELAY_BIN" ./bench/nullproxy
if ! command -v cc >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	log "no C compiler: installing gcc for bench/crelay (log: $OUT/apt-gcc.log)"
	apt_opts=(-q -y -o DPkg::Lock::Timeout=600)
	{ DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update &&
		DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install --no-install-recommends gcc libc6-dev; } \
		>"$OUT/apt-gcc.log" 2>&1 </dev/null || log "apt-get install gcc failed (see $OUT/apt-gcc.log)"
fi
rm -f "$CRELAY_BIN"
if ! command -v cc >/dev/null 2>&1; then
	log "no C compiler (cc): skipping the crelay target"
	notes+=("crelay was not measured: no C compiler (\`cc\`) on this machine and none could be installed.")
elif ! cc -O2 -Wall -Wextra -pthread -o "$CRELAY_BIN" "$CRELAY_SRC" 2>"$OUT/crelay-build.log"; then
	cat "$OUT/crelay-build.log" >&2
	log "building $CRELAY_BIN failed: skipping the crelay target"
	failures+=("cc could not build $CRELAY_SRC (see $OUT/crelay-build.log); crelay was not measured")
fi
if [ ! -x "$CRELAY_BIN" ]; then
	kept=()
	for t in "${TARGETS[@]}"; do [ "$t" = crelay ] || kept+=("$t"); done
	TARGETS=("${kept[@]}")
fi
have_target() { local t; for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

# Servers of an earlier run of this script: start from scratch.
if [ -d "$OUT/sandbox" ]; then
	log "removing the sandbox of an earlier run"
	sandbox down -q >/dev/null
fi
PORTS=("$PRIMARY_PORT" "$REPLICA_PORT" "$STRATA_PORT" "$ADMIN_PORT" "$SOCKET_PORT" "$SOCKET_ADMIN_PORT" "$CACHE_PORT" "$CACHE_ADMIN_PORT" "$THREAD_PORT" "$THREAD_ADMIN_PORT" "$NOPOLL_PORT" "$NOPOLL_ADMIN_PORT" "$POLL40_PORT" "$POLL40_ADMIN_PORT" "$PREPARED_PORT" "$PREPARED_ADMIN_PORT" "$RELAY_PORT" "$CRELAY_PORT")
for port in "${PORTS[@]}"; do
	if [ -n "$(ss -Hltn "sport = :$port")" ]; then
		die "port $port is in use by another process (ss -ltnp 'sport = :$port'); the bench needs ports ${PORTS[*]}"
	fi
done

# ---------------------------------------------------------------- servers
# The query cache is off, as in a default MariaDB: with it on, every point
# select is a cache hit and the comparison says little about real servers
# (and see docs/BENCHMARKS.md for a cache interaction with Strata).
log "starting the sandbox (primary :$PRIMARY_PORT, replica :$REPLICA_PORT)"
sandbox up -q -o query_cache_type=0 -o query_cache_size=0 >"$OUT/sandbox-up.log" 2>&1 ||
	{ cat "$OUT/sandbox-up.log" >&2; die "sandbox up failed"; }

my() { # my PORT USER PASS SQL...: one statement, tab-separated, no headers
	local port=$1 user=$2 pass=$3
	shift 3
	mariadb --protocol=tcp -h"$HOST" -P"$port" -u"$user" ${pass:+-p"$pass"} -N -B -e "$*"
}

SB_COMMON=(--db-driver=mysql --mysql-host="$HOST" --mysql-db="$DB" --tables=1 --table-size="$TABLE_SIZE")

log "preparing $DB.sbtest1 ($TABLE_SIZE rows) on the primary"
my $PRIMARY_PORT root "" "CREATE DATABASE IF NOT EXISTS $DB"
sysbench oltp_read_only "${SB_COMMON[@]}" --mysql-port=$PRIMARY_PORT --mysql-user=root prepare >"$OUT/sysbench/prepare.txt" 2>&1 ||
	{ cat "$OUT/sysbench/prepare.txt" >&2; die "sysbench prepare failed"; }
sandbox wait -q || die "the replica did not catch up"
rows=$(my $REPLICA_PORT root "" "SELECT COUNT(*) FROM $DB.sbtest1")
[ "$rows" = "$TABLE_SIZE" ] || die "replica has $rows rows in $DB.sbtest1, want $TABLE_SIZE"

# ---------------------------------------------------------------- proxies
# wait_accepting TARGET USER PASS: until a query through the target works.
wait_accepting() {
	local t=$1 user=$2 pass=$3 logf=$OUT/$1.log
	for _ in $(seq 1 100); do
		if my "${PORT[$t]}" "$user" "$pass" "SELECT 1" >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "${PIDS[$t]}" 2>/dev/null; then
			tail -n 20 "$logf" >&2
			[ "$t" != strata-socket ] || log "(does this Strata know backend.sockets? see $SOCKET_CONF)"
			die "$t exited at start (log: $logf)"
		fi
		sleep 0.1
	done
	tail -n 20 "$logf" >&2
	die "$t did not accept connections on $HOST:${PORT[$t]} within 10s (log: $logf)"
}

start_strata() { # start_strata TARGET [PROFILE_FILE]
	local t=$1 logf
	local args=(serve -c "${STRATA_CONF[$t]}")
	[ -z "${2:-}" ] || args+=(-cpuprofile "$2")
	logf=$(strata_log "$t")
	echo "=== $(date -u +%FT%TZ) strata ${args[*]}" >>"$logf"
	"$BIN" "${args[@]}" >>"$logf" 2>&1 &
	PIDS[$t]=$!
	echo "${PIDS[$t]}" >"$OUT/$t.pid"
	wait_accepting "$t" $APP_USER $APP_PASS
}

start_relay() { # start_relay TARGET BINARY: nullproxy or crelay, to the replica
	local t=$1
	"$2" -listen "$HOST:${PORT[$t]}" -to "$HOST:$REPLICA_PORT" >"$OUT/$t.log" 2>&1 &
	PIDS[$t]=$!
	echo "${PIDS[$t]}" >"$OUT/$t.pid"
	wait_accepting "$t" $DIRECT_USER $DIRECT_PASS
}

io_calls() { # "read-syscalls write-syscalls" of a process (/proc/PID/io)
	awk '$1=="syscr:"{r=$2} $1=="syscw:"{w=$2} END{print r+0, w+0}' "/proc/$1/io" 2>/dev/null || echo "0 0"
}

cpu_ticks() { # user+system clock ticks of a process
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $((${12} + ${13}))
}
HZ=$(getconf CLK_TCK)

# ipi_count: reschedule and function-call interrupts so far, all CPUs. Each
# is one CPU waking a task on (or kicking) the other: the scheduler sends
# one when a wake-up lands on another CPU. On this VM they are costly, and
# their number per query predicts a target's QPS better than its own CPU
# (docs/performance.md, "Cross-CPU wake-ups").
ipi_count() {
	awk '$1=="RES:" || $1=="CAL:" { for (i=2; i<=NF && $i ~ /^[0-9]+$/; i++) n+=$i } END { printf "%d\n", n }' /proc/interrupts 2>/dev/null || echo 0
}
REPLICA_PID=$(cat "$OUT/sandbox/$HOST-$REPLICA_PORT/mariadbd.pid")

replica_status() { # "Com_select Com_stmt_execute" of the replica
	my $REPLICA_PORT root "" "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select','Com_stmt_execute')" |
		awk '$1=="Com_select"{s=$2} $1=="Com_stmt_execute"{e=$2} END{print s+0, e+0}'
}

# strata_queries ADMIN_PORT: "cache-answers all-statements" from a Strata's
# strata_queries_total (route="cache" counts answers from its result cache),
# or "-1 -1" when the metrics cannot be read.
strata_queries() {
	local m
	if command -v curl >/dev/null 2>&1 && m=$(curl -fsS --max-time 3 "http://$HOST:$1/metrics" 2>/dev/null); then
		awk '/^strata_queries_total\{/ { n += $NF; if ($0 ~ /route="cache"/) c += $NF } END { printf "%d %d\n", c, n }' <<<"$m"
	else
		echo "-1 -1"
	fi
}

# results.tsv: one line per measured run. proxy_statements and cache_hits
# are deltas of a Strata's strata_queries_total (all, route="cache"); -1
# for the other targets.
RESULTS=$OUT/results.tsv
printf 'workload\tps\ttarget\tround\tqps\tp95_ms\tqueries\terrors\treplica_select\treplica_stmt_execute\tproxy_cpu_s\treplica_cpu_s\tok\tproxy_read_calls\tproxy_write_calls\tproxy_statements\tcache_hits\tcross_cpu_wakeups\n' >"$RESULTS"

# run_sysbench WORKLOAD PS TARGET ROUND SECONDS [OUTFILE]: one measured run;
# appends to $RESULTS unless ROUND is "-" (warm-up, profile).
run_sysbench() {
	local wl=$1 ps=$2 target=$3 round=$4 secs=$5
	local out=${6:-$OUT/sysbench/$wl-$ps-$target-r$round.txt}
	local port=${PORT[$target]} user=$DIRECT_USER pass=$DIRECT_PASS extra=()
	local proxy_pid=${PIDS[$target]:-0} admin=${ADMIN[$target]:-}
	case $target in strata*) user=$APP_USER pass=$APP_PASS ;; esac
	# oltp_read_only wraps its queries in BEGIN/COMMIT by default; Strata sends
	# transactions to the primary by design, so skip them to compare the
	# same replica on both sides.
	[ "$wl" = oltp_read_only ] && extra+=(--skip-trx=on)
	local cmd=(sysbench "$wl" "${SB_COMMON[@]}" --mysql-port="$port" --mysql-user="$user" --mysql-password="$pass"
		--threads="$THREADS" --time="$secs" --db-ps-mode="$ps" --percentile=95 "${extra[@]}" run)
	local st0 st1 sc0 sc1 rc0 rc1 io0 io1 ip0 ip1 mq0="-1 -1" mq1="-1 -1" ok=1 rc=0
	st0=$(replica_status)
	[ -z "$admin" ] || mq0=$(strata_queries "$admin")
	io0=$(io_calls "$proxy_pid")
	sc0=$(cpu_ticks "$proxy_pid")
	rc0=$(cpu_ticks "$REPLICA_PID")
	ip0=$(ipi_count)
	echo "# ${cmd[*]}" >"$out"
	# In the background with wait, so a signal to this script acts at once.
	timeout --kill-after=5 $((secs + 60)) "${cmd[@]}" >>"$out" 2>&1 &
	SYSBENCH_PID=$!
	wait "$SYSBENCH_PID" || rc=$?
	SYSBENCH_PID=
	ip1=$(ipi_count)
	rc1=$(cpu_ticks "$REPLICA_PID")
	sc1=$(cpu_ticks "$proxy_pid")
	io1=$(io_calls "$proxy_pid")
	[ -z "$admin" ] || mq1=$(strata_queries "$admin")
	st1=$(replica_status)
	local qps p95 queries errors
	qps=$(awk '/^ *queries:/{gsub(/[()]/,"",$3); print $3; exit}' "$out")
	queries=$(awk '/^ *queries:/{print $2; exit}' "$out")
	p95=$(awk '/95th percentile:/{print $3; exit}' "$out")
	errors=$(awk '/ignored errors:/{print $3; exit}' "$out")
	if [ "$rc" -ne 0 ] || [ -z "$qps" ] || grep -q 'FATAL' "$out"; then
		ok=0
		local why="exit $rc"
		[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && why="timed out after $((secs + 60))s (hang?)"
		failures+=("sysbench $wl --db-ps-mode=$ps against $target ($why): $(grep -m3 -E 'FATAL|error|Error' "$out" | tr '\n' ' ' | cut -c1-400)")
		log "FAILED: $wl ps=$ps $target round $round ($why); output in $out"
	fi
	if [ "${errors:-0}" != 0 ]; then
		failures+=("sysbench $wl --db-ps-mode=$ps against $target: $errors ignored errors")
	fi
	log "$wl ps=$ps $target round $round: ${qps:-?} qps, p95 ${p95:-?} ms"
	[ "$round" = - ] && return 0
	local sel exe s0 e0 s1 e1 r0 w0 r1 w1 c0 n0 c1 n1 stmts=-1 hits=-1
	read -r s0 e0 <<<"$st0"
	read -r s1 e1 <<<"$st1"
	read -r r0 w0 <<<"$io0"
	read -r r1 w1 <<<"$io1"
	read -r c0 n0 <<<"$mq0"
	read -r c1 n1 <<<"$mq1"
	sel=$((s1 - s0)) exe=$((e1 - e0))
	if [ "$n0" -ge 0 ] && [ "$n1" -ge 0 ]; then stmts=$((n1 - n0)) hits=$((c1 - c0)); fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$ps" "$target" "$round" "${qps:-0}" "${p95:-0}" \
		"${queries:-0}" "${errors:-0}" "$sel" "$exe" \
		"$(awk -v a="$sc0" -v b="$sc1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')" \
		"$(awk -v a="$rc0" -v b="$rc1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')" "$ok" $((r1 - r0)) $((w1 - w0)) "$stmts" "$hits" $((ip1 - ip0)) >>"$RESULTS"
}

log "starting the proxies: ${TARGETS[*]:1}"
for t in "${STRATA_TARGETS[@]}"; do start_strata "$t"; done
start_relay relay "$RELAY_BIN"
if have_target crelay; then start_relay crelay "$CRELAY_BIN"; fi
T0=$(date +%s)

# Warm-up: buffer pool, Strata's backend pools, page cache of the binaries.
for target in "${TARGETS[@]}"; do run_sysbench oltp_point_select disable "$target" - 3 "$OUT/sysbench/warmup-$target.txt"; done

# strata-socket must reach the replica through its socket, not TCP: its
# pool's connections show up on the replica as strata@localhost, and it has
# no TCP connection to the replica's port.
sock_conns=$(my $REPLICA_PORT root "" "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='$DIRECT_USER' AND HOST='localhost'")
sock_tcp=$(ss -Htnp state established "( dport = :$REPLICA_PORT )" | grep -c "pid=${PIDS[strata-socket]}," || true)
if [ "${sock_conns:-0}" -eq 0 ] || [ "$sock_tcp" -ne 0 ]; then
	failures+=("strata-socket does not seem to use the replica's Unix socket: $sock_conns socket sessions of $DIRECT_USER on the replica, $sock_tcp TCP connections from it to :$REPLICA_PORT")
fi

for wl in "${WORKLOADS[@]}"; do
	for ps in "${PSMODES[@]}"; do
		for round in $(seq 1 "$ROUNDS"); do
			order=("${TARGETS[@]}")
			if [ $((round % 2)) -eq 0 ]; then
				order=()
				for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do order+=("${TARGETS[i]}"); done
			fi
			for target in "${order[@]}"; do run_sysbench "$wl" "$ps" "$target" "$round" "$TIME"; done
		done
	done
done
# Only the Go benchmarks (direct, relay, Strata) and the profile follow.
for t in "${STRATA_TARGETS[@]:1}"; do stop_proc "$t"; done
stop_proc crelay

# ---------------------------------------------------------------- Go benchmarks
log "Go benchmarks (go test -bench . -benchtime $GOTIME ./bench/)"
GOBENCH=$OUT/gobench.txt
if ! STRATA_BENCH_DIRECT="$DIRECT_USER:$DIRECT_PASS@tcp($HOST:$REPLICA_PORT)/$DB" \
	STRATA_BENCH_RELAY="$DIRECT_USER:$DIRECT_PASS@tcp($HOST:$RELAY_PORT)/$DB" \
	STRATA_BENCH_STRATA="$APP_USER:$APP_PASS@tcp($HOST:$STRATA_PORT)/$DB" \
	timeout 300 go test -run '^$' -bench . -benchtime "$GOTIME" -count 1 ./bench/ >"$GOBENCH" 2>&1; then
	failures+=("go test -bench ./bench/ failed: $(grep -m3 -E 'FAIL|panic|Error|error' "$GOBENCH" | tr '\n' ' ' | cut -c1-400)")
	log "Go benchmarks failed; output in $GOBENCH"
fi
cat "$GOBENCH" >&2

# ---------------------------------------------------------------- CPU profiles
# Separate runs, so the profiler does not tax the measured numbers above.
stop_proc strata
for ps in "${PSMODES[@]}"; do
	prof=$OUT/profile-point_select-$ps.prof
	rm -f "$prof"
	log "CPU profile of Strata during oltp_point_select ps=$ps (${PROFILE_TIME}s)"
	start_strata strata "$prof"
	run_sysbench oltp_point_select "$ps" strata - "$PROFILE_TIME" "$OUT/sysbench/profile-$ps.txt"
	stop_proc strata # SIGINT flushes the profile
	go tool pprof -top -nodecount=25 "$BIN" "$prof" >"$OUT/profile-point_select-$ps.txt" 2>/dev/null ||
		failures+=("pprof could not read $prof")
	go tool pprof -traces "$BIN" "$prof" >"$OUT/profile-point_select-$ps.traces" 2>/dev/null || true
done
ELAPSED=$(($(date +%s) - T0))
# ---------------------------------------------------------------- report
log "writing $DOC"

# Per (workload, ps): means over the rounds of each target, then ratios.
summary=$(awk -F'\t' 'NR>1 {
	k=$1"\t"$2; t=$3
	if (!(k in seen)) { seen[k]=1; keys[++n]=k }
	cnt[k,t]++; qps[k,t]+=$5; p95[k,t]+=$6; q[k,t]+=$7; sel[k,t]+=$9; exe[k,t]+=$10
	pcpu[k,t]+=$11; rcpu[k,t]+=$12; if ($13!=1) bad[k]=1; rd[k,t]+=$14; wr[k,t]+=$15
}
function avg(a, k, t) { return cnt[k,t] ? a[k,t]/cnt[k,t] : 0 }
function per(a, k, t) { return q[k,t] ? a[k,t]/q[k,t] : 0 }
function ratio(x, y) { return y > 0 ? x/y : 0 }
END {
	for (i=1; i<=n; i++) {
		k=keys[i]
		if (!cnt[k,"direct"] || !cnt[k,"strata"]) continue
		dq=avg(qps,k,"direct"); rq=avg(qps,k,"relay"); sq=avg(qps,k,"strata")
		dp=avg(p95,k,"direct"); rp=avg(p95,k,"relay"); sp=avg(p95,k,"strata")
		# 1-2 key, 3 dQPS 4 rQPS 5 sQPS 6 s/d 7 r/d 8 s/r 9 dP95 10 rP95 11 sP95 12 sP95/dP95
		printf "%s\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f", k, dq, rq, sq, ratio(sq,dq), ratio(rq,dq), ratio(sq,rq), dp, rp, sp, ratio(sp,dp)
		# 13 strata cpu us/q 14 relay cpu us/q 15-17 replica cpu us/q direct, relay, strata
		printf "\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f", 1e6*per(pcpu,k,"strata"), 1e6*per(pcpu,k,"relay"), 1e6*per(rcpu,k,"direct"), 1e6*per(rcpu,k,"relay"), 1e6*per(rcpu,k,"strata")
		# 18 stmt_execute/q direct 19 via strata 20 select/q via strata 21 failed
		printf "\t%.2f\t%.2f\t%.2f\t%d", per(exe,k,"direct"), per(exe,k,"strata"), per(sel,k,"strata"), bad[k]
		# 22-23 strata read/write syscalls per query 24-25 relay
		printf "\t%.2f\t%.2f\t%.2f\t%.2f\n", per(rd,k,"strata"), per(wr,k,"strata"), per(rd,k,"relay"), per(wr,k,"relay")
	}
}' "$RESULTS")

# Per (workload, ps, target): means over the rounds, one line each, in the
# order of $TARGETS. Fields: 1-3 key, 4 QPS, 5 QPS / direct, 6 QPS / Strata,
# 7 p95 ms, 8 p95 / direct, 9 proxy CPU µs/query (-1: no proxy), 10-11
# proxy read / write syscalls per query, 12 replica CPU µs/query, 13-14
# replica Com_select / COM_STMT_EXECUTE per query, 15 Strata result-cache
# hit ratio (-1: not a Strata or no metrics), 16 any failed run, 17
# cross-CPU wake-ups (IPIs, whole machine) per query.
tsum=$(awk -F'\t' -v targets="${TARGETS[*]}" 'NR>1 {
	k=$1"\t"$2; t=$3
	if (!(k in seen)) { seen[k]=1; keys[++n]=k }
	cnt[k,t]++; qps[k,t]+=$5; p95[k,t]+=$6; q[k,t]+=$7; sel[k,t]+=$9; exe[k,t]+=$10
	pcpu[k,t]+=$11; rcpu[k,t]+=$12; if ($13!=1) bad[k,t]=1; rd[k,t]+=$14; wr[k,t]+=$15
	if ($16 > 0 && $17 >= 0) { stm[k,t]+=$16; hit[k,t]+=$17 }
	ipi[k,t]+=$18
}
function avg(a, k, t) { return cnt[k,t] ? a[k,t]/cnt[k,t] : 0 }
function per(a, k, t) { return q[k,t] ? a[k,t]/q[k,t] : 0 }
function ratio(x, y) { return y > 0 ? x/y : 0 }
END {
	nt = split(targets, tl, " ")
	for (i=1; i<=n; i++) {
		k=keys[i]; dq=avg(qps,k,"direct"); dp=avg(p95,k,"direct"); sq=avg(qps,k,"strata")
		for (j=1; j<=nt; j++) {
			t=tl[j]
			if (!cnt[k,t]) continue
			x=avg(qps,k,t); p=avg(p95,k,t)
			printf "%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f", k, t, x, ratio(x,dq), ratio(x,sq), p, ratio(p,dp)
			if (t == "direct") printf "\t-1\t0\t0"
			else printf "\t%.0f\t%.2f\t%.2f", 1e6*per(pcpu,k,t), per(rd,k,t), per(wr,k,t)
			printf "\t%.0f\t%.2f\t%.2f\t%.4f\t%d\t%.2f\n", 1e6*per(rcpu,k,t), per(sel,k,t), per(exe,k,t), (stm[k,t] > 0 ? hit[k,t]/stm[k,t] : -1), bad[k,t], per(ipi,k,t)
		}
	}
}' "$RESULTS")

tval() { # tval WORKLOAD PS TARGET FIELD: one field of $tsum, empty if absent
	awk -F'\t' -v w="$1" -v p="$2" -v t="$3" -v f="$4" '$1==w && $2==p && $3==t {print $f; exit}' <<<"$tsum"
}
pct() { awk -v x="$1" 'BEGIN{printf "%.1f %%", 100*x}'; }

# A PS check: through Strata with ps-mode=auto the replica must run
# COM_STMT_EXECUTE for (nearly) every query (not for strata-cache, whose
# hits never reach it), and so must it through strata-prepared, which
# prepares sysbench's text statements itself.
while IFS=$'\t' read -r wl ps t _ _ _ _ _ _ _ _ _ _ sx _ _; do
	case $ps/$t in auto/strata | auto/strata-socket | */strata-prepared) ;; *) continue ;; esac
	if awk -v x="$sx" 'BEGIN{exit !(x < 0.9)}'; then
		failures+=("$wl --db-ps-mode=$ps through $t: the replica ran only $sx COM_STMT_EXECUTE per query (server-side prepared statements not used)")
	fi
done <<<"$tsum"

# round_ratios WORKLOAD PS: Strata / direct QPS of each numbered round,
# e.g. "0.52, 0.61". Both ran in the same round, minutes apart at most, so
# the spread shows how much the machine's drift moves the headline.
round_ratios() {
	awk -F'\t' -v w="$1" -v p="$2" 'NR>1 && $1==w && $2==p && $4!="-" {
		if ($3=="direct") d[$4]=$5; else if ($3=="strata") s[$4]=$5
	}
	END {
		for (r=1; r in d || r in s; r++)
			printf "%s%s", (r>1 ? ", " : ""), ((r in d) && (r in s) && d[r]>0 ? sprintf("%.2f", s[r]/d[r]) : "-")
	}' "$RESULTS"
}

# The headline: Strata (strata.yaml) / direct on oltp_point_select; the
# other targets follow for comparison.
target_line=""
while IFS=$'\t' read -r wl ps _ _ _ ratio _ strelay _; do
	[ "$wl" = oltp_point_select ] || continue
	verdict=met
	awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN{exit !(r < t)}' && verdict="NOT met"
	target_line+="- oltp_point_select, ps-mode=$ps: Strata/direct QPS = **$ratio** (target ≥ $TARGET_RATIO: $verdict; round by round: $(round_ratios "$wl" "$ps")); Strata/TCP-relay QPS = $strelay"
	others=""
	for t in crelay "${STRATA_TARGETS[@]:1}"; do
		r=$(tval "$wl" "$ps" "$t" 5)
		[ -n "$r" ] || continue
		others+="${others:+, }$t/direct = $r"
		h=$(tval "$wl" "$ps" "$t" 15)
		if [ "$t" = strata-cache ] && [ -n "$h" ] && [ "$h" != -1 ]; then others+=" (cache hit ratio $(pct "$h"))"; fi
	done
	[ -z "$others" ] || target_line+=". For comparison, not the target: $others"
	target_line+=$'\n'
done <<<"$summary"
# Go benchmarks: name, iterations, µs/op of each target, ratios.
gotable=$(awk '/^Benchmark/ {
	name=$1; sub(/-[0-9]+$/, "", name); delete m
	for (i=3; i<NF; i++) m[$(i+1)]=$i
	if (("direct-ns/op" in m) && ("strata-ns/op" in m))
		printf "| %s | %s | %.1f | %s | %.1f | **%.2f** | %s | %s |\n", name, $2, m["direct-ns/op"]/1000,
			(("relay-ns/op" in m) ? sprintf("%.1f", m["relay-ns/op"]/1000) : "-"), m["strata-ns/op"]/1000,
			m["strata/direct"], (("relay/direct" in m) ? sprintf("%.2f", m["relay/direct"]) : "-"), (("strata/relay" in m) ? sprintf("%.2f", m["strata/relay"]) : "-")
}' "$GOBENCH")
[ -n "$gotable" ] || gotable="| (no results: see bench/out/gobench.txt) | | | | | | | |"

# Profile breakdown: every sampled stack goes to the first matching bucket.
profile_breakdown() { # profile_breakdown TRACES QUERIES
	awk -v queries="$2" '
	function dur(s,   v) {
		v = s + 0
		if (s ~ /ms$/) return v / 1000
		if (s ~ /(us|µs)$/) return v / 1e6
		if (s ~ /ns$/) return v / 1e9
		if (s ~ /s$/) return v
		return v
	}
	function flush(   b, wpos, rpos) {
		if (val == "") return
		if (leaf ~ /Syscall6|runtime\.futex$|runtime\.epollwait/ || leaf ~ /^syscall\./) {
			# A read or write is syscall.read/write (net.Conn) or a raw
			# syscall inside wire.(*socketIO) (RawConn); the innermost one
			# is what the sample is in (a write may run inside a RawRead).
			wpos = match(stack, /syscall\.write|socketIO\)\.Write|rawConn\)\.Write/)
			rpos = match(stack, /syscall\.read|socketIO\)\.Read|rawConn\)\.Read/)
			if (!wpos && !rpos && stack ~ /EpollWait|netpoll/) b = "syscalls: epoll_wait (netpoller, idle wait)"
			else if (leaf ~ /futex/) b = "syscalls: futex (waking/parking threads)"
			else if (wpos && (!rpos || wpos < rpos)) {
				if (stack ~ /backend\.\(\*Conn\)\.(Command|SimpleCommand|Stmt|Request)|FlushAwaitReply/) b = "syscalls: write to the backend"
				else b = "syscalls: write to the client"
			}
			else if (rpos && stack ~ /strata\/backend\./) b = "syscalls: read from the backend"
			else if (rpos) b = "syscalls: read from the client"
			else b = "syscalls: other"
		}
		else if (stack ~ /pingcap\/tidb|strata\/sqlparse\.|Planner\)\.Parse/) b = "SQL parsing (sqlparse, TiDB parser)"
		else if (stack ~ /strata\/planner\.|strata\/topology\./) b = "routing (planner, topology)"
		else if (stack ~ /backend\.\(\*Pools?\)\./) b = "backend pool (Get/Put)"
		else if (stack ~ /prometheus|strata\/metrics\./) b = "metrics (Prometheus)"
		else if (stack ~ /gcBgMarkWorker|gcAssist|bgsweep|bgscavenge|runtime\.gcStart|markroot|runtime\.GC/) b = "GC"
		else if (stack ~ /runtime\.mallocgc|runtime\.newobject|runtime\.makeslice|runtime\.growslice|runtime\.concatstring|runtime\.rawstring|runtime\.makemap/) b = "allocation (mallocgc)"
		else if (stack ~ /runtime\.(schedule|findRunnable|mcall|park_m|goready|ready|wakep|startm|stopm|notesleep|netpoll|injectglist|gopark|goexit0|runqsteal|usleep|osyield)/) b = "Go scheduler (not in syscalls)"
		else if (stack ~ /strata\/(wire|backend|session|frontend)\./) b = "Strata relay/session code (wire, backend, session)"
		else b = "other (runtime, bufio, net)"
		sum[b] += dur(val); total += dur(val)
		val = ""; leaf = ""; stack = ""
	}
	/^-+\+-+/ { flush(); inrec = 1; next }
	!inrec { next }
	{
		line = $0
		if (val == "" && match(line, /^ *[0-9.]+(ns|us|µs|ms|s) +/)) {
			split(line, f, " "); val = f[1]; leaf = f[2]; stack = f[2]; next
		}
		sub(/^ +/, "", line); stack = stack " " line
	}
	END {
		flush()
		printf "| where | CPU s | share | µs per query |\n|---|---:|---:|---:|\n"
		n = 0
		for (b in sum) order[++n] = b
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (sum[order[j]] > sum[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
		for (i = 1; i <= n; i++) printf "| %s | %.2f | %.1f%% | %.2f |\n", order[i], sum[order[i]], 100 * sum[order[i]] / total, (queries > 0 ? 1e6 * sum[order[i]] / queries : 0)
		printf "| **total** | **%.2f** | 100%% | **%.2f** |\n", total, (queries > 0 ? 1e6 * total / queries : 0)
		for (b in sum) {
			if (b ~ /^syscalls: write/) wr += sum[b]
			else if (b ~ /^syscalls: read/) rd += sum[b]
			else if (b ~ /^syscalls/) wait += sum[b]
			else if (b ~ /^SQL parsing/) parse += sum[b]
			else if (b ~ /^(GC|allocation)/) gc += sum[b]
			else if (b ~ /^(backend pool|routing)/) pool += sum[b]
		}
		us = (queries > 0 ? 1e6 / queries : 0)
		printf "\nIn short: **%.0f%%** of Strata'"'"'s CPU is in syscalls (writes %.1f µs, reads %.1f µs, epoll/futex %.1f µs per query), ", 100 * (wr + rd + wait) / total, wr * us, rd * us, wait * us
		printf "SQL parsing %.0f%% (%.1f µs), pool and routing %.0f%% (%.1f µs), GC and allocation %.0f%% (%.1f µs); %.1f µs of CPU per query in all.\n", 100 * parse / total, parse * us, 100 * pool / total, pool * us, 100 * gc / total, gc * us, total * us
	}' "$1"
}

profile_section=""
for ps in "${PSMODES[@]}"; do
	f=$OUT/sysbench/profile-$ps.txt
	pq=$(awk '/^ *queries:/{print $2; exit}' "$f" 2>/dev/null || true)
	pqps=$(awk '/^ *queries:/{gsub(/[()]/,"",$3); print $3; exit}' "$f" 2>/dev/null || true)
	profile_section+="### oltp_point_select, --db-ps-mode=$ps (${PROFILE_TIME} s, ${pqps:-?} qps, ${pq:-?} queries)"$'\n\n'
	if [ -s "$OUT/profile-point_select-$ps.traces" ]; then
		profile_section+="$(profile_breakdown "$OUT/profile-point_select-$ps.traces" "${pq:-0}")"$'\n\n'
		profile_section+="\`go tool pprof -top -nodecount=25\` (bench/out/profile-point_select-$ps.txt):"$'\n\n```\n'
		profile_section+="$(sed -n '/flat  flat%/,$p' "$OUT/profile-point_select-$ps.txt")"$'\n```\n\n'
	else
		profile_section+="(no profile: see bench/out/strata.log)"$'\n\n'
	fi
done

table=$(awk -F'\t' 'NF {
	printf "| %s%s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s | %s |\n", $1, ($21 ? " (FAILED runs)" : ""), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
}' <<<"$summary")
other_targets=$(IFS='|'; echo "crelay|${STRATA_TARGETS[*]:1}")
other_table=$(awk -F'\t' -v others="^($other_targets)\$" '$3 ~ others {
	printf "| %s | %s | %s%s | %s | **%s** | %s | %s | %s | %s |\n", $1, $2, $3, ($16 ? " (FAILED runs)" : ""), $4, $5, $6, $7, $8,
		($15 >= 0 && $3 == "strata-cache" ? sprintf("%.1f %%", 100*$15) : "-")
}' <<<"$tsum")
[ -n "$other_table" ] || other_table="| (no other targets were measured) | | | | | | | | |"
cpu_table=$(awk -F'\t' 'NF {
	printf "| %s | %s | %s | %s | %s | %s | %s | %.2f | %s |\n", $1, $2, $3, $4,
		($9 < 0 ? "-" : $9), ($9 < 0 ? "-" : $10 " / " $11), $12, $13, $17
}' <<<"$tsum")
ps_table=$(awk -F'\t' 'NF {
	printf "| %s | %s | %s | %s | %s |\n", $1, $2, $18, $19, $20
}' <<<"$summary")

# "Where the time goes": oltp_point_select, one value per ps-mode, from
# this run's numbers only.
across() { # across TARGET FIELD [SUFFIX]: the values for each ps-mode, " / "-joined; empty if one is missing
	local ps v s=""
	for ps in "${PSMODES[@]}"; do
		v=$(tval oltp_point_select "$ps" "$1" "$2")
		[ -n "$v" ] && [ "$v" != -1 ] || return 0
		s+="${s:+ / }$v${3:-}"
	done
	echo "$s"
}
syscalls() { # syscalls TARGET: read + write syscalls per query, per ps-mode
	local ps r w s=""
	for ps in "${PSMODES[@]}"; do
		r=$(tval oltp_point_select "$ps" "$1" 10)
		w=$(tval oltp_point_select "$ps" "$1" 11)
		[ -n "$r" ] || return 0
		s+="${s:+ / }$(awk -v r="$r" -v w="$w" 'BEGIN{printf "%.1f", r+w}')"
	done
	echo "$s"
}
lost_share() { # the C relay's QPS loss as a share of Strata's, per ps-mode
	local ps c st s=""
	for ps in "${PSMODES[@]}"; do
		c=$(tval oltp_point_select "$ps" crelay 5)
		st=$(tval oltp_point_select "$ps" strata 5)
		[ -n "$c" ] && [ -n "$st" ] && awk -v s="$st" 'BEGIN{exit !(s < 1)}' || return 0
		s+="${s:+ / }$(awk -v c="$c" -v s="$st" 'BEGIN{printf "%.0f %%", 100*(1-c)/(1-s)}')"
	done
	echo "$s"
}
psmodes_list=$(printf '%s / ' "${PSMODES[@]}")
where_time="**Where the time goes** (oltp_point_select in this run; each figure is ps-mode ${psmodes_list% / }). "
where_time+="Against direct, Strata reached $(across strata 5 ×) of the QPS and the Go relay $(across relay 5 ×)"
if [ -n "$(across crelay 5)" ]; then
	where_time+="; the C relay, which only copies bytes between two sockets, $(across crelay 5 ×). "
	where_time+="So the two extra socket hops alone, in the cheapest relay here, cost $(across crelay 5 | awk -F' / ' '{for (i=1; i<=NF; i++) printf "%s%.0f %%", (i>1 ? " / " : ""), 100*(1-$i)}') of direct's QPS"
	ls=$(lost_share)
	[ -z "$ls" ] || where_time+=", i.e. $ls of what Strata loses"
	where_time+=". CPU per query: C relay $(across crelay 9 ' µs'), Go relay $(across relay 9 ' µs'), Strata $(across strata 9 ' µs')"
	where_time+="; read + write syscalls per query: C relay $(syscalls crelay), Strata $(syscalls strata)"
	where_time+=". Cross-CPU wake-ups (IPIs) per query, which cost the woken and the waking task alike on this VM: direct $(across direct 17), C relay $(across crelay 17), Strata $(across strata 17)"
fi
where_time+="."
if [ -n "$(across strata-nopoll 5)" ]; then
	where_time+=" Strata polls a socket for up to \`busy_poll\` (15 µs by default) before it sleeps, which saves the wake-ups that cross CPUs: with polling off it reached $(across strata-nopoll 5 ×) of direct (the default moved $(across strata-nopoll 6 | awk -F' / ' '{for (i=1; i<=NF; i++) printf "%s%.2f×", (i>1 ? " / " : ""), ($i > 0 ? 1/$i : 0)}') its QPS), with $(across strata-nopoll 9 ' µs') of CPU and $(across strata-nopoll 17) IPIs per query."
fi
if [ -n "$(across strata-poll40 5)" ]; then
	where_time+=" With the earlier 40 µs budget, which pays where a wake-up costs more than a spin (docs/performance.md, \"A shorter budget\"), Strata reached $(across strata-poll40 5 ×) of direct ($(across strata-poll40 6 ×) the default's QPS), with $(across strata-poll40 9 ' µs') of CPU per query."
fi
if [ -n "$(across strata-1thread 5)" ]; then
	where_time+=" With \`threads: 1\` (one OS thread runs Strata's Go code, so no idle thread spins looking for work between packets), Strata reached $(across strata-1thread 5 ×) of direct ($(across strata-1thread 6 ×) the default's QPS), with $(across strata-1thread 9 ' µs') of CPU per query."
fi
if [ -n "$(across strata-socket 5)" ]; then
	where_time+=" Reaching the replica through its Unix socket instead of loopback TCP, Strata reached $(across strata-socket 5 ×) of direct ($(across strata-socket 6 ×) its QPS over TCP), with $(across strata-socket 9 ' µs') of CPU per query."
fi
if [ -n "$(across strata-prepared 5)" ]; then
	where_time+=" Running text SELECTs as prepared statements on the replica (\`backend.prepare_text_reads\`; only the disable rounds send text), Strata reached $(across strata-prepared 5 ×) of direct ($(across strata-prepared 6 ×) the default's QPS), with $(across strata-prepared 9 ' µs') of CPU per query."
fi
if [ -n "$(across strata-cache 5)" ]; then
	hits=$(across strata-cache 15 | awk -F' / ' '{for (i=1; i<=NF; i++) printf "%s%.1f %%", (i>1 ? " / " : ""), 100*$i}')
	where_time+=" Answering from its result cache${hits:+ ($hits of statements were cache hits)}, with no server hop for a hit, Strata reached $(across strata-cache 5 ×) of direct."
fi

strata_errors=""
for t in "${STRATA_TARGETS[@]}"; do
	n=$(grep -c -E 'level=(ERROR|WARN)|panic' "$(strata_log "$t")" 2>/dev/null || true)
	[ "${n:-0}" = 0 ] || strata_errors+="${strata_errors:+; }$n in $(strata_log "$t")"
done
maria_version=$(my $REPLICA_PORT root "" "SELECT VERSION()")
problems=""
if [ "${#failures[@]}" -eq 0 ]; then
	problems="None: every sysbench run and Go benchmark finished without errors, and ps-mode=auto ran server-side prepared statements on the replica through Strata."
else
	for f in "${failures[@]}"; do problems+="- $f"$'\n'; done
fi
[ -z "$strata_errors" ] || problems+=$'\n\n'"Strata logged warning/error lines: $strata_errors."
setup_notes=""
for n in "${notes[@]}"; do setup_notes+="- $n"$'\n'; done

crelay_cmd="# crelay: cc -O2 -Wall -Wextra -pthread -o $CRELAY_BIN $CRELAY_SRC; $CRELAY_BIN -listen $HOST:$CRELAY_PORT -to $HOST:$REPLICA_PORT"
have_target crelay || crelay_cmd="# crelay: not measured in this run (no C compiler)"

tmp=$(mktemp "$DOC.XXXXXX")
cat >"$tmp" <<EOF
# Strata benchmarks

<!-- Generated by scripts/bench.sh (make bench): edit the template there, not this file. -->

How much does putting Strata between an application and a MariaDB replica
cost? \`make bench\` answers it on the machine at hand: it starts a primary and
a replica (\`strata sandbox\`, config \`bench/benchcfg/strata.yaml\`), loads one
sysbench table, and measures the **same replica** through several targets in
the same run, interleaved round by round:

- **direct**: the client talks to the replica;
- **relay**: through \`bench/nullproxy\`, a Go TCP relay (standard library,
  plain read/write, parses nothing): what the extra hop costs a Go program,
  the runtime's netpoller and goroutine wake-ups included;
- **crelay**: through \`bench/crelay\`, a C relay with one thread per
  direction and blocking read()/write(): the floor for any proxy, i.e. the
  kernel's cost of the two extra socket hops alone on this machine;
- **Strata**: through Strata with its default config (\`strata.yaml\`: TCP to
  the servers, no cache), which parses and routes every statement and sends
  these reads to that replica. This is the headline: the target and the
  bold ratios of the first table are Strata / direct.

Six more Strata configs, in the same rounds, show what changes the picture
(in a table of their own, not the headline):

- **strata-nopoll** (\`bench/benchcfg/strata-nopoll.yaml\`): \`busy_poll: 0s\`,
  so every wait for sysbench or the replica sleeps in Go's netpoller at
  once: what the default's polling (docs/performance.md) is worth.
- **strata-poll40** (\`bench/benchcfg/strata-poll40.yaml\`): \`busy_poll:
  40us\`, the default before the seventieth session: whether a longer
  spin pays on this host (it does where a wake-up is dear, and costs
  CPU the client and the server need where it is not).
- **strata-1thread** (\`bench/benchcfg/strata-1thread.yaml\`): \`threads: 1\`,
  one OS thread runs Strata's Go code, so no idle thread spins between
  packets; busy polling is then off (a polling session would hold the
  only thread).
- **strata-socket** (\`bench/benchcfg/strata-socket.yaml\`): Strata reaches
  the servers through their Unix sockets (\`backend.sockets\`) instead of
  loopback TCP, which shows what a cheaper server-side hop is worth.
- **strata-prepared** (\`bench/benchcfg/strata-prepared.yaml\`):
  \`backend.prepare_text_reads: true\`, so the text point selects of
  \`--db-ps-mode=disable\` run as their shape's prepared statement on the
  replica, which then parses each shape once per connection (the auto
  rounds, prepared by sysbench already, measure the same as Strata).
- **strata-cache** (\`bench/benchcfg/strata-cache.yaml\`): a \`cache: 60s\`
  routing rule on \`sbtest1\`, so Strata answers repeated reads from its
  result cache, which shows what a read costs with no server hop at all.

The machine is small and shared, so absolute numbers wander from run to run;
the **ratios** are what to compare. With 2 cores, sysbench, MariaDB and the
proxy compete for the same CPUs: a proxy costs throughput here in proportion
to the CPU (mostly kernel socket work: copies, wake-ups and context switches
of the two extra hops) it burns, and looks worse than on a host with spare
cores, where it would cost mostly latency. crelay / direct is the least any
proxy can cost here; Strata / relay compares Strata with a Go program that
does nothing but relay (see the syscall counts and the profile below).

Notes on the setup:

- The query cache is off (\`query_cache_type=0\`, MariaDB's default); the
  sandbox otherwise turns it on. With it on, every repeated point select is
  a cache hit, and a result first cached for a Strata backend connection
  (which does not negotiate MariaDB's MARIADB_CLIENT_CACHE_METADATA) is
  replayed without the column-count packet's metadata flag to clients that
  did negotiate it: go-sql-driver 1.10 connected directly then panics
  (index out of range in readResultSetHeaderPacket).
- \`oltp_read_only\` runs with \`--skip-trx=on\`: by design Strata sends
  explicit transactions (\`BEGIN ... COMMIT\`) to the primary, which would
  compare the primary through Strata with the replica direct.
- Direct, relay and crelay runs log in as \`strata\` (the account Strata
  uses to reach the servers); runs through Strata log in as \`app\`.
- QPS and p95 are the means over the rounds of each target; ratios are
  X / direct (QPS: higher is better; p95: lower is better).
${setup_notes:+$setup_notes}
$where_time

## Run

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')
- Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)
- MariaDB $maria_version, $(sysbench --version), $(go version | awk '{print $3}')$(have_target crelay && echo ", $(cc --version | head -n 1)")
- ${ROUNDS} rounds × ${TIME} s per cell and target, ${THREADS} threads, ${TABLE_SIZE} rows; measuring took ${ELAPSED} s

Commands (\`make bench\` runs them all):

\`\`\`sh
make bench        # = make deps; bash scripts/bench.sh
# prepare (primary):
sysbench oltp_read_only ${SB_COMMON[*]} --mysql-port=$PRIMARY_PORT --mysql-user=root prepare
# each cell: every target once (${TARGETS[*]}), the next round in reverse order;
# the same sysbench command with the target's port and account:
sysbench WORKLOAD ${SB_COMMON[*]} --mysql-port=PORT --mysql-user=USER --mysql-password=PASSWORD --threads=$THREADS --time=$TIME --db-ps-mode=PS --percentile=95 [--skip-trx=on] run
#   direct:        port $REPLICA_PORT, $DIRECT_USER/$DIRECT_PASS
#   relay:         port $RELAY_PORT, $DIRECT_USER/$DIRECT_PASS
#   crelay:        port $CRELAY_PORT, $DIRECT_USER/$DIRECT_PASS
#   strata:        port $STRATA_PORT, $APP_USER/$APP_PASS
#   strata-socket: port $SOCKET_PORT, $APP_USER/$APP_PASS
#   strata-cache:  port $CACHE_PORT, $APP_USER/$APP_PASS
#   strata-1thread: port $THREAD_PORT, $APP_USER/$APP_PASS
#   strata-nopoll: port $NOPOLL_PORT, $APP_USER/$APP_PASS
#   strata-poll40: port $POLL40_PORT, $APP_USER/$APP_PASS
#   strata-prepared: port $PREPARED_PORT, $APP_USER/$APP_PASS
# relay: $RELAY_BIN -listen $HOST:$RELAY_PORT -to $HOST:$REPLICA_PORT
$crelay_cmd
# Strata: $BIN serve -c $CONF (and -c $SOCKET_CONF, -c $CACHE_CONF, -c $THREAD_CONF, -c $NOPOLL_CONF, -c $POLL40_CONF, -c $PREPARED_CONF)
# cache hit ratio: strata_queries_total{route="cache"} / all strata_queries_total, from http://$HOST:$CACHE_ADMIN_PORT/metrics
# Go benchmarks:
STRATA_BENCH_DIRECT='$DIRECT_USER:$DIRECT_PASS@tcp($HOST:$REPLICA_PORT)/$DB' \\
STRATA_BENCH_RELAY='$DIRECT_USER:$DIRECT_PASS@tcp($HOST:$RELAY_PORT)/$DB' \\
STRATA_BENCH_STRATA='$APP_USER:$APP_PASS@tcp($HOST:$STRATA_PORT)/$DB' \\
  go test -run '^\$' -bench . -benchtime $GOTIME ./bench/
# profile: $BIN serve -c $CONF -cpuprofile FILE, sysbench oltp_point_select for ${PROFILE_TIME} s, SIGINT, then
go tool pprof -top -nodecount=25 $BIN FILE
\`\`\`

## sysbench

$target_line
| workload | ps-mode | direct QPS | relay QPS | Strata QPS | **Strata / direct** | relay / direct | Strata / relay | direct p95 ms | relay p95 ms | Strata p95 ms | Strata / direct p95 |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$table

The other targets, measured in the same rounds (X is the target of the row;
X / Strata compares with the default Strata above; the hit ratio is the
share of statements strata-cache answered from its result cache):

| workload | ps-mode | target X | QPS | **X / direct** | X / Strata | p95 ms | p95 / direct | cache hit ratio |
|---|---|---|---:|---:|---:|---:|---:|---:|
$other_table

- **crelay**: the least any proxy costs on this machine (two extra socket
  hops, nothing else); Strata's distance to it is what Strata could still win.
- **strata-nopoll**: Strata with \`busy_poll: 0s\`; Strata's gain over it
  is what polling before sleeping is worth here.
- **strata-poll40**: Strata with \`busy_poll: 40us\`; its QPS against
  Strata's says whether this host wants a longer budget than the default.
- **strata-1thread**: Strata with \`threads: 1\` (which also turns polling
  off); its gain over strata-nopoll is what Go's idle threads cost on this
  2-core host.
- **strata-socket**: Strata with Unix sockets to the servers; its gain over
  Strata is what loopback TCP costs on the server-side hop.
- **strata-prepared**: Strata with \`backend.prepare_text_reads\`; its
  gain over Strata in the disable rounds is what the replica's parse of
  each text statement costs.
- **strata-cache**: Strata answering from its result cache; what a cached
  read costs, with no server hop.

CPU and syscalls per query (user+system CPU time of each process over its
runs, from /proc in 10 ms ticks, divided by the queries sysbench completed;
read/write syscalls from /proc/PID/io; the replica's Com_select, which
counts prepared executions too, is below 1 per query when the cache answered;
IPIs are the machine's reschedule and function-call interrupts from
/proc/interrupts, one per wake-up that crossed to the other CPU, whoever
caused it):

| workload | ps-mode | target | QPS | proxy CPU µs | proxy reads / writes | replica CPU µs | replica Com_select | IPIs |
|---|---|---|---:|---:|---:|---:|---:|---:|
$cpu_table

Server-side prepared statements: with \`--db-ps-mode=auto\` the replica
should run COM_STMT_EXECUTE for every query, through Strata too; "Com_select
via Strata" shows the reads reached the replica (not the primary):

| workload | ps-mode | replica COM_STMT_EXECUTE per query, direct | same, via Strata | replica Com_select per query, via Strata |
|---|---|---:|---:|---:|
$ps_table

Raw sysbench outputs: \`bench/out/sysbench/\`; per-run numbers: \`bench/out/results.tsv\`.

## Go benchmarks (go-sql-driver, one connection per target, interleaved)

Each iteration runs the operation once on every target, rotating which goes
first; ns/op in the raw output is the sum. Ratios are of time per operation
(1.50 = 50 % slower; throughput ratio = 1 / time ratio).

| benchmark | iterations | direct µs/op | relay µs/op | Strata µs/op | **Strata / direct** | relay / direct | Strata / relay |
|---|---:|---:|---:|---:|---:|---:|---:|
$gotable

- \`PointSelect/mode=interpolate\`: \`SELECT c FROM sbtest1 WHERE id = ?\` with
  \`interpolateParams=true\` (text protocol, one round trip).
- \`PointSelect/mode=prepared\`: the same through a server-side prepared
  statement (COM_STMT_EXECUTE, binary rows).
- \`StreamRows\`: \`SELECT id, k, c, pad FROM sbtest1\`, all ${TABLE_SIZE} rows
  (about 1.9 MB) in one text-protocol result.

Raw output: \`bench/out/gobench.txt\`.

## Where Strata's CPU goes (point select)

Separate ${PROFILE_TIME}-second runs through Strata started with
\`-cpuprofile\` (so the profiler does not tax the numbers above). Every
sampled stack is counted once, in the first bucket that matches: syscalls
first (split by what they serve), then parsing, routing, pool, metrics, GC,
allocation, the scheduler, and the rest of Strata's code.

$profile_section
## Problems seen in this run

$problems
EOF
mv "$tmp" "$DOC"
log "done: $DOC (raw results in $OUT/)"
if [ "${#failures[@]}" -gt 0 ]; then
	log "problems:"
	for f in "${failures[@]}"; do log "  $f"; done
	exit 1
fi

# Pool balance modes against MariaDB's query cache and Strata's result cache
# (its own sandbox on 127.0.0.1:19306-19310); appends a section to $DOC.
log "pool benchmark (bench/poolbench)"
go run ./bench/poolbench -out "$DOC" || { log "poolbench failed"; exit 1; }
go run ./bench/shardbench -out "$DOC" || { log "shardbench failed"; exit 1; }
