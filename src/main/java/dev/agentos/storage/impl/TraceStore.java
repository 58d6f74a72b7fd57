package dev.agentos.storage.impl;

import dev.agentos.contract.Owner;
import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import dev.agentos.storage.TraceFilter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Traces and their spans. Every method takes the {@link Owner} first; see {@link Sql}. */
public final class TraceStore {
  private final ScopedClient db;

  public TraceStore(ScopedClient db) {
    this.db = db;
  }

  /** Filters for list and session stats; a component filter is (type, id). */
  public record Filters(String runId, String sessionId, String componentType, String componentId, String status,
                        OffsetDateTime startTime, OffsetDateTime endTime) {}

  public Future<JsonObject> list(Owner owner, Filters f, int page, int limit) {
    long started = System.nanoTime();
    return db.query(owner, Sql.LIST_TRACES, filterArgs(owner, f, page, limit)).map(rows -> {
      JsonArray data = new JsonArray();
      for (Row r : rows) data.add(summary(r));
      return Rows.page(data, Rows.total(rows), page, limit, started);
    });
  }

  public Future<JsonObject> sessionStats(Owner owner, Filters f, int page, int limit) {
    long started = System.nanoTime();
    return db.query(owner, Sql.TRACE_SESSION_STATS, filterArgs(owner, f, page, limit)).map(rows -> {
      JsonArray data = new JsonArray();
      for (Row r : rows) data.add(sessionStat(r));
      return Rows.page(data, Rows.total(rows), page, limit, started);
    });
  }

  public Future<JsonObject> search(Owner owner, Object filter, String groupBy, int page, int limit) {
    long started = System.nanoTime();
    TraceFilter.Compiled c = TraceFilter.compile(filter, 2);
    Tuple args = Tuple.of(owner.sqlValue());
    for (Object p : c.params()) args.addValue(p);
    args.addInteger(limit).addLong((long) (page - 1) * limit);
    int limitParam = 2 + c.params().size();
    boolean bySession = "session".equals(groupBy);
    String sql = bySession ? Sql.searchTraceSessions(c.sql(), limitParam) : Sql.searchTraces(c.sql(), limitParam);
    return db.query(owner, sql, args).map(rows -> {
      JsonArray data = new JsonArray();
      for (Row r : rows) data.add(bySession ? sessionStat(r) : summary(r));
      return Rows.page(data, Rows.total(rows), page, limit, started);
    });
  }

