#!/usr/bin/env bash
# Proxy-overhead benchmark of Strata: `make bench` runs it (after make deps).
#
# Brings up the topology of bench/benchcfg/strata.yaml (a MariaDB primary on
# 127.0.0.1:15306 and a replica on :15307, Strata on :16033, admin :16080),
# loads a 10k-row sysbench table on the primary, then measures the SAME
# replica directly, through a plain TCP relay (bench/nullproxy, :16034: the
# cost of the extra hop alone) and through Strata (whose reads go to that
# replica), in the same run and interleaved (rounds alternate the order):
#   - sysbench oltp_point_select and oltp_read_only, 4 threads, for
#     --db-ps-mode=auto (server-side prepared statements) and disable;
#   - a Strata CPU profile of a point-select run (pprof top in bench/out/);
#   - the Go benchmarks of bench/ (go-sql-driver point select, interpolated
#     and prepared, and a 10k-row streaming read).
# It rewrites docs/BENCHMARKS.md with the results; raw outputs, logs and
# profiles go to bench/out/ (ignored by git).
#
# Only loopback addresses are used. Everything it starts is stopped on exit,
# and the sandbox's data is removed (BENCH_KEEP=1 leaves servers and Strata
# running for a look). Running it again starts from scratch.
#
# Knobs (environment): BENCH_TIME seconds per sysbench run (default 10),
# BENCH_ROUNDS rounds per cell (default 2: direct, relay, Strata, then
# the reverse), BENCH_THREADS (4), BENCH_TABLE_SIZE (10000),
# BENCH_GOTIME go test -benchtime (3s), BENCH_PROFILE_TIME seconds of each
# profiled run (10), BENCH_DOC output file (docs/BENCHMARKS.md).
set -euo pipefail
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

CONF=bench/benchcfg/strata.yaml
OUT=bench/out
BIN=$OUT/strata
RELAY_BIN=$OUT/nullproxy
DOC=${BENCH_DOC:-docs/BENCHMARKS.md}
HOST=127.0.0.1
# These match $CONF.
PRIMARY_PORT=15306
REPLICA_PORT=15307
STRATA_PORT=16033
ADMIN_PORT=16080
RELAY_PORT=16034 # bench/nullproxy, not in $CONF
DIRECT_USER=strata DIRECT_PASS=strata # the backend account Strata itself uses
APP_USER=app APP_PASS=app             # Strata's client account
DB=sbtest

TIME=${BENCH_TIME:-10}
ROUNDS=${BENCH_ROUNDS:-2}
THREADS=${BENCH_THREADS:-4}
TABLE_SIZE=${BENCH_TABLE_SIZE:-10000}
GOTIME=${BENCH_GOTIME:-3s}
PROFILE_TIME=${BENCH_PROFILE_TIME:-10}
WORKLOADS=(oltp_point_select oltp_read_only)
PSMODES=(auto disable)
TARGET_RATIO=0.6 # Strata >= 0.6x direct QPS on oltp_point_select

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- checks
for tool in sysbench mariadbd mariadb mariadb-install-db go ss; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run make deps"
done

mkdir -p "$OUT" "$OUT/sysbench" "$(dirname "$DOC")"
STRATA_PID=
RELAY_PID=
SYSBENCH_PID=
STRATA_LOG=$OUT/strata.log
failures=() # human-readable problems, reported in the doc and the exit code

sandbox() { "$BIN" sandbox "$@" -c "$CONF"; }

