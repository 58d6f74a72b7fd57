#!/usr/bin/env bash
# End-to-end load on loopback with wrk (bounded: DURATION seconds per scenario, default 10):
#  (a) a bare Vert.x route behind JWTAuthHandler alone (the ceiling)
#  (b) GET /agents (authentication, policy over the event bus, filtered listing), with an HS256 token, then
#      with an RS256 and an ES256 token (one token per run, so after the first request the verified-token
#      cache answers: the figure shows what the cache buys for asymmetric keys)
#  (c) GET /sessions with isolation on (PostgreSQL)
#  (d) POST /agents/assistant/runs, echo model, not streaming (runtime + PostgreSQL writes)
#  PostgreSQL's own ceilings in the same run, with the same client count: pgbench -S (prepared point selects) for
#  (c), pgbench's default write transaction for (d); each data scenario is printed as a ratio to its ceiling
#  (e) a long session: LONG_RUNS runs (default 1,000) of an 8 KB message in one session, the latency of the first
#      and the last ten runs; then eight parallel readers of that session's runs (the largest page) while another
#      user's GET /sessions?limit=1 is measured, against the same measure idle, and the service's peak RSS
# Prints requests/s, p50 and p99 per scenario and each ratio to (a). The service runs with SERVICE_JAVA_OPTS
# (default -Xmx512m), STORAGE_INSTANCES storage verticles (default 1) of POOL_SIZE connections each (default 8). Needs wrk and pgbench (Debian packages) and a local PostgreSQL (127.0.0.1:5432, user
# postgres). Run from the repository root: bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
LONG_RUNS=${LONG_RUNS:-1000}
SERVICE_JAVA_OPTS=${SERVICE_JAVA_OPTS:--Xmx512m}
SECRET=load-test-secret-of-at-least-32-bytes!!
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else echo "wrk is not installed (apt-get install wrk)"; exit 1; fi
fi
command -v pgbench >/dev/null || { echo "pgbench is not installed (apt-get install postgresql-contrib)"; exit 1; }
[ -f bench/target/benchmarks.jar ] || { mvn -B -q install -DskipTests && mvn -B -q -f bench/pom.xml package; }
[ -f target/agentos.jar ] || mvn -B -q package -DskipTests

KEYS=$(mktemp -d)
java -jar target/agentos.jar keygen --alg RS256 --out "$KEYS/rs" >/dev/null
java -jar target/agentos.jar keygen --alg ES256 --out "$KEYS/es" >/dev/null
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS agentos_load" -qc "CREATE DATABASE agentos_load" >/dev/null
cat > /tmp/agentos-load.yaml <<YAML
os: {id: load}
http: {host: 127.0.0.1, port: 7801}
authorization:
  algorithms: [HS256, RS256, ES256]
  user_isolation: true
  verification_keys: ["file:$KEYS/rs/public.pem", "file:$KEYS/es/public.pem"]
storage: {instances: ${STORAGE_INSTANCES:-1}, postgres: {host: 127.0.0.1, port: 5432, database: agentos_load, user: postgres, pool_size: ${POOL_SIZE:-8}}}
logging: {access_log: "off", level: WARN}
agents: [{id: assistant, model: {provider: echo, id: echo}}]
YAML
JWT_VERIFICATION_KEY=$SECRET AGENTOS_CONFIG=/tmp/agentos-load.yaml java $SERVICE_JAVA_OPTS -jar target/agentos.jar > /tmp/agentos-load.log 2>&1 &
SERVICE=$!
java -cp bench/target/benchmarks.jar dev.agentos.bench.BareJwtServer 7802 "$SECRET" > /tmp/bare-load.log 2>&1 &
BARE=$!
trap 'kill $SERVICE $BARE 2>/dev/null || true; rm -rf "$KEYS"' EXIT
for _ in $(seq 1 60); do curl -sf localhost:7801/ready >/dev/null && curl -s localhost:7802/protected -o /dev/null && break; sleep 1; done

TOKEN=$(java -jar target/agentos.jar token --alg HS256 --key "$SECRET" --sub loaduser --ttl 1h \
  --scopes "agents:read agents:run sessions:read sessions:write")
RS_TOKEN=$(java -jar target/agentos.jar token --alg RS256 --key "$KEYS/rs/private.pem" --sub loaduser --ttl 1h \
  --scopes "agents:read agents:run sessions:read sessions:write")
ES_TOKEN=$(java -jar target/agentos.jar token --alg ES256 --key "$KEYS/es/private.pem" --sub loaduser --ttl 1h \
  --scopes "agents:read agents:run sessions:read sessions:write")
for i in $(seq 1 20); do curl -s -X POST localhost:7801/sessions -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"session_id\": \"load-$i\"}" >/dev/null; done
cat > /tmp/agentos-run.lua <<'LUA'
wrk.method = "POST"
wrk.body = "message=hello&stream=false"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

run() { # name url [extra wrk args]; the token is $BEARER (default: the HS256 one)
  local name=$1 url=$2; shift 2
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer ${BEARER:-$TOKEN}" "$@" "$url" > "/tmp/wrk-$name.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "/tmp/wrk-$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "/tmp/wrk-$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "/tmp/wrk-$name.txt")
  local errors; errors=$(awk '/Non-2xx/ {print $NF}' "/tmp/wrk-$name.txt")
  echo "$name $rps $p50 $p99 ${errors:-0}"
}
# warm-up (JIT, pools, caches), not reported: without it whichever scenario runs first looks slowest
for url in http://127.0.0.1:7802/protected http://127.0.0.1:7801/agents http://127.0.0.1:7801/sessions; do
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-10}s" -H "Authorization: Bearer $TOKEN" "$url" >/dev/null
done
for bearer in "$RS_TOKEN" "$ES_TOKEN" "$TOKEN"; do
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-10}s" -H "Authorization: Bearer $bearer" http://127.0.0.1:7801/agents >/dev/null
done
for bearer in "$RS_TOKEN" "$ES_TOKEN"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $bearer" http://127.0.0.1:7801/agents)
  [ "$code" = 200 ] || { echo "an asymmetric token was refused ($code)"; exit 1; }
