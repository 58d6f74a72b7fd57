#!/usr/bin/env bash
# Soak: a bounded mixed load against one instance for MINUTES minutes (default 30), sampling heap (after a
# full GC), RSS, open connections and status codes every minute. One wrk run covers the whole duration (so
# its per-thread state, the ids to delete, lives as long as the run); the per-minute status codes are the
# deltas of the service's own counter `vertx_http_server_requests_total` from /metrics.
#
#   bench/soak.sh                 # 30 minutes
#   MINUTES=5 bench/soak.sh       # a short one
#
# Mix per request (wrk + Lua): GET /agents 30 %, GET /sessions 20 %, POST /sessions 15 %, POST /memories 15 %,
# GET /memories 10 %, POST /agents/assistant/runs (echo, not streamed) 10 %; tokens: 85 % valid (one user per
# wrk thread), 5 % expired, 5 % forged (another key), 5 % `alg: none`. Each thread deletes, as their owner,
# the sessions, run sessions and memories it created beyond the newest 200, so the data stays bounded and
# the run measures the service, not a growing table. Load is bounded: CONNECTIONS (default 8) connections on
# THREADS (default 4) wrk threads.
#
# Fails (exit 1) on any 5xx, on any 4xx other than the 401s the bad tokens must get, or when the heap after a
# full GC at the end is more than 10 % above the heap after WARMUP_MINUTES (default 3). Results: a table on
# stdout and in bench/results/soak.md. Needs wrk, jcmd (JDK) and a local PostgreSQL (127.0.0.1:5432, postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-30}
WARMUP_MINUTES=${WARMUP_MINUTES:-3}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-4}
PORT=${PORT:-7806}
SECRET=soak-test-secret-of-at-least-32-bytes!!!
OTHER=another-secret-nobody-configured-32-bytes!
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else echo "wrk is not installed (apt-get install wrk)"; exit 1; fi
fi
[ -f target/agentos.jar ] || mvn -B -q package -DskipTests
mkdir -p bench/results
WORK=$(mktemp -d)

psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS agentos_soak" -qc "CREATE DATABASE agentos_soak" >/dev/null 2>&1
cat > "$WORK/config.yaml" <<YAML
os: {id: soak}
http: {host: 127.0.0.1, port: $PORT}
authorization: {algorithms: [HS256], user_isolation: true}
storage: {postgres: {host: 127.0.0.1, port: 5432, database: agentos_soak, user: postgres, pool_size: 8}}
logging: {access_log: "off", level: WARN}
agents: [{id: assistant, model: {provider: echo, id: echo}}]
YAML
JWT_VERIFICATION_KEY=$SECRET AGENTOS_CONFIG="$WORK/config.yaml" java -Xmx512m -jar target/agentos.jar > "$WORK/service.log" 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "localhost:$PORT/ready" >/dev/null && break; sleep 1; done
curl -sf "localhost:$PORT/ready" >/dev/null || { echo "service not ready"; cat "$WORK/service.log"; exit 1; }

token() { java -jar target/agentos.jar token --alg HS256 "$@"; }
SCOPES="agents:read agents:run sessions:read sessions:write sessions:delete memories:read memories:write memories:delete"
now=$(date +%s)
expired_at=$((now - 3600))
issued_at=$((now - 7200))
none_exp=$((now + 172800))
EXPIRED=$(token --key "$SECRET" --sub soak-expired --scopes "$SCOPES" --claim "exp=$expired_at" --claim "iat=$issued_at")
FORGED=$(token --key "$OTHER" --sub soak-forged --ttl 2d --scopes "agent_os:admin")
# alg none: header {"alg":"none","typ":"JWT"}, an admin payload, an empty signature
PAYLOAD=$(printf '{"sub":"soak-none","scopes":["agent_os:admin"],"exp":%d}' "$none_exp" | base64 -w0 | tr '+/' '-_' | tr -d '=')
NONE="eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.$PAYLOAD."
{
  echo "valid = {"
  for i in $(seq 1 10); do
    t=$(token --key "$SECRET" --sub "soak-user-$i" --ttl 2d --scopes "$SCOPES")
    echo "  \"$t\","
  done
  echo "}"
  echo "expired = \"$EXPIRED\""
  echo "forged = \"$FORGED\""
  echo "none = \"$NONE\""
} > "$WORK/tokens.lua"