stop_strata() {
	[ -n "$STRATA_PID" ] || return 0
	if kill -0 "$STRATA_PID" 2>/dev/null; then
		kill -INT "$STRATA_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$STRATA_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$STRATA_PID" 2>/dev/null; then
			log "strata (pid $STRATA_PID) ignored SIGINT for 10s; killing it"
			failures+=("Strata did not exit within 10 s of SIGINT (killed)")
			kill -KILL "$STRATA_PID" 2>/dev/null || true
		fi
	fi
	wait "$STRATA_PID" 2>/dev/null || true
	STRATA_PID=
	rm -f "$OUT/strata.pid"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		log "BENCH_KEEP=1: leaving Strata (pid ${STRATA_PID:-none}), the relay (pid ${RELAY_PID:-none}) and the sandbox running; stop them with:"
		log "  kill -INT ${STRATA_PID:-?} ${RELAY_PID:-}; $BIN sandbox down -c $CONF"
		exit "$rc"
	fi
	if [ -n "$SYSBENCH_PID" ]; then
		kill -TERM "$SYSBENCH_PID" 2>/dev/null || true # timeout passes it on to sysbench
		wait "$SYSBENCH_PID" 2>/dev/null || true
	fi
	stop_strata
	if [ -n "$RELAY_PID" ]; then
		kill -TERM "$RELAY_PID" 2>/dev/null || true
		wait "$RELAY_PID" 2>/dev/null || true
	fi
	if [ -x "$BIN" ] && [ -d "$OUT/sandbox" ]; then
		sandbox down -q >/dev/null 2>&1 || log "sandbox down failed; run: $BIN sandbox down -c $CONF"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A Strata left behind by an interrupted BENCH_KEEP run of this script.
if [ -f "$OUT/strata.pid" ]; then
	old=$(cat "$OUT/strata.pid")
	if [ -n "$old" ] && tr '\0' ' ' 2>/dev/null <"/proc/$old/cmdline" | grep -q -- "$CONF"; then
		log "stopping Strata of an earlier run (pid $old)"
		kill -INT "$old" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$old" 2>/dev/null || true
	fi
	rm -f "$OUT/strata.pid"
fi

# ---------------------------------------------------------------- build
log "building $BIN and $RELAY_BIN"
go build -o "$BIN" ./cmd/strata
go build -o "$RELAY_BIN" ./bench/nullproxy

# Servers of an earlier run of this script: start from scratch.
if [ -d "$OUT/sandbox" ]; then
	log "removing the sandbox of an earlier run"
	sandbox down -q >/dev/null
fi
for port in $PRIMARY_PORT $REPLICA_PORT $STRATA_PORT $ADMIN_PORT $RELAY_PORT; do
	if ss -Hltn "sport = :$port" | grep -q .; then
		die "port $port is in use by another process (ss -ltnp 'sport = :$port'); the bench needs ports $PRIMARY_PORT, $REPLICA_PORT, $STRATA_PORT, $ADMIN_PORT and $RELAY_PORT"
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

# ---------------------------------------------------------------- Strata
start_strata() { # start_strata [PROFILE_FILE]
	local args=(serve -c "$CONF")
	[ -z "${1:-}" ] || args+=(-cpuprofile "$1")
	echo "=== $(date -u +%FT%TZ) strata ${args[*]}" >>"$STRATA_LOG"
	"$BIN" "${args[@]}" >>"$STRATA_LOG" 2>&1 &
	STRATA_PID=$!
	echo "$STRATA_PID" >"$OUT/strata.pid"
	for _ in $(seq 1 100); do
		if my $STRATA_PORT $APP_USER $APP_PASS "SELECT 1" >/dev/null 2>&1; then return 0; fi
		kill -0 "$STRATA_PID" 2>/dev/null || { tail -n 20 "$STRATA_LOG" >&2; die "strata exited at start"; }
		sleep 0.1
	done
	tail -n 20 "$STRATA_LOG" >&2
	die "strata did not accept connections on $HOST:$STRATA_PORT within 10s"
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
REPLICA_PID=$(cat "$OUT/sandbox/$HOST-$REPLICA_PORT/mariadbd.pid")

replica_status() { # "Com_select Com_stmt_execute" of the replica
	my $REPLICA_PORT root "" "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select','Com_stmt_execute')" |
		awk '$1=="Com_select"{s=$2} $1=="Com_stmt_execute"{e=$2} END{print s+0, e+0}'
}

# results.tsv: one line per measured run.
RESULTS=$OUT/results.tsv
printf 'workload\tps\ttarget\tround\tqps\tp95_ms\tqueries\terrors\treplica_select\treplica_stmt_execute\tproxy_cpu_s\treplica_cpu_s\tok\tproxy_read_calls\tproxy_write_calls\n' >"$RESULTS"

# run_sysbench WORKLOAD PS TARGET ROUND SECONDS [OUTFILE]: one measured run;
# appends to $RESULTS unless ROUND is "-" (warm-up, profile).
run_sysbench() {
	local wl=$1 ps=$2 target=$3 round=$4 secs=$5
	local out=${6:-$OUT/sysbench/$wl-$ps-$target-r$round.txt}
	local port user pass extra=()
	local proxy_pid=0
	case $target in
	direct) port=$REPLICA_PORT user=$DIRECT_USER pass=$DIRECT_PASS ;;
	relay) port=$RELAY_PORT user=$DIRECT_USER pass=$DIRECT_PASS proxy_pid=$RELAY_PID ;;
	strata) port=$STRATA_PORT user=$APP_USER pass=$APP_PASS proxy_pid=$STRATA_PID ;;
	esac
	# oltp_read_only wraps its queries in BEGIN/COMMIT by default; Strata sends
	# transactions to the primary by design, so skip them to compare the
	# same replica on both sides.
	[ "$wl" = oltp_read_only ] && extra+=(--skip-trx=on)
	local cmd=(sysbench "$wl" "${SB_COMMON[@]}" --mysql-port="$port" --mysql-user="$user" --mysql-password="$pass"
		--threads="$THREADS" --time="$secs" --db-ps-mode="$ps" --percentile=95 "${extra[@]}" run)
	local st0 st1 sc0 sc1 rc0 rc1 io0 io1 ok=1 rc=0
	st0=$(replica_status)
	io0=$(io_calls "${proxy_pid:-0}")
	sc0=$(cpu_ticks "${proxy_pid:-0}")
	rc0=$(cpu_ticks "$REPLICA_PID")
	echo "# ${cmd[*]}" >"$out"
	# In the background with wait, so a signal to this script acts at once.
	timeout --kill-after=5 $((secs + 60)) "${cmd[@]}" >>"$out" 2>&1 &
	SYSBENCH_PID=$!
	wait "$SYSBENCH_PID" || rc=$?
	SYSBENCH_PID=
	rc1=$(cpu_ticks "$REPLICA_PID")
	sc1=$(cpu_ticks "${proxy_pid:-0}")
	io1=$(io_calls "${proxy_pid:-0}")
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
	local sel exe s0 e0 s1 e1 r0 w0 r1 w1
	read -r s0 e0 <<<"$st0"
	read -r s1 e1 <<<"$st1"
	read -r r0 w0 <<<"$io0"
	read -r r1 w1 <<<"$io1"
	sel=$((s1 - s0)) exe=$((e1 - e0))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$ps" "$target" "$round" "${qps:-0}" "${p95:-0}" \
		"${queries:-0}" "${errors:-0}" "$sel" "$exe" \
		"$(awk -v a="$sc0" -v b="$sc1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')" \
		"$(awk -v a="$rc0" -v b="$rc1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')" "$ok" $((r1 - r0)) $((w1 - w0)) >>"$RESULTS"
}

