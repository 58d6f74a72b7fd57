#!/usr/bin/env bash
# GET /sessions latency for one user while the table holds 1k, 100k and 1M other users' rows, then for a user
# with 100k sessions of their own, and the plan
# PostgreSQL uses (owner-first index). Loopback only, bounded: WARMUP seconds of warm-up (default 30), then
# DURATION seconds of wrk per size (default 10).
# Needs wrk and a local PostgreSQL (127.0.0.1:5432, user postgres). Run from the repository root: bench/growth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
SECRET=growth-test-secret-of-at-least-32-bytes!
DB=agentos_growth
PSQL="psql -h 127.0.0.1 -U postgres -qAt"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
[ -f target/agentos.jar ] || mvn -B -q package -DskipTests
$PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
cat > /tmp/agentos-growth.yaml <<YAML
os: {id: growth}
http: {host: 127.0.0.1, port: 7803}
authorization: {algorithms: [HS256], user_isolation: true}
storage: {postgres: {host: 127.0.0.1, port: 5432, database: $DB, user: postgres}}
logging: {access_log: "off", level: WARN}
YAML
JWT_VERIFICATION_KEY=$SECRET AGENTOS_CONFIG=/tmp/agentos-growth.yaml java -jar target/agentos.jar > /tmp/agentos-growth.log 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf localhost:7803/ready >/dev/null && break; sleep 1; done
TOKEN=$(java -jar target/agentos.jar token --alg HS256 --key "$SECRET" --sub measured-user --ttl 1h --scopes "sessions:read sessions:write")
for i in $(seq 1 20); do curl -s -X POST localhost:7803/sessions -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"session_id\": \"mine-$i\"}" >/dev/null; done

# warm up the JIT and the pool first, so the first size is not measured cold
wrk -t2 -c16 -d"${WARMUP:-30}s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:7803/sessions?limit=20" > /dev/null
echo "other users' rows | requests/s | p50 | p99"
have=0
for target in 1000 100000 1000000; do
  $PSQL -d $DB -c "INSERT INTO sessions (tenant_id, session_id, user_id, session_type, component_id, session_name)
    SELECT '', 'other-' || g, 'user-' || (g % 5000), 'agent', 'a1', 'chat ' || g FROM generate_series($have + 1, $target) g"
  $PSQL -d $DB -c "VACUUM ANALYZE sessions"
  have=$target
  wrk -t2 -c16 -d5s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:7803/sessions?limit=20" > /dev/null # settle first
  wrk -t2 -c16 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:7803/sessions?limit=20" > /tmp/wrk-growth.txt
  printf "%s | %s | %s | %s\n" "$target" "$(awk '/Requests\/sec/ {print $2}' /tmp/wrk-growth.txt)" \
    "$(awk '$1=="50%" {print $2}' /tmp/wrk-growth.txt)" "$(awk '$1=="99%" {print $2}' /tmp/wrk-growth.txt)"
done
# the same page for a user with 100k sessions of their own (the count stops at its cap, the page is an index scan)
$PSQL -d $DB -c "INSERT INTO sessions (tenant_id, session_id, user_id, session_type, component_id, session_name)
  SELECT '', 'big-' || g, 'big-user', 'agent', 'a1', 'chat ' || g FROM generate_series(1, 100000) g"
$PSQL -d $DB -c "VACUUM ANALYZE sessions"
BIG=$(java -jar target/agentos.jar token --alg HS256 --key "$SECRET" --sub big-user --ttl 1h --scopes "sessions:read")
wrk -t2 -c16 -d5s -H "Authorization: Bearer $BIG" "http://127.0.0.1:7803/sessions?limit=20" > /dev/null # settle first
wrk -t2 -c16 -d"${DURATION}s" --latency -H "Authorization: Bearer $BIG" "http://127.0.0.1:7803/sessions?limit=20" > /tmp/wrk-growth.txt
printf "%s | %s | %s | %s\n" "1000000 + 100000 own" "$(awk '/Requests\/sec/ {print $2}' /tmp/wrk-growth.txt)" \
  "$(awk '$1=="50%" {print $2}' /tmp/wrk-growth.txt)" "$(awk '$1=="99%" {print $2}' /tmp/wrk-growth.txt)"
echo
echo "plan at 1M other rows, as the service runs it (a prepared statement, after 7 executions):"
$PSQL -d $DB > /tmp/growth-plan.txt <<SQL
PREPARE q(text[]) AS SELECT c.total, p.* FROM (SELECT count(*) AS total FROM (SELECT 1 FROM sessions
  WHERE (tenant_id = (\$1::text[])[1] AND ((\$1::text[])[2] IS NULL OR user_id = (\$1::text[])[2])) LIMIT 1001) AS capped) AS c
  LEFT JOIN LATERAL (SELECT session_id FROM sessions WHERE (tenant_id = (\$1::text[])[1] AND ((\$1::text[])[2] IS NULL
  OR user_id = (\$1::text[])[2])) ORDER BY created_at DESC, session_id DESC LIMIT 20) AS p ON true;
EXECUTE q('{"",measured-user}'); EXECUTE q('{"",measured-user}'); EXECUTE q('{"",measured-user}'); EXECUTE q('{"",measured-user}');
EXECUTE q('{"",measured-user}'); EXECUTE q('{"",measured-user}'); EXECUTE q('{"",measured-user}');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE q('{"",measured-user}');
SQL
grep -v '|mine-' /tmp/growth-plan.txt
