package dev.agentos.storage.impl;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Decision records (docs/authorization.md, "Decision records"): appended in batches by the policy verticle's recorder,
 * read per tenant, pruned by age. Append-only: nothing here updates a record.
 */
public final class DecisionStore {
  private final ScopedClient db;

  public DecisionStore(ScopedClient db) {
    this.db = db;
  }

  /**
   * One batch, one statement: the recorder is the service itself and a batch holds several tenants' decisions, so it
   * writes in the {@link ScopedClient.Scope#SYSTEM} scope; each record carries its own tenant.
   */
  public Future<JsonObject> record(JsonArray records) {
    List<Tuple> rows = new ArrayList<>(records.size());
    for (Object o : records) {
      JsonObject r = (JsonObject) o;
      Tuple t = Tuple.of(r.getString("tenant", ""), OffsetDateTime.parse(r.getString("at")), r.getString("decision_id"),
          r.getString("subject"), r.getString("principal_kind"), r.getString("method"));
      t.addString(r.getString("path")).addString(r.getString("route")).addArrayOfString(strings(r.getJsonArray("required")))
          .addArrayOfString(strings(r.getJsonArray("held"))).addString(r.getString("result"))
          .addArrayOfString(strings(r.getJsonArray("reasons"))).addString(r.getString("token_ref"))
          .addArrayOfString(strings(r.getJsonArray("actors")));
      rows.add(t);
    }
    if (rows.isEmpty()) return Future.succeededFuture(new JsonObject().put("recorded", 0));
    return db.transaction(ScopedClient.Scope.SYSTEM, conn -> conn.preparedQuery(Sql.INSERT_DECISION).executeBatch(rows))
        .map(done -> new JsonObject().put("recorded", rows.size()));
  }

  /** One page of a tenant's records, newest first, with agno's page meta. */
  public Future<JsonObject> list(String tenant, String subject, String result, String path, OffsetDateTime from,
                                 OffsetDateTime to, int page, int limit) {
    long started = System.nanoTime();
    Tuple args = Tuple.of(tenant, subject, result, path, from, to);
    args.addInteger(limit).addLong((long) (page - 1) * limit);
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.LIST_DECISIONS, args)
        .map(rows -> Rows.cappedPage(rows, "decision_id", DecisionStore::decision, page, limit, started));
  }

  /** Deletes records older than {@code days} days, over every tenant (the retention timer). */
  public Future<Integer> prune(int days) {
    return db.query(ScopedClient.Scope.SYSTEM, Sql.PRUNE_DECISIONS, Tuple.of(days)).map(rows -> rows.rowCount());
  }

  private static String[] strings(JsonArray a) {
    if (a == null) return new String[0];
    String[] out = new String[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = String.valueOf(a.getValue(i));
    return out;
  }

  private static JsonObject decision(Row r) {
    return new JsonObject().put("decision_id", r.getString("decision_id")).put("at", Rows.time(r, "at"))
        .put("subject", r.getString("subject")).put("principal_kind", r.getString("principal_kind"))
        .put("method", r.getString("method")).put("path", r.getString("path")).put("route", r.getString("route"))
        .put("required", Rows.strings(r, "required")).put("held", Rows.strings(r, "held")).put("result", r.getString("result"))
        .put("reasons", Rows.strings(r, "reasons")).put("token_ref", r.getString("token_ref")).put("actors", Rows.strings(r, "actors"));
  }
}