log "starting Strata on $HOST:$STRATA_PORT and the TCP relay on $HOST:$RELAY_PORT"
start_strata
"$RELAY_BIN" -listen "$HOST:$RELAY_PORT" -to "$HOST:$REPLICA_PORT" >"$OUT/nullproxy.log" 2>&1 &
RELAY_PID=$!
for _ in $(seq 1 50); do
	my $RELAY_PORT $DIRECT_USER $DIRECT_PASS "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.1
done
T0=$(date +%s)

# Warm-up: buffer pool, Strata's backend pool, page cache of the binaries.
for target in direct relay strata; do run_sysbench oltp_point_select disable $target - 3 "$OUT/sysbench/warmup-$target.txt"; done

for wl in "${WORKLOADS[@]}"; do
	for ps in "${PSMODES[@]}"; do
		for round in $(seq 1 "$ROUNDS"); do
			order=(direct relay strata)
			[ $((round % 2)) -eq 0 ] && order=(strata relay direct)
			for target in "${order[@]}"; do run_sysbench "$wl" "$ps" "$target" "$round" "$TIME"; done
		done
	done
done

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
stop_strata
for ps in "${PSMODES[@]}"; do
	prof=$OUT/profile-point_select-$ps.prof
	rm -f "$prof"
	log "CPU profile of Strata during oltp_point_select ps=$ps (${PROFILE_TIME}s)"
	start_strata "$prof"
	run_sysbench oltp_point_select "$ps" strata - "$PROFILE_TIME" "$OUT/sysbench/profile-$ps.txt"
	stop_strata # SIGINT flushes the profile
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

