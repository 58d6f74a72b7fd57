package dev.agentos.storage.impl;

import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/** Managed roles, subject assignments and their audit trail. Every change and its audit row commit together. */
public final class RoleStore {
  private final Pool pool;

  public RoleStore(Pool pool) {
    this.pool = pool;
  }

  /** Everything the policy verticle needs: {roles: [...], subjects: {sub: [role, ...]}}. */
  public Future<JsonObject> snapshot() {
    return pool.query(Sql.ALL_ROLES).execute().compose(roles -> pool.query(Sql.ALL_SUBJECT_ROLES).execute().map(subjects -> {
      JsonArray list = new JsonArray();
      for (Row r : roles) list.add(role(r));
      JsonObject bySubject = new JsonObject();
      for (Row r : subjects) {
        JsonArray assigned = bySubject.getJsonArray(r.getString("subject"));
        if (assigned == null) bySubject.put(r.getString("subject"), assigned = new JsonArray());
        assigned.add(r.getString("role_name"));
      }
      return new JsonObject().put("roles", list).put("subjects", bySubject);
    }));
  }

  public Future<JsonObject> put(String name, List<String> scopes, List<String> deny, String description, String actor) {
    return pool.withTransaction(conn -> conn.preparedQuery(Sql.GET_ROLE_FOR_UPDATE).execute(Tuple.of(name)).compose(before -> {
      JsonObject old = before.size() == 0 ? null : role(before.iterator().next());
      JsonObject now = new JsonObject().put("name", name).put("scopes", new JsonArray(scopes)).put("deny", new JsonArray(deny))
          .put("description", description);
      Tuple args = Tuple.of(name);
      args.addArrayOfString(scopes.toArray(new String[0])).addArrayOfString(deny.toArray(new String[0]))
          .addString(description).addString(actor);
      return conn.preparedQuery(Sql.UPSERT_ROLE).execute(args)
          .compose(v -> audit(conn, actor, old == null ? "role.create" : "role.update", "role:" + name, old, now))
          .map(v -> now);
    }));
  }

  public Future<JsonObject> delete(String name, String actor) {
    return pool.withTransaction(conn -> conn.preparedQuery(Sql.GET_ROLE_FOR_UPDATE).execute(Tuple.of(name)).compose(before -> {
      if (before.size() == 0) return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Role not found"));
      JsonObject old = role(before.iterator().next());
      return conn.preparedQuery(Sql.UNASSIGN_ROLE).execute(Tuple.of(name))
          .compose(v -> conn.preparedQuery(Sql.DELETE_ROLE).execute(Tuple.of(name)))
          .compose(v -> audit(conn, actor, "role.delete", "role:" + name, old, null))
          .map(v -> new JsonObject().put("deleted", name));
    }));
  }

  public Future<JsonObject> subject(String subject) {
    return pool.preparedQuery(Sql.SUBJECT_ROLES).execute(Tuple.of(subject))
        .map(rows -> {
          JsonArray roles = new JsonArray();
          for (Row r : rows) roles.add(r.getString("role_name"));
          return new JsonObject().put("subject", subject).put("roles", roles);
        });
  }

  public Future<JsonObject> assign(String subject, List<String> roles, String actor) {
    return pool.withTransaction(conn -> conn.preparedQuery(Sql.SUBJECT_ROLES_FOR_UPDATE).execute(Tuple.of(subject))
        .compose(before -> {
          JsonArray old = new JsonArray();
          for (Row r : before) old.add(r.getString("role_name"));
          Tuple args = Tuple.of(subject);
          args.addArrayOfString(roles.toArray(new String[0]));
          JsonObject now = new JsonObject().put("subject", subject).put("roles", new JsonArray(roles.stream().sorted().toList()));
          return conn.preparedQuery(Sql.CLEAR_SUBJECT_ROLES).execute(Tuple.of(subject))
              .compose(v -> conn.preparedQuery(Sql.ASSIGN_ROLES).execute(args))
              .compose(v -> audit(conn, actor, "subject.roles", "subject:" + subject,
                  new JsonObject().put("subject", subject).put("roles", old), now))
              .map(v -> now);
        }));
  }

  public Future<JsonObject> audit(int page, int limit) {
    long started = System.nanoTime();
    return pool.preparedQuery(Sql.LIST_AUDIT).execute(Tuple.of(limit, (long) (page - 1) * limit)).map(rows -> {
      JsonArray data = new JsonArray();
      for (Row r : rows) {
        data.add(new JsonObject().put("id", r.getLong("id")).put("at", Rows.time(r, "at")).put("actor", r.getString("actor"))
            .put("action", r.getString("action")).put("target", r.getString("target"))
            .put("before", r.getValue("before")).put("after", r.getValue("after")));
      }
      return Rows.page(data, Rows.total(rows), page, limit, started);
    });
  }

  private static Future<Void> audit(SqlConnection conn, String actor, String action, String target, Object before, Object after) {
    Tuple args = Tuple.of(actor, action, target);
    args.addValue(before).addValue(after);
    return conn.preparedQuery(Sql.AUDIT).execute(args).mapEmpty();
  }

  private static JsonObject role(Row r) {
    return new JsonObject().put("name", r.getString("name")).put("scopes", Rows.strings(r, "scopes"))
        .put("deny", Rows.strings(r, "deny")).put("description", r.getString("description"));
  }
}
