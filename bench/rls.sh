#!/usr/bin/env bash
# The cost of a switch, same jar started twice on one database, both with tenants on and user isolation:
#   bench/rls.sh                     storage.postgres.row_level_security on (port 7811) and off (port 7812), the second
#                                    wall of docs/isolation.md
#   SWITCH=records bench/rls.sh      authorization.decision_records on and off (docs/authorization.md)
# GET /sessions (a listing: one statement) and POST /agents/assistant/runs (echo model, not streaming: a history
# statement and a write transaction) are measured with wrk, alternating on/off ROUNDS times (default 3) so both see
# the same machine; the ratio on/off of each round's requests/s is printed, and the median of the rounds.
# Needs wrk and a local PostgreSQL (127.0.0.1:5432, user postgres). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SERVICE_JAVA_OPTS=${SERVICE_JAVA_OPTS:--Xmx512m}
SECRET=rls-bench-secret-of-at-least-32-bytes!!
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else echo "wrk is not installed (apt-get install wrk)"; exit 1; fi
fi
[ -f target/agentos.jar ] || mvn -B -q package -DskipTests
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS agentos_rls" -qc "CREATE DATABASE agentos_rls" >/dev/null
SWITCH=${SWITCH:-rls}
for mode in on off; do
  port=$([ $mode = on ] && echo 7811 || echo 7812)
  flag=$([ $mode = on ] && echo true || echo false)
  if [ "$SWITCH" = records ]; then rls=true; records=$flag; else rls=$flag; records=false; fi
  cat > /tmp/agentos-rls-$mode.yaml <<YAML
os: {id: rls}
http: {host: 127.0.0.1, port: $port}
authorization: {algorithms: [HS256], user_isolation: true, tenant_id_claim: org, decision_records: $records}
storage: {postgres: {host: 127.0.0.1, port: 5432, database: agentos_rls, user: postgres, row_level_security: $rls}}
logging: {access_log: "off", level: WARN}
agents: [{id: assistant, model: {provider: echo, id: echo}}]
YAML
done
JWT_VERIFICATION_KEY=$SECRET AGENTOS_CONFIG=/tmp/agentos-rls-on.yaml java $SERVICE_JAVA_OPTS -jar target/agentos.jar > /tmp/agentos-rls-on.log 2>&1 &
ON=$!
for _ in $(seq 1 60); do curl -sf localhost:7811/ready >/dev/null && break; sleep 1; done
JWT_VERIFICATION_KEY=$SECRET AGENTOS_CONFIG=/tmp/agentos-rls-off.yaml java $SERVICE_JAVA_OPTS -jar target/agentos.jar > /tmp/agentos-rls-off.log 2>&1 &
OFF=$!
trap 'kill $ON $OFF 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf localhost:7812/ready >/dev/null && break; sleep 1; done

# tokens of tenant acme (the claim is a plain string here): a reader whose 20 sessions are all it has, and a runner
# whose every run starts a new session (so the reader's listing stays the same size however many runs there were)
TOKEN=$(java -jar target/agentos.jar token --alg HS256 --key "$SECRET" --sub reader --ttl 1h \
  --scopes "agents:read agents:run sessions:read sessions:write" --claim org=acme)
RUNNER=$(java -jar target/agentos.jar token --alg HS256 --key "$SECRET" --sub runner --ttl 1h \
  --scopes "agents:read agents:run sessions:read sessions:write" --claim org=acme)
for i in $(seq 1 20); do curl -s -X POST localhost:7811/sessions -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"session_id\": \"rls-$i\"}" >/dev/null; done
# other tenants' and users' rows beside them, as a shared deployment has
psql -h 127.0.0.1 -U postgres -d agentos_rls -qc "INSERT INTO sessions (tenant_id, session_id, user_id, session_type, component_id)
  SELECT 'tenant-' || (g % 50), 'other-' || g, 'user-' || (g % 500), 'agent', 'assistant' FROM generate_series(1, 100000) g" \
  -qc "VACUUM ANALYZE sessions" >/dev/null
cat > /tmp/agentos-rls-run.lua <<'LUA'
wrk.method = "POST"
wrk.body = "message=hello&stream=false"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" localhost:7811/sessions)
[ "$code" = 200 ] || { echo "the token was refused ($code)"; exit 1; }

rps() { # port path [wrk args]; the token is $BEARER (default: the reader's)
  local port=$1 path=$2; shift 2
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer ${BEARER:-$TOKEN}" "$@" "http://127.0.0.1:$port$path" > /tmp/wrk-rls.txt
  local errors; errors=$(awk '/Non-2xx/ {print $NF}' /tmp/wrk-rls.txt)
  [ -z "$errors" ] || { echo "non-2xx answers: $errors" >&2; exit 1; }
  echo "$(awk '/Requests\/sec/ {print $2}' /tmp/wrk-rls.txt) $(awk '$1=="50%" {print $2}' /tmp/wrk-rls.txt) $(awk '$1=="99%" {print $2}' /tmp/wrk-rls.txt)"
}
# warm-up of both (JIT, pools), not reported
for port in 7811 7812; do
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-10}s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/sessions" >/dev/null
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-10}s" -H "Authorization: Bearer $RUNNER" -s /tmp/agentos-rls-run.lua \
    "http://127.0.0.1:$port/agents/assistant/runs" >/dev/null
done
psql -h 127.0.0.1 -U postgres -d agentos_rls -qc "VACUUM ANALYZE" >/dev/null
echo "scenario | round | $SWITCH on: req/s p50 p99 | $SWITCH off: req/s p50 p99 | on/off"
for scenario in sessions runs; do
  ratios=()
  for round in $(seq 1 "$ROUNDS"); do
    if [ $scenario = sessions ]; then
      on=$(rps 7811 /sessions); off=$(rps 7812 /sessions)
    else
      on=$(BEARER=$RUNNER rps 7811 /agents/assistant/runs -s /tmp/agentos-rls-run.lua)
      off=$(BEARER=$RUNNER rps 7812 /agents/assistant/runs -s /tmp/agentos-rls-run.lua)
    fi
    ratio=$(awk -v a="${on%% *}" -v b="${off%% *}" 'BEGIN {printf "%.2f", a / b}')
    ratios+=("$ratio")
    echo "$scenario | $round | $on | $off | $ratio"
  done
  echo "$scenario | median | | | $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done