# A PS check: through Strata with ps-mode=auto the replica must run
# COM_STMT_EXECUTE for (nearly) every query.
while IFS=$'\t' read -r wl ps _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ sx _ _; do
	[ "$ps" = auto ] || continue
	if awk -v x="$sx" 'BEGIN{exit !(x < 0.9)}'; then
		failures+=("$wl --db-ps-mode=auto through Strata: the replica ran only $sx COM_STMT_EXECUTE per query (server-side prepared statements not used)")
	fi
done <<<"$summary"

target_line=""
while IFS=$'\t' read -r wl ps _ _ _ ratio _ strelay _; do
	[ "$wl" = oltp_point_select ] || continue
	verdict=met
	awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN{exit !(r < t)}' && verdict="NOT met"
	target_line+="- oltp_point_select, ps-mode=$ps: Strata/direct QPS = **$ratio** (target ≥ $TARGET_RATIO: $verdict); Strata/TCP-relay QPS = $strelay"$'\n'
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
	function flush(   b) {
		if (val == "") return
		if (leaf ~ /Syscall6|runtime\.futex$|runtime\.epollwait/ || leaf ~ /^syscall\./) {
			if (stack ~ /EpollWait|netpoll/) b = "syscalls: epoll_wait (netpoller, idle wait)"
			else if (leaf ~ /futex/) b = "syscalls: futex (waking/parking threads)"
			else if (stack ~ /syscall\.write/ && stack ~ /backend\.\(\*Conn\)\.(Command|SimpleCommand)|backend\.\(\*Conn\)\.Stmt/) b = "syscalls: write to the backend"
			else if (stack ~ /syscall\.write/) b = "syscalls: write to the client"
			else if (stack ~ /syscall\.read/ && stack ~ /strata\/backend\./) b = "syscalls: read from the backend"
			else if (stack ~ /syscall\.read/) b = "syscalls: read from the client"
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
cpu_table=$(awk -F'\t' 'NF {
	printf "| %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s |\n", $1, $2, $13, $14, $22, $23, $24, $25, $15, $16, $17
}' <<<"$summary")
ps_table=$(awk -F'\t' 'NF {
	printf "| %s | %s | %s | %s | %s |\n", $1, $2, $18, $19, $20
}' <<<"$summary")

strata_errors=$(grep -c -E 'level=(ERROR|WARN)|panic' "$STRATA_LOG" || true)
maria_version=$(my $REPLICA_PORT root "" "SELECT VERSION()")
problems=""
if [ "${#failures[@]}" -eq 0 ]; then
	problems="None: every sysbench run and Go benchmark finished without errors, and ps-mode=auto ran server-side prepared statements on the replica through Strata."
else
	for f in "${failures[@]}"; do problems+="- $f"$'\n'; done
fi
[ "$strata_errors" = 0 ] || problems+=$'\n'"Strata logged $strata_errors warning/error lines (bench/out/strata.log)."

tmp=$(mktemp "$DOC.XXXXXX")
cat >"$tmp" <<EOF
# Strata benchmarks

<!-- Generated by scripts/bench.sh (make bench): edit the template there, not this file. -->

How much does putting Strata between an application and a MariaDB replica
cost? \`make bench\` answers it on the machine at hand: it starts a primary and
a replica (\`strata sandbox\`, config \`bench/benchcfg/strata.yaml\`), loads one
sysbench table, and measures the **same replica** three ways in the same run,
interleaved round by round:

- **direct**: the client talks to the replica;
- **relay**: through \`bench/nullproxy\`, a TCP relay that copies bytes with
  plain read/write and parses nothing: the floor for any proxy, i.e. the cost
  of the extra hop alone on this machine;
- **Strata**: through Strata, which parses and routes every statement and
  sends these reads to that replica.

The machine is small and shared, so absolute numbers wander from run to run;
the **ratios** are what to compare. With 2 cores, sysbench, MariaDB and the
proxy compete for the same CPUs: a proxy costs throughput here in proportion
to the CPU (mostly kernel socket work) it burns, and looks worse than on a
host with spare cores, where it would cost mostly latency. Strata / relay
separates Strata's own work from the price of the hop: near 1, Strata adds
little beyond the two socket hops any proxy needs, and what remains of the
gap to direct is the kernel's cost of those hops on this machine (see the
syscall counts and the profile below).

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
- Direct and relay runs log in as \`strata\` (the account Strata uses to
  reach the servers); runs through Strata log in as \`app\`.
- QPS and p95 are the means over the rounds of each target; ratios are
  X / direct (QPS: higher is better; p95: lower is better).

## Run

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')
- Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)
- MariaDB $maria_version, $(sysbench --version), $(go version | awk '{print $3}')
- ${ROUNDS} rounds × ${TIME} s per cell and target, ${THREADS} threads, ${TABLE_SIZE} rows; measuring took ${ELAPSED} s

Commands (\`make bench\` runs them all):

\`\`\`sh
make bench        # = make deps; bash scripts/bench.sh
# prepare (primary):
sysbench oltp_read_only ${SB_COMMON[*]} --mysql-port=$PRIMARY_PORT --mysql-user=root prepare
# each cell: direct (replica), relay, Strata; the next round in reverse order:
sysbench WORKLOAD ${SB_COMMON[*]} --mysql-port=$REPLICA_PORT --mysql-user=$DIRECT_USER --mysql-password=$DIRECT_PASS --threads=$THREADS --time=$TIME --db-ps-mode=PS --percentile=95 [--skip-trx=on] run
sysbench WORKLOAD ${SB_COMMON[*]} --mysql-port=$RELAY_PORT --mysql-user=$DIRECT_USER --mysql-password=$DIRECT_PASS --threads=$THREADS --time=$TIME --db-ps-mode=PS --percentile=95 [--skip-trx=on] run
sysbench WORKLOAD ${SB_COMMON[*]} --mysql-port=$STRATA_PORT --mysql-user=$APP_USER --mysql-password=$APP_PASS --threads=$THREADS --time=$TIME --db-ps-mode=PS --percentile=95 [--skip-trx=on] run
# relay: $RELAY_BIN -listen $HOST:$RELAY_PORT -to $HOST:$REPLICA_PORT
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

CPU and syscalls per query (user+system CPU time of each process over its
runs, from /proc in 10 ms ticks, divided by the queries sysbench completed;
read/write syscalls from /proc/PID/io):

| workload | ps-mode | Strata CPU µs | relay CPU µs | Strata reads / writes | relay reads / writes | replica CPU µs, direct | replica CPU µs, via relay | replica CPU µs, via Strata |
|---|---|---:|---:|---:|---:|---:|---:|---:|
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