cat > "$WORK/mix.lua" <<'LUA'
-- One valid user per wrk thread, so that what a thread creates it can delete again as its owner: the data
-- stays bounded (steady state) instead of growing for the whole run.
dofile(os.getenv("SOAK_TOKENS"))
local counter = 0
local threads = {}
local sessions = {}   -- ids this thread created (sessions, and the sessions its runs created)
local memories = {}   -- memory ids this thread created
local KEEP = 200      -- each thread keeps at most this many of each; older ones are deleted
statuses = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() + (tid or 0))
  me = valid[((tid or 1) - 1) % #valid + 1]
end
local function auth(tok) return { ["Authorization"] = "Bearer " .. tok } end
function request()
  counter = counter + 1
  if #sessions > KEEP then
    return wrk.format("DELETE", "/sessions/" .. table.remove(sessions, 1), auth(me))
  end
  if #memories > KEEP then
    return wrk.format("DELETE", "/memories/" .. table.remove(memories, 1), auth(me))
  end
  local t = math.random(100)
  local tok = me
  if t <= 5 then tok = expired elseif t <= 10 then tok = forged elseif t <= 15 then tok = none end
  local h = auth(tok)
  local k = math.random(100)
  local id = "soak-" .. os.time() .. "-" .. (tid or 0) .. "-" .. counter
  if k <= 30 then return wrk.format("GET", "/agents", h)
  elseif k <= 50 then return wrk.format("GET", "/sessions?limit=20", h)
  elseif k <= 65 then
    h["Content-Type"] = "application/json"
    return wrk.format("POST", "/sessions", h, '{"session_id": "' .. id .. '", "session_name": "soak"}')
  elseif k <= 80 then
    h["Content-Type"] = "application/json"
    return wrk.format("POST", "/memories", h, '{"memory": "soak memory ' .. id .. '", "topics": ["soak"]}')
  elseif k <= 90 then return wrk.format("GET", "/memories?limit=20", h)
  else
    h["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/agents/assistant/runs", h, "message=hello&stream=false")
  end
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  -- a created session, memory or run (listings start with {"data": and are not remembered)
  if (status == 200 or status == 201) and body and string.sub(body, 1, 8) ~= '{"data":' then
    local memory = string.match(body, '"memory_id"%s*:%s*"([^"]+)"')
    if memory then table.insert(memories, memory) return end
    local session = string.match(body, '"session_id"%s*:%s*"([^"]+)"')
    if session then table.insert(sessions, session) end
  end
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(total) do table.insert(parts, code .. "=" .. n) end
  table.sort(parts)
  io.write("STATUSES " .. table.concat(parts, ",") .. "\n")
  io.write(string.format("LATENCY p50=%.1fms p99=%.1fms errors=%d\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

heap_after_gc() { # live heap in KB: old-generation occupancy (jstat OU) right after a full GC; what the load
  # allocates between the GC and the reading goes to the young generation, so it does not blur the figure
  jcmd "$SERVICE" GC.run >/dev/null
  jstat -gc "$SERVICE" | awk 'NR == 2 {print int($8)}'
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$SERVICE/status"; }
conns() { ss -Htn state established "( sport = :$PORT )" | wc -l; }

METRICS_TOKEN=$(token --key "$SECRET" --sub soak-probe --ttl 2d --scopes "metrics:read")
status_counts() { # "code=count" lines, summed over methods, from the service's own counter
  curl -s "localhost:$PORT/metrics" -H "Authorization: Bearer $METRICS_TOKEN" \
    | awk -F'[{},"= ]+' '/^vertx_http_server_requests_total\{/ {for (i=2;i<NF;i++) if ($i=="code") c=$(i+1); n[c]+=$NF} END {for (c in n) printf "%s=%d\n", c, n[c]}' | LC_ALL=C sort
}
autovacuum=$(psql -h 127.0.0.1 -U postgres -d agentos_soak -Atc "SHOW autovacuum")

OUT=bench/results/soak.md
{
  echo "# Soak run $(date -u +%Y-%m-%dT%H:%MZ): $MINUTES min, $THREADS wrk threads, $CONNECTIONS connections, JDK $(java -version 2>&1 | head -1 | cut -d'"' -f2), $(nproc) cores"
  echo
  [ "$autovacuum" = off ] && echo "This PostgreSQL runs with autovacuum off; the script runs VACUUM ANALYZE on its database every minute in its place." && echo
  echo "| minute | requests/s | statuses (this minute) | heap after GC (MiB) | RSS (MiB) | open connections | live rows (sessions, memories, runs) |"
  echo "|---:|---:|---|---:|---:|---:|---|"
} > "$OUT"
cat "$OUT"
fail=0
warm_heap=""
SOAK_TOKENS="$WORK/tokens.lua" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$((MINUTES * 60 + 5))s" --timeout 10s --latency -s "$WORK/mix.lua" \
  "http://127.0.0.1:$PORT" > "$WORK/wrk.txt" 2>&1 &
WRK=$!
status_counts > "$WORK/before.txt"
started=$(date +%s)
for minute in $(seq 1 "$MINUTES"); do
  # sample at whole minutes since the start (GC, vacuum and queries take time; a plain sleep 60 would drift)
  sleep $((started + minute * 60 - $(date +%s)))
  open_conns=$(conns)
  status_counts > "$WORK/now.txt"
  statuses=$(LC_ALL=C join -t= -a2 -e0 -o 0,1.2,2.2 "$WORK/before.txt" "$WORK/now.txt" | awk -F= '$3-$2 > 0 {printf "%s%s=%d", sep, $1, $3-$2; sep=","}')
  total=$(LC_ALL=C join -t= -a2 -e0 -o 0,1.2,2.2 "$WORK/before.txt" "$WORK/now.txt" | awk -F= '{t+=$3-$2} END {print t+0}')
  cp "$WORK/now.txt" "$WORK/before.txt"
  [ "$autovacuum" = off ] && psql -h 127.0.0.1 -U postgres -d agentos_soak -qc "VACUUM ANALYZE" >/dev/null 2>&1
  heap=$(heap_after_gc)
  rss=$(rss_kb)
  rows=$(psql -h 127.0.0.1 -U postgres -d agentos_soak -Atc "SELECT (SELECT count(*) FROM sessions) || ', ' || (SELECT count(*) FROM memories) || ', ' || (SELECT count(*) FROM runs)")
  printf "| %d | %d | %s | %.1f | %.1f | %s | %s |\n" "$minute" "$((total / 60))" "${statuses:-none}" \
    "$(awk -v k="$heap" 'BEGIN {print k / 1024}')" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$open_conns" "$rows" | tee -a "$OUT"
  if echo ",$statuses" | grep -qE ',5[0-9][0-9]='; then echo "FAIL: 5xx in minute $minute"; fail=1; fi
  if echo ",$statuses" | tr ',' '\n' | grep -E '^4[0-9][0-9]=' | grep -vq '^401='; then echo "FAIL: unexpected 4xx in minute $minute"; fail=1; fi
  if ! kill -0 "$SERVICE" 2>/dev/null; then echo "FAIL: the service exited"; fail=1; break; fi
  [ "$minute" = "$WARMUP_MINUTES" ] && warm_heap=$heap
done
wait $WRK || true
final_heap=$(heap_after_gc)
{
  echo
  if [ -n "$warm_heap" ]; then
    growth=$(awk -v a="$warm_heap" -v b="$final_heap" 'BEGIN {print (b - a) * 100 / a}')
    printf "Heap after GC: %.1f MiB after minute %s (warm-up), %.1f MiB at the end: %+.1f %%.\n" \
      "$(awk -v k="$warm_heap" 'BEGIN {print k / 1024}')" "$WARMUP_MINUTES" "$(awk -v k="$final_heap" 'BEGIN {print k / 1024}')" "$growth"
    if awk -v g="$growth" 'BEGIN {exit !(g > 10)}'; then echo "FAIL: heap grew more than 10 % after warm-up"; fail=1; fi
  fi
  echo "wrk over the whole run: $(awk '/requests in/ {print $1, "requests"}' "$WORK/wrk.txt"), latency p50 $(awk '$1=="50%" {print $2}' "$WORK/wrk.txt"), p99 $(awk '$1=="99%" {print $2}' "$WORK/wrk.txt"), wrk's own status view: $(awk '/^STATUSES/ {print $2}' "$WORK/wrk.txt"), socket errors $(awk '/^LATENCY/ {print $4}' "$WORK/wrk.txt" | cut -d= -f2)."
  echo "Rows at the end: $(psql -h 127.0.0.1 -U postgres -d agentos_soak -Atc "SELECT (SELECT count(*) FROM sessions) || ' sessions, ' || (SELECT count(*) FROM memories) || ' memories, ' || (SELECT count(*) FROM runs) || ' runs'")."
  echo "Service log lines at WARN or above: $(grep -cE ' (WARN|ERROR) ' "$WORK/service.log" || true)."
  [ "$fail" = 0 ] && echo "Result: PASS" || echo "Result: FAIL"
} | tee -a "$OUT"
exit "$fail"