done
{
  run a-bare http://127.0.0.1:7802/protected
  run b-agents http://127.0.0.1:7801/agents
  BEARER=$RS_TOKEN run b-agents-rs256 http://127.0.0.1:7801/agents
  BEARER=$ES_TOKEN run b-agents-es256 http://127.0.0.1:7801/agents
  run c-sessions http://127.0.0.1:7801/sessions
  run d-runs http://127.0.0.1:7801/agents/assistant/runs -s /tmp/agentos-run.lua
} > /tmp/load-results.txt

# PostgreSQL's ceilings, measured now, beside the scenarios above, with the same number of clients
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS agentos_pgbench" -qc "CREATE DATABASE agentos_pgbench" >/dev/null
pgbench -h 127.0.0.1 -U postgres -i -q -s 10 agentos_pgbench >/dev/null 2>&1
pg_read=$(pgbench -h 127.0.0.1 -U postgres -n -S -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" agentos_pgbench 2>/dev/null \
  | awk '/^tps/ {print $3; exit}')
pg_write=$(pgbench -h 127.0.0.1 -U postgres -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" agentos_pgbench 2>/dev/null \
  | awk '/^tps/ {print $3; exit}')

# (e) one long session: runs 1..LONG_RUNS of an 8 KB message, each timed
MESSAGE=$(head -c 8192 /dev/zero | tr "\\0" a)
: > /tmp/long-latency.txt
for i in $(seq 1 "$LONG_RUNS"); do
  curl -s -o /dev/null -w '%{time_total}\n' -X POST localhost:7801/agents/assistant/runs -H "Authorization: Bearer $TOKEN" \
    --data-urlencode "message=$MESSAGE" -d stream=false -d session_id=long-session >> /tmp/long-latency.txt
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000}'; }
first_ms=$(head -10 /tmp/long-latency.txt | median)
last_ms=$(tail -10 /tmp/long-latency.txt | median)
OTHER=$(java -jar target/agentos.jar token --alg HS256 --key "$SECRET" --sub other-user --ttl 1h --scopes "sessions:read sessions:write")
curl -s -X POST localhost:7801/sessions -H "Authorization: Bearer $OTHER" -H 'Content-Type: application/json' -d '{"session_id": "other-1"}' >/dev/null
p99_of() { awk '$1=="99%" {print $2}' "$1"; }
wrk -t1 -c4 -d"${DURATION}s" --latency -H "Authorization: Bearer $OTHER" "http://127.0.0.1:7801/sessions?limit=1" > /tmp/wrk-other-idle.txt
readers=()
for r in $(seq 1 8); do
  ( end=$((SECONDS + DURATION)); while [ $SECONDS -lt $end ]; do
      curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "localhost:7801/sessions/long-session/runs?limit=100&page=$(( (RANDOM % 10) + 1 ))"
    done ) &
  readers+=($!)
done
peak_rss=0
( while kill -0 "${readers[0]}" 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$SERVICE/status; sleep 0.2; done ) > /tmp/long-rss.txt &
RSS_SAMPLER=$!
wrk -t1 -c4 -d"${DURATION}s" --latency -H "Authorization: Bearer $OTHER" "http://127.0.0.1:7801/sessions?limit=1" > /tmp/wrk-other-busy.txt
wait "${readers[@]}" "$RSS_SAMPLER" 2>/dev/null || true
peak_rss=$(sort -n /tmp/long-rss.txt | tail -1)
page_bytes=$(curl -s -H "Authorization: Bearer $TOKEN" "localhost:7801/sessions/long-session/runs?limit=100" | wc -c)

base=$(awk '$1=="a-bare" {print $2}' /tmp/load-results.txt)
echo "scenario | requests/s | p50 | p99 | non-2xx | ratio to (a)"
hs=$(awk '$1=="b-agents" {print $2}' /tmp/load-results.txt)
awk -v base="$base" '{printf "%s | %s | %s | %s | %s | %.2f\n", $1, $2, $3, $4, $5, $2/base}' /tmp/load-results.txt
awk -v hs="$hs" '$1 ~ /^b-agents-/ {printf "%s / b-agents (HS256) = %.2f\n", $1, $2/hs}' /tmp/load-results.txt
echo
echo "PostgreSQL, same run, $CONNECTIONS clients: pgbench -S $pg_read tps, default write transaction $pg_write tps"
awk -v r="$pg_read" -v w="$pg_write" '$1=="c-sessions" {printf "c-sessions / pgbench -S = %.3f\n", $2/r}
  $1=="d-runs" {printf "d-runs / pgbench write = %.3f\n", $2/w}' /tmp/load-results.txt
echo
echo "long session ($LONG_RUNS runs of 8 KB): run 1-10 median ${first_ms} ms, run $((LONG_RUNS - 9))-$LONG_RUNS median ${last_ms} ms," \
  "ratio $(awk -v a="$first_ms" -v b="$last_ms" 'BEGIN {printf "%.2f", b/a}')"
echo "eight readers of its runs (100 per page, $page_bytes bytes a page): another user's GET /sessions?limit=1 p99" \
  "$(p99_of /tmp/wrk-other-idle.txt) idle, $(p99_of /tmp/wrk-other-busy.txt) during; service peak RSS $((peak_rss / 1024)) MB" \
  "(SERVICE_JAVA_OPTS=$SERVICE_JAVA_OPTS)"
