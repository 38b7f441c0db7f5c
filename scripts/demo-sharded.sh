#!/usr/bin/env bash
# make demo-sharded: the sharded blog (examples/sharded/strata.yaml). Starts
# the sandbox, creates the blog schema on every primary, loads the sample
# data THROUGH Strata (rows are routed per shard as they are inserted),
# then runs Strata in the foreground.
set -euo pipefail
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CONF=examples/sharded/strata.yaml
BIN=bin/strata
PRIMARIES=(13410 13412 13413 13414 13415) # match $CONF

$BIN sandbox up -c $CONF
for port in "${PRIMARIES[@]}"; do
	mariadb -h127.0.0.1 -P"$port" -uroot <examples/blog/schema.sql
done
$BIN sandbox wait -c $CONF

$BIN serve -c $CONF >/tmp/strata-demo-sharded.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	mariadb -h127.0.0.1 -P6033 -uapp -papp -e 'SELECT 1' >/dev/null 2>&1 && break
	sleep 0.2
done
go run ./examples/blog/loaddata -addr 127.0.0.1:6033 -user app -password app -comments 20000
kill $pid
wait $pid 2>/dev/null || true
trap - EXIT

cat <<'TXT'

Strata starts below (Ctrl-C stops it; make demo-sharded-down stops the servers).
In another terminal:
  mariadb -h127.0.0.1 -P6033 -uapp -papp blog
and try:
  EXPLAIN STRATA SELECT * FROM comments WHERE entry_id IN (4, 5, 6);
  SELECT entry_id, COUNT(*) FROM comments GROUP BY entry_id ORDER BY 2 DESC LIMIT 5;
  SELECT u.name, p.location FROM users u JOIN profiles p ON p.user_id = u.id LIMIT 3;
  INSERT INTO entries (user_id, title, body) VALUES (1, 'hello', 'sharded'); SELECT LAST_INSERT_ID();
Admin API: curl 'http://127.0.0.1:6080/api/explain?sql=SELECT+*+FROM+entries+WHERE+id=7'
Every row on its shard: bin/strata shards verify -c examples/sharded/strata.yaml -schema blog
Move rows while it runs: edit entries' shards: in examples/sharded/strata.yaml (see the
comment there), then bin/strata shards rebalance -online -c examples/sharded/strata.yaml -table entries

TXT
exec $BIN serve -c $CONF
