#!/usr/bin/env bash
# Two-node HTTP throughput, secure cluster against insecure, measured side by side in one run:
# node A (HTTP only) takes the load; node B (policy, storage, runtime) decides and stores, so every request
# crosses the event bus at least once (GET /agents: one decision; GET /sessions: a decision and a storage read).
# Each mode runs ROUNDS times, alternating (insecure, secure, insecure, secure...), DURATION seconds per scenario
# after a WARMUP. Prints requests/s and p50/p99 per round, then the secure/insecure ratio of the medians.
# JAVA_OPTS is passed to both JVMs (e.g. -Dio.netty.handler.ssl.noOpenSsl=true to compare the JDK TLS engine).
# Needs wrk and a local PostgreSQL (127.0.0.1:5432, user postgres). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
SECRET=cluster-load-secret-of-at-least-32-bytes
if ! command -v wrk >/dev/null; then echo "wrk is not installed (apt-get install wrk)"; exit 1; fi
[ -f target/agentos.jar ] || mvn -B -q package -DskipTests

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
java -jar target/agentos.jar cluster-credentials --out "$WORK/creds" --node a >/dev/null
java -jar target/agentos.jar cluster-credentials --ca "$WORK/creds/ca" --out "$WORK/creds" --node b >/dev/null
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS agentos_cluster_load" -qc "CREATE DATABASE agentos_cluster_load" >/dev/null
cat > "$WORK/config.yaml" <<YAML
os: {id: cluster-load}
http: {host: 127.0.0.1}
authorization: {algorithms: [HS256], verification_keys: ["$SECRET"], user_isolation: true}
storage: {postgres: {host: 127.0.0.1, port: 5432, database: agentos_cluster_load, user: postgres, pool_size: 8}}
logging: {access_log: "off", level: WARN}
agents: [{id: assistant, model: {provider: echo, id: echo}}]
cluster: {enabled: true, name: cluster-load, member_timeout_seconds: 5}
YAML
TOKEN=$(java -jar target/agentos.jar token --alg HS256 --key "$SECRET" --sub loaduser --ttl 1h --scopes "agents:read sessions:read sessions:write")

start_pair() { # mode: secure | insecure
  local mode=$1 sec_a sec_b
  if [ "$mode" = secure ]; then
    sec_a="AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR=$WORK/creds/a"; sec_b="AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR=$WORK/creds/b"
  else
    sec_a="AGENTOS_CLUSTER_SECURITY_INSECURE=true"; sec_b="AGENTOS_CLUSTER_SECURITY_INSECURE=true"
  fi
  env AGENTOS_CONFIG="$WORK/config.yaml" AGENTOS_HTTP_PORT=7831 AGENTOS_CLUSTER_PORT=7832 AGENTOS_CLUSTER_EVENT_BUS_PORT=7833 \
    AGENTOS_CLUSTER_MEMBERS=127.0.0.1:7842 AGENTOS_CLUSTER_VERTICLES=policy,storage,runtime "$sec_b" \
    java ${JAVA_OPTS:-} -Xmx512m -jar target/agentos.jar > "$WORK/b-$mode.log" 2>&1 &
  PIDS+=($!); B=$!
  sleep 3
  env AGENTOS_CONFIG="$WORK/config.yaml" AGENTOS_HTTP_PORT=7841 AGENTOS_CLUSTER_PORT=7842 AGENTOS_CLUSTER_EVENT_BUS_PORT=7843 \
    AGENTOS_CLUSTER_MEMBERS=127.0.0.1:7832 AGENTOS_CLUSTER_VERTICLES=http "$sec_a" \
    java ${JAVA_OPTS:-} -Xmx512m -jar target/agentos.jar > "$WORK/a-$mode.log" 2>&1 &
  PIDS+=($!); A=$!
  for _ in $(seq 1 90); do curl -sf localhost:7841/ready >/dev/null && return 0; sleep 1; done
  echo "the $mode pair did not become ready"; tail -20 "$WORK/a-$mode.log" "$WORK/b-$mode.log"; exit 1
}
stop_pair() { kill "$A" "$B" 2>/dev/null || true; wait "$A" "$B" 2>/dev/null || true; }

measure() { # label path -> "rps p50 p99"
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:7841$2" >/dev/null
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:7841$2")
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  [ -z "$non2xx" ] || { echo "$1: $non2xx non-2xx responses"; exit 1; }
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1=="50%" {print $2}') $(echo "$out" | awk '$1=="99%" {print $2}')"
}

declare -A RESULTS
for round in $(seq 1 "$ROUNDS"); do
  for mode in insecure secure; do
    start_pair "$mode"
    for scenario in agents sessions; do
      path=/agents; [ "$scenario" = sessions ] && path="/sessions?type=agent"
      r=$(measure "$mode $scenario" "$path")
      RESULTS["$mode-$scenario-$round"]=$r
      printf '%-9s round %d  %-9s %10s req/s  p50 %-8s p99 %s\n' "$mode" "$round" "$scenario" $r
    done
    stop_pair
  done
done
echo
for scenario in agents sessions; do
  ins=(); sec=()
  for round in $(seq 1 "$ROUNDS"); do
    ins+=("$(echo "${RESULTS[insecure-$scenario-$round]}" | cut -d' ' -f1)")
    sec+=("$(echo "${RESULTS[secure-$scenario-$round]}" | cut -d' ' -f1)")
  done
  mi=$(printf '%s\n' "${ins[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  ms=$(printf '%s\n' "${sec[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  printf '%-9s median insecure %s req/s, secure %s req/s: secure/insecure %.3f (cost %.1f%%)\n' "$scenario" "$mi" "$ms" \
    "$(echo "$ms / $mi" | bc -l)" "$(echo "(1 - $ms / $mi) * 100" | bc -l)"
done
grep -h "joining cluster" "$WORK"/a-secure.log | head -1
