package dev.agentos.storage.impl;

import dev.agentos.contract.Owner;
import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;

/** Sessions and their runs. Every method takes the {@link Owner} first; see {@link Sql}. */
public final class SessionStore {
  /** How many of its latest runs a session's {@code chat_history} shows when the request does not say. */
  public static final int DEFAULT_HISTORY_LIMIT = 100;

  private final ScopedClient db;

  public SessionStore(ScopedClient db) {
    this.db = db;
  }

  public Future<JsonObject> list(Owner owner, String type, String componentId, String name, int page, int limit,
                                 String sortBy, boolean ascending) {
    long started = System.nanoTime();
    String sql = Sql.listSessions(Sql.SESSION_SORT.get(sortBy), ascending);
    return db.query(owner, sql, Tuple.of(owner.sqlValue(), type, componentId, Rows.likeLiteral(name), limit,
        (long) (page - 1) * limit)).map(rows -> Rows.cappedPage(rows, "session_id", SessionStore::summary, page, limit, started));
  }

  /** The session with the chat history of one page of its runs (page 1: the latest {@code historyLimit} runs). */
  public Future<JsonObject> get(Owner owner, String sessionId, String type, int historyPage, int historyLimit) {
    return db.query(owner, Sql.GET_SESSION, Tuple.of(owner.sqlValue(), sessionId, type)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, notFound(sessionId, type)));
      Row session = rows.iterator().next();
      // a caller that only checks the session (a run listing, a cancel) asks for no history: no second statement
      if (historyLimit == 0) return Future.succeededFuture(detail(session, List.of()));
      return db.query(owner, Sql.SESSION_HISTORY,
          Tuple.of(owner.sqlValue(), sessionId, historyLimit, (long) (historyPage - 1) * historyLimit))
          .map(runs -> detail(session, newestLast(runs)));
    });
  }

  private static List<Row> newestLast(RowSet<Row> newestFirst) {
    List<Row> rows = new java.util.ArrayList<>(newestFirst.size());
    for (Row r : newestFirst) rows.add(r);
    java.util.Collections.reverse(rows);
    return rows;
  }

  public Future<JsonObject> create(Owner owner, String sessionId, String type, String componentId, String name,
                                   JsonObject state, JsonObject metadata) {
    Tuple args = Tuple.of(owner.sqlValue(), sessionId, type, componentId, name);
    args.addValue(state == null ? new JsonObject() : state).addValue(metadata == null ? new JsonObject() : metadata);
    return db.query(owner, Sql.CREATE_SESSION, args).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new StorageFailure(StorageApi.CONFLICT,
            "Session with id '" + sessionId + "' already exists. Use PATCH /sessions/" + sessionId + " to update it."));
      }
      return Future.succeededFuture(detail(rows.iterator().next(), null));
    });
  }

  public Future<JsonObject> update(Owner owner, String sessionId, String type, String name, JsonObject state,
                                   JsonObject metadata, Object summary) {
    Tuple args = Tuple.of(owner.sqlValue(), sessionId, name);
    args.addValue(state).addValue(metadata).addValue(summary).addValue(type);
    return db.query(owner, Sql.UPDATE_SESSION, args).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Session with id '" + sessionId + "' not found"));
      }
      return get(owner, sessionId, type, 1, DEFAULT_HISTORY_LIMIT);
    });
  }

  /** Deletes what the owner owns among the ids; others' ids are silently untouched (agno: 204 no-op). */
  public Future<JsonObject> delete(Owner owner, List<String> ids, List<String> types) {
    Tuple args = Tuple.of(owner.sqlValue());
    args.addArrayOfString(ids.toArray(new String[0]));
    args.addArrayOfString(types == null ? null : types.toArray(new String[0]));
    return db.query(owner, Sql.DELETE_SESSIONS, args).map(rows -> new JsonObject().put("deleted", rows.rowCount()));
  }

  /** One page of the session's runs, oldest first. */
  public Future<JsonArray> runs(Owner owner, String sessionId, OffsetDateTime after, OffsetDateTime before, int page, int limit) {
    Tuple args = Tuple.of(owner.sqlValue(), sessionId, after, before, limit, (long) (page - 1) * limit);
    return requireSession(owner, sessionId).compose(v -> db.query(owner, Sql.LIST_SESSION_RUNS, args))
        .map(rows -> {
          JsonArray out = new JsonArray();
          for (Row r : rows) out.add(run(r));
          return out;
        });
  }

  /** One page of the session's runs, oldest first, as the JSON array text PostgreSQL builds (see Sql.LIST_SESSION_RUNS_JSON). */
  public Future<String> runsText(Owner owner, String sessionId, OffsetDateTime after, OffsetDateTime before, int page, int limit) {
    Tuple args = Tuple.of(owner.sqlValue(), sessionId, after, before, limit, (long) (page - 1) * limit);
    return requireSession(owner, sessionId).compose(v -> db.query(owner, Sql.LIST_SESSION_RUNS_JSON, args))
        .map(rows -> rows.iterator().next().getString("page"));
  }

  /** {@code {session_id}} of the owner's session that holds the run, or {@code {}} when none of them does. */
  public Future<JsonObject> locateRun(Owner owner, String runId) {
    return db.query(owner, Sql.LOCATE_RUN, Tuple.of(owner.sqlValue(), runId)).map(rows ->
        rows.size() == 0 ? new JsonObject() : new JsonObject().put("session_id", rows.iterator().next().getString("session_id")));
  }

  public Future<JsonObject> run(Owner owner, String sessionId, String runId) {
    return requireSession(owner, sessionId).compose(v ->
        db.query(owner, Sql.GET_SESSION_RUN, Tuple.of(owner.sqlValue(), sessionId, runId))).compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND,
                "Run with ID " + runId + " not found in session " + sessionId));
          }
          return Future.succeededFuture(run(rows.iterator().next()));
        });
  }

  /**
   * For the runtime, in one transaction: create the owner's session if it does not exist, insert the run and, when
   * given, its trace and spans. The statements are sent without waiting for each other (the client pipelines them):
   * BEGIN, the writes and COMMIT take two round trips whatever the number of spans. A session id owned by someone
   * else, or of another component, is a 404 and nothing is written; nothing is acknowledged before the commit.
   */
  public Future<JsonObject> recordRun(Owner owner, String sessionId, String type, String componentId, JsonObject run,
                                      JsonObject trace, JsonArray spans) {
    return db.transaction(owner, conn -> {
      Future<?> session = conn.preparedQuery(Sql.ENSURE_SESSION).execute(Tuple.of(owner.sqlValue(), sessionId, type, componentId));
      Tuple args = Tuple.of(owner.sqlValue(), run.getString("run_id"), sessionId, type, componentId,
          run.getString("status", "COMPLETED"));
      args.addValue(run.getValue("input")).addValue(run.getString("content"))
          .addValue(run.getJsonObject("metrics", new JsonObject())).addValue(run.getJsonArray("events", new JsonArray()));
      Future<RowSet<Row>> inserted = conn.preparedQuery(Sql.INSERT_RUN).execute(args);
      Future<?> traced = trace == null ? Future.succeededFuture()
          : TraceStore.insert(conn, owner, trace, spans == null ? new JsonArray() : spans);
      return Future.all(session, inserted, traced).compose(done -> inserted.result().size() == 0
          ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Session with id '" + sessionId + "' not found"))
          : Future.succeededFuture(run(inserted.result().iterator().next())));
    });
  }

  /**
   * For the runtime, before a run starts, in one statement: the owner's session of this component, created when new,
   * with the input and content of its last {@code historyRuns} completed runs, oldest first ({@code history}). A
   * session id owned by someone else, or of another component, is a 404 (nothing is written).
   */
  public Future<JsonObject> ensure(Owner owner, String sessionId, String type, String componentId, int historyRuns) {
    return db.query(owner, Sql.PREPARE_RUN, Tuple.of(owner.sqlValue(), sessionId, type, componentId, historyRuns))
        .compose(rows -> {
          Row first = rows.iterator().next();
          if (first.getLong("mine") == 0) return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Session not found"));
          JsonArray history = new JsonArray();
          for (Row r : newestLast(rows)) {
            if (r.getValue("input") == null && r.getValue("content") == null) continue; // the row of a session without runs
            history.add(new JsonObject().put("run_input", Rows.json(r, "input")).put("content", r.getString("content"))
                .put("status", "COMPLETED"));
          }
          return Future.succeededFuture(new JsonObject().put("session_id", sessionId).put("history", history));
        });
  }

  /** A copy of the owner's session under a new id, every run with a new id: {@code {session_id, forked_from_session_id, runs}}. */
  public Future<JsonObject> fork(Owner owner, String sessionId, String type, String componentId, String newSessionId) {
    return db.query(owner, Sql.FORK_SESSION, Tuple.of(owner.sqlValue(), sessionId, type, componentId, newSessionId)).compose(rows -> {
      Row r = rows.iterator().next();
      if (r.getLong("sessions") == 0) return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, notFound(sessionId, type)));
      return Future.succeededFuture(new JsonObject().put("session_id", newSessionId).put("forked_from_session_id", sessionId)
          .put("runs", r.getLong("runs")));
    });
  }

  private Future<Void> requireSession(Owner owner, String sessionId) {
    return db.query(owner, Sql.GET_SESSION, Tuple.of(owner.sqlValue(), sessionId, null)).compose(rows ->
        rows.size() == 0
            ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Session with ID " + sessionId + " not found"))
            : Future.succeededFuture());
  }

  static String notFound(String sessionId, String type) {
    if (type == null) return "Session with id '" + sessionId + "' not found";
    String label = type.substring(0, 1).toUpperCase(Locale.ROOT) + type.substring(1);
    return label + " Session with id '" + sessionId + "' not found";
  }

  private static JsonObject summary(Row r) {
    String type = r.getString("session_type");
    String component = r.getString("component_id");
    JsonObject metrics = r.getJsonObject("metrics");
    return new JsonObject().put("session_id", r.getString("session_id")).put("session_name", r.getString("session_name"))
        .put("session_state", Rows.json(r, "session_state")).put("created_at", Rows.time(r, "created_at"))
        .put("updated_at", Rows.time(r, "updated_at")).put("session_type", type).put("user_id", r.getString("user_id"))
        .put("agent_id", "agent".equals(type) ? component : null).put("team_id", "team".equals(type) ? component : null)
        .put("workflow_id", "workflow".equals(type) ? component : null).put("session_summary", Rows.json(r, "summary"))
        .put("metrics", metrics).put("total_tokens", metrics == null ? null : metrics.getValue("total_tokens"));
  }

  private static JsonObject detail(Row r, List<Row> runs) {
    String type = r.getString("session_type");
    JsonObject d = summary(r);
    d.put(type + "_session_id", r.getString("session_id")).put(type + "_data", null)
        .put("metadata", Rows.json(r, "metadata"));
    JsonArray history = new JsonArray();
    if (runs != null) {
      for (Row run : runs) {
        Object input = run.getValue("input");
        if (input instanceof JsonObject in && in.getValue("message") != null) {
          history.add(new JsonObject().put("role", "user").put("content", in.getValue("message")));
        }
        if (run.getString("content") != null) history.add(new JsonObject().put("role", "assistant").put("content", run.getString("content")));
      }
    }
    return d.put("chat_history", history);
  }

  static JsonObject run(Row r) {
    String type = r.getString("component_type");
    String component = r.getString("component_id");
    return new JsonObject().put("run_id", r.getString("run_id")).put("session_id", r.getString("session_id"))
        .put("user_id", r.getString("user_id")).put("agent_id", "agent".equals(type) ? component : null)
        .put("team_id", "team".equals(type) ? component : null).put("workflow_id", "workflow".equals(type) ? component : null)
        .put("status", r.getString("status")).put("run_input", Rows.json(r, "input")).put("content", r.getString("content"))
        .put("metrics", Rows.json(r, "metrics")).put("events", Rows.json(r, "events"))
        .put("created_at", Rows.time(r, "created_at")).put("updated_at", Rows.time(r, "updated_at"));
  }
}
