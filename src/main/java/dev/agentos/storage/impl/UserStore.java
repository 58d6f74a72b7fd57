package dev.agentos.storage.impl;

import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Map;

/**
 * The users directory, per tenant (docs/authorization.md, "Users directory"): who the users are, and the
 * {@code disabled} kill switch. Every change and its audit row commit together; no credential is ever stored.
 */
public final class UserStore {
  /** The columns a page may be sorted by, and the SQL column each is. */
  public static final Map<String, String> SORT_COLUMNS = Map.of("created_at", "created_at", "updated_at", "updated_at", "id", "id",
      "email", "email", "name", "name");

  private final ScopedClient db;

  public UserStore(ScopedClient db) {
    this.db = db;
  }

  public Future<JsonObject> list(String tenant, String search, Boolean disabled, String sortBy, boolean ascending, int page, int limit) {
    String column = SORT_COLUMNS.get(sortBy);
    if (column == null) throw new StorageFailure(StorageApi.BAD_REQUEST, "sort_by must be one of " + String.join(", ", SORT_COLUMNS.keySet()));
    long started = System.nanoTime();
    Tuple args = Tuple.of(tenant, search == null ? null : "%" + likeEscaped(search) + "%", disabled, limit, (long) (page - 1) * limit);
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.listUsers(column, ascending), args).map(rows -> {
      JsonArray data = new JsonArray();
      for (Row r : rows) data.add(user(r));
      return Rows.page(data, Rows.total(rows), page, limit, started);
    });
  }

  public Future<JsonObject> get(String tenant, String id) {
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.GET_USER, Tuple.of(tenant, id)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "User not found"))
        : Future.succeededFuture(user(rows.iterator().next())));
  }

  /**
   * An admin's change: the fields given are set, an unknown user is created (so a subject can be disabled before its
   * first request); audited as {@code user.created}, {@code user.disabled}, {@code user.enabled} or {@code user.updated}.
   */
  public Future<JsonObject> update(String tenant, String id, String email, String name, Boolean disabled, String actor,
                                   java.util.List<String> via) {
    return db.transaction(ScopedClient.Scope.tenant(tenant), conn -> conn.preparedQuery(Sql.GET_USER_FOR_UPDATE)
        .execute(Tuple.of(tenant, id)).compose(before -> {
          JsonObject old = before.size() == 0 ? null : summary(before.iterator().next());
          Tuple args = Tuple.of(tenant, id, email, name, disabled);
          return conn.preparedQuery(Sql.UPSERT_USER).execute(args)
              .compose(v -> conn.preparedQuery(Sql.GET_USER).execute(Tuple.of(tenant, id)))
              .compose(after -> {
                JsonObject now = user(after.iterator().next());
                JsonObject nowSummary = new JsonObject().put("id", id).put("email", now.getString("email"))
                    .put("name", now.getString("name")).put("disabled", now.getBoolean("disabled"));
                String action = old == null ? "user.created"
                    : old.getBoolean("disabled") != now.getBoolean("disabled").booleanValue()
                        ? (now.getBoolean("disabled") ? "user.disabled" : "user.enabled") : "user.updated";
                return RoleStore.audit(conn, tenant, actor, via, action, "user:" + id, old, nowSummary).map(v -> now);
              });
        }));
  }

  /**
   * A first request: adds the user unless known, then gives the default role to a user added now who holds no managed
   * role; the reply says what happened ({@code created}, {@code role}).
   */
  public Future<JsonObject> provision(String tenant, String id, String email, String name, String defaultRole) {
    return db.transaction(ScopedClient.Scope.tenant(tenant), conn -> conn.preparedQuery(Sql.PROVISION_USER)
        .execute(Tuple.of(tenant, id, email, name)).compose(inserted -> {
          JsonObject reply = new JsonObject().put("id", id).put("created", inserted.size() > 0);
          if (inserted.size() == 0) return Future.succeededFuture(reply);
          JsonObject created = new JsonObject().put("id", id).put("email", email).put("name", name).put("disabled", false);
          Future<Void> audited = audit(conn, tenant, "system:jit", "user.created", "user:" + id, null, created);
          if (defaultRole == null) return audited.map(v -> reply);
          return audited.compose(v -> conn.preparedQuery(Sql.ASSIGN_DEFAULT_ROLE).execute(Tuple.of(tenant, id, defaultRole)))
              .compose(assigned -> {
                if (assigned.size() == 0) return Future.succeededFuture(reply);
                JsonObject now = new JsonObject().put("subject", id).put("roles", new JsonArray().add(defaultRole));
                return audit(conn, tenant, "system:jit", "subject.roles", "subject:" + id,
                    new JsonObject().put("subject", id).put("roles", new JsonArray()), now).map(x -> reply.put("role", defaultRole));
              });
        }));
  }

  /** Counts: {@code {total_users, active_users, disabled_users, provisioned: {jit, admin}, new_users: {last_1d, ...}}}. */
  public Future<JsonObject> metrics(String tenant) {
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.USER_METRICS, Tuple.of(tenant)).map(rows -> {
      Row r = rows.iterator().next();
      long total = r.getLong("total");
      long disabled = r.getLong("disabled");
      long jit = r.getLong("jit");
      return new JsonObject().put("total_users", total).put("active_users", total - disabled).put("disabled_users", disabled)
          .put("provisioned", new JsonObject().put("jit", jit).put("admin", total - jit))
          .put("new_users", new JsonObject().put("last_1d", r.getLong("new_1d")).put("last_7d", r.getLong("new_7d"))
              .put("last_30d", r.getLong("new_30d")));
    });
  }

  /** agno's user shape, with every managed role (agno holds one) and how the user came to be. */
  private static JsonObject user(Row r) {
    boolean disabled = r.getBoolean("disabled");
    return new JsonObject().put("id", r.getString("id")).put("email", r.getString("email")).put("name", r.getString("name"))
        .put("status", disabled ? "disabled" : "active").put("disabled", disabled).put("roles", Rows.strings(r, "roles"))
        .put("provisioned_by", r.getString("provisioned_by"))
        .put("created_at", Rows.time(r, "created_at")).put("updated_at", Rows.time(r, "updated_at"));
  }

  private static JsonObject summary(Row r) {
    return new JsonObject().put("id", r.getString("id")).put("email", r.getString("email")).put("name", r.getString("name"))
        .put("disabled", r.getBoolean("disabled"));
  }

  /** A search term matched literally: LIKE's wildcards and escape in it are escaped. */
  static String likeEscaped(String term) {
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  /** The just-in-time entries are the service's own: no request chain. */
  private static Future<Void> audit(SqlConnection conn, String tenant, String actor, String action, String target,
                                    Object before, Object after) {
    return RoleStore.audit(conn, tenant, actor, java.util.List.of(), action, target, before, after);
  }
}