  /** The trace with its span tree, or, with a span id, that span's subtree. 404 "Trace not found" otherwise. */
  public Future<JsonObject> get(Owner owner, String traceId, String spanId) {
    return db.query(owner, Sql.GET_TRACE, Tuple.of(owner.sqlValue(), traceId)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Trace not found"));
      JsonObject trace = summary(rows.iterator().next());
      return db.query(owner, Sql.TRACE_SPANS, Tuple.of(owner.sqlValue(), traceId)).compose(spans -> {
        Map<String, JsonObject> nodes = new LinkedHashMap<>();
        Map<String, String> parents = new LinkedHashMap<>();
        for (Row s : spans) {
          nodes.put(s.getString("span_id"), node(s));
          parents.put(s.getString("span_id"), s.getString("parent_span_id"));
        }
        List<JsonObject> roots = new ArrayList<>();
        nodes.forEach((id, node) -> {
          JsonObject parent = parents.get(id) == null ? null : nodes.get(parents.get(id));
          if (parent == null) roots.add(node);
          else parent.getJsonArray("spans").add(node);
        });
        if (spanId != null) {
          JsonObject node = nodes.get(spanId);
          return node == null ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Span not found"))
              : Future.succeededFuture(node);
        }
        return Future.succeededFuture(trace.put("tree", new JsonArray(new ArrayList<>(roots))));
      });
    });
  }

  /** For the runtime: a trace and its spans, in one transaction, owned by the owner. */
  public Future<JsonObject> record(Owner owner, JsonObject trace, JsonArray spans) {
    return db.transaction(owner, conn -> insert(conn, owner, trace, spans)
        .map(v -> new JsonObject().put("trace_id", trace.getString("trace_id"))));
  }

  /**
   * Writes a trace and its spans on {@code conn} (inside the caller's transaction). The statements are sent without
   * waiting for each other's answers, so the client pipelines them: one round trip for the trace and every span.
   */
  static Future<Void> insert(SqlConnection conn, Owner owner, JsonObject trace, JsonArray spans) {
    Tuple t = Tuple.of(owner.sqlValue(), trace.getString("trace_id"), trace.getString("run_id"), trace.getString("session_id"),
        trace.getString("component_type"), trace.getString("component_id"));
    t.addString(trace.getString("name")).addString(trace.getString("status", "OK"))
        .addOffsetDateTime(OffsetDateTime.parse(trace.getString("start_time")))
        .addOffsetDateTime(trace.getString("end_time") == null ? null : OffsetDateTime.parse(trace.getString("end_time")))
        .addString(trace.getString("input"));
    Future<?> traceRow = conn.preparedQuery(Sql.INSERT_TRACE).execute(t);
    List<Tuple> spanRows = new java.util.ArrayList<>(spans.size());
    for (int i = 0; i < spans.size(); i++) {
      JsonObject s = spans.getJsonObject(i);
      Tuple st = Tuple.of(owner.sqlValue(), trace.getString("trace_id"), s.getString("span_id"), s.getString("parent_span_id"),
          s.getString("name"), s.getString("kind", "internal"));
      st.addString(s.getString("status", "OK")).addValue(s.getJsonObject("attributes", new JsonObject()))
          .addOffsetDateTime(OffsetDateTime.parse(s.getString("start_time")))
          .addOffsetDateTime(s.getString("end_time") == null ? null : OffsetDateTime.parse(s.getString("end_time")))
          .addString(s.getString("input")).addString(s.getString("output")).addString(s.getString("error"));
      spanRows.add(st);
    }
    Future<?> spanRowsWritten = spanRows.isEmpty() ? Future.succeededFuture()
        : conn.preparedQuery(Sql.INSERT_SPAN).executeBatch(spanRows);
    return Future.all(traceRow, spanRowsWritten).mapEmpty();
  }

  private static Tuple filterArgs(Owner owner, Filters f, int page, int limit) {
    Tuple args = Tuple.of(owner.sqlValue(), f.runId(), f.sessionId(), f.componentType(), f.componentId(), f.status());
    args.addOffsetDateTime(f.startTime()).addOffsetDateTime(f.endTime()).addInteger(limit).addLong((long) (page - 1) * limit);
    return args;
  }

  private static JsonObject summary(Row r) {
    OffsetDateTime start = r.getOffsetDateTime("start_time");
    OffsetDateTime end = r.getOffsetDateTime("end_time");
    String type = r.getString("component_type");
    String component = r.getString("component_id");
    Long ms = start != null && end != null ? Duration.between(start, end).toMillis() : null;
    return new JsonObject().put("trace_id", r.getString("trace_id")).put("name", r.getString("name"))
        .put("status", r.getString("status")).put("duration", ms == null ? null : String.format(java.util.Locale.ROOT, "%.2fs", ms / 1000.0))
        .put("duration_ms", ms).put("start_time", Rows.time(r, "start_time")).put("end_time", Rows.time(r, "end_time"))
        .put("total_spans", r.getLong("total_spans")).put("error_count", r.getLong("error_count"))
        .put("input", r.getString("input")).put("run_id", r.getString("run_id")).put("session_id", r.getString("session_id"))
        .put("user_id", r.getString("user_id")).put("agent_id", "agent".equals(type) ? component : null)
        .put("team_id", "team".equals(type) ? component : null).put("workflow_id", "workflow".equals(type) ? component : null)
        .put("created_at", Rows.time(r, "start_time"));
  }

  private static JsonObject sessionStat(Row r) {
    String type = r.getString("component_type");
    String component = r.getString("component_id");
    return new JsonObject().put("session_id", r.getString("session_id")).put("user_id", r.getString("user_id"))
        .put("agent_id", "agent".equals(type) ? component : null).put("team_id", "team".equals(type) ? component : null)
        .put("workflow_id", "workflow".equals(type) ? component : null).put("total_traces", r.getLong("total_traces"))
        .put("first_trace_at", Rows.time(r, "first_trace_at")).put("last_trace_at", Rows.time(r, "last_trace_at"));
  }

  private static JsonObject node(Row s) {
    OffsetDateTime start = s.getOffsetDateTime("start_time");
    OffsetDateTime end = s.getOffsetDateTime("end_time");
    Long ms = start != null && end != null ? Duration.between(start, end).toMillis() : null;
    return new JsonObject().put("id", s.getString("span_id")).put("name", s.getString("name")).put("type", s.getString("kind"))
        .put("duration", ms == null ? null : String.format(java.util.Locale.ROOT, "%.2fs", ms / 1000.0)).put("duration_ms", ms)
        .put("start_time", Rows.time(s, "start_time")).put("end_time", Rows.time(s, "end_time"))
        .put("status", s.getString("status")).put("input", s.getString("input")).put("output", s.getString("output"))
        .put("error", s.getString("error")).put("metadata", Rows.json(s, "attributes")).put("spans", new JsonArray());
  }
}
