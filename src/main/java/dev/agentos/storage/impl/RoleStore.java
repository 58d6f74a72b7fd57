package dev.agentos.storage.impl;

import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * Managed roles, subject assignments and their audit trail, per tenant: every method but the snapshot takes the
 * tenant first, and every change and its audit row commit together.
 */
public final class RoleStore {
  private final ScopedClient db;

  public RoleStore(ScopedClient db) {
    this.db = db;
  }

  /**
   * Everything the policy verticle needs, for every tenant (the service's own look-up, {@link ScopedClient.Scope#SYSTEM}):
   * {@code {tenants: {tenant: {roles: [...], subjects: {sub: [role, ...]}}}}}.
   */
  public Future<JsonObject> snapshot() {
    return snapshot(java.util.Optional.empty(), false);
  }

  /**
   * The same, of one tenant only when {@code only} names it (in that tenant's scope: the /authz routes); with the users
   * directory's disabled users ({@code disabled}) and, when asked, the users who hold no managed role ({@code unassigned}).
   * One transaction: every part is of the same moment.
   */
  public Future<JsonObject> snapshot(java.util.Optional<String> only, boolean unassignedUsers) {
    ScopedClient.Scope scope = only.map(ScopedClient.Scope::tenant).orElse(ScopedClient.Scope.SYSTEM);
    Tuple args = only.map(t -> Tuple.of(t)).orElse(Tuple.tuple());
    boolean one = only.isPresent();
    JsonObject tenants = new JsonObject();
    return db.transaction(scope, conn -> conn.preparedQuery(one ? Sql.TENANT_ROLES : Sql.ALL_ROLES).execute(args)
        .compose(roles -> {
          for (Row r : roles) tenantOf(tenants, r).getJsonArray("roles").add(role(r));
          return conn.preparedQuery(one ? Sql.TENANT_SUBJECT_ROLES : Sql.ALL_SUBJECT_ROLES).execute(args);
        }).compose(subjects -> {
          for (Row r : subjects) {
            JsonObject bySubject = tenantOf(tenants, r).getJsonObject("subjects");
            JsonArray assigned = bySubject.getJsonArray(r.getString("subject"));
            if (assigned == null) bySubject.put(r.getString("subject"), assigned = new JsonArray());
            assigned.add(r.getString("role_name"));
          }
          return conn.preparedQuery(one ? Sql.TENANT_DISABLED_USERS : Sql.ALL_DISABLED_USERS).execute(args);
        }).compose(disabled -> {
          for (Row r : disabled) tenantOf(tenants, r).getJsonArray("disabled").add(r.getString("id"));
          return conn.preparedQuery(one ? Sql.TENANT_ACTING_ACCOUNTS : Sql.ALL_ACTING_ACCOUNTS).execute(args);
        }).compose(acting -> {
          for (Row r : acting) tenantOf(tenants, r).getJsonObject("acting_accounts").put("sa:" + r.getString("name"), Rows.strings(r, "scopes"));
          return conn.preparedQuery(one ? Sql.TENANT_CONSENTS : Sql.ALL_CONSENTS).execute(args);
        }).compose(consents -> {
          for (Row r : consents) {
            JsonObject byActor = tenantOf(tenants, r).getJsonObject("consents");
            JsonArray subjects = byActor.getJsonArray(r.getString("actor"));
            if (subjects == null) byActor.put(r.getString("actor"), subjects = new JsonArray());
            subjects.add(r.getString("subject"));
          }
          if (!unassignedUsers) return Future.succeededFuture(new JsonObject().put("tenants", tenants));
          return conn.preparedQuery(one ? Sql.TENANT_UNASSIGNED_USERS : Sql.ALL_UNASSIGNED_USERS).execute(args).map(unassigned -> {
            for (Row r : unassigned) tenantOf(tenants, r).getJsonArray("unassigned").add(r.getString("id"));
            return new JsonObject().put("tenants", tenants);
          });
        }));
  }

  private static JsonObject tenantOf(JsonObject tenants, Row r) {
    String tenant = r.getString("tenant_id");
    JsonObject t = tenants.getJsonObject(tenant);
    if (t == null) {
      tenants.put(tenant, t = new JsonObject().put("roles", new JsonArray()).put("subjects", new JsonObject())
          .put("disabled", new JsonArray()).put("unassigned", new JsonArray()).put("acting_accounts", new JsonObject())
          .put("consents", new JsonObject()));
    }
    return t;
  }

  /** @param via the actor chain of the request that made the change (a delegated token's), the current actor first */
  public Future<JsonObject> put(String tenant, String name, List<String> scopes, List<String> deny, String description, String actor,
                                List<String> via) {
    return db.transaction(ScopedClient.Scope.tenant(tenant), conn -> conn.preparedQuery(Sql.GET_ROLE_FOR_UPDATE)
        .execute(Tuple.of(tenant, name)).compose(before -> {
      JsonObject old = before.size() == 0 ? null : role(before.iterator().next());
      JsonObject now = new JsonObject().put("name", name).put("scopes", new JsonArray(scopes)).put("deny", new JsonArray(deny))
          .put("description", description);
      Tuple args = Tuple.of(tenant, name);
      args.addArrayOfString(scopes.toArray(new String[0])).addArrayOfString(deny.toArray(new String[0]))
          .addString(description).addString(actor);
      return conn.preparedQuery(Sql.UPSERT_ROLE).execute(args)
          .compose(v -> audit(conn, tenant, actor, via, old == null ? "role.create" : "role.update", "role:" + name, old, now))
          .map(v -> now);
    }));
  }

  /** @param keepAssignments undoing a configured role's edit: the role stays (the configuration's), and so do its holders */
  public Future<JsonObject> delete(String tenant, String name, String actor, List<String> via, boolean keepAssignments) {
    return db.transaction(ScopedClient.Scope.tenant(tenant), conn -> conn.preparedQuery(Sql.GET_ROLE_FOR_UPDATE)
        .execute(Tuple.of(tenant, name)).compose(before -> {
      if (before.size() == 0) return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Role not found"));
      JsonObject old = role(before.iterator().next());
      Future<?> unassigned = keepAssignments ? Future.succeededFuture() : conn.preparedQuery(Sql.UNASSIGN_ROLE).execute(Tuple.of(tenant, name));
      return unassigned.compose(v -> conn.preparedQuery(Sql.DELETE_ROLE).execute(Tuple.of(tenant, name)))
          .compose(v -> audit(conn, tenant, actor, via, "role.delete", "role:" + name, old, null))
          .map(v -> new JsonObject().put("deleted", name));
    }));
  }

  public Future<JsonObject> subject(String tenant, String subject) {
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.SUBJECT_ROLES, Tuple.of(tenant, subject))
        .map(rows -> {
          JsonArray roles = new JsonArray();
          for (Row r : rows) roles.add(r.getString("role_name"));
          return new JsonObject().put("subject", subject).put("roles", roles);
        });
  }

  public Future<JsonObject> assign(String tenant, String subject, List<String> roles, String actor, List<String> via) {
    return db.transaction(ScopedClient.Scope.tenant(tenant), conn -> conn.preparedQuery(Sql.SUBJECT_ROLES_FOR_UPDATE)
        .execute(Tuple.of(tenant, subject))
        .compose(before -> {
          JsonArray old = new JsonArray();
          for (Row r : before) old.add(r.getString("role_name"));
          Tuple args = Tuple.of(tenant, subject);
          args.addArrayOfString(roles.toArray(new String[0]));
          JsonObject now = new JsonObject().put("subject", subject).put("roles", new JsonArray(roles.stream().sorted().toList()));
          // a subject given roles (even none) is a user the directory knows: no default role for them later
          return conn.preparedQuery(Sql.ENSURE_USER).execute(Tuple.of(tenant, subject))
              .compose(v -> conn.preparedQuery(Sql.CLEAR_SUBJECT_ROLES).execute(Tuple.of(tenant, subject)))
              .compose(v -> conn.preparedQuery(Sql.ASSIGN_ROLES).execute(args))
              .compose(v -> audit(conn, tenant, actor, via, "subject.roles", "subject:" + subject,
                  new JsonObject().put("subject", subject).put("roles", old), now))
              .map(v -> now);
        }));
  }

  /** {@code {subject, consents: [{actor, granted_at}]}}: the service accounts a subject lets act for it. */
  public Future<JsonObject> consents(String tenant, String subject) {
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.SUBJECT_CONSENTS, Tuple.of(tenant, subject)).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) out.add(new JsonObject().put("actor", r.getString("actor")).put("granted_at", Rows.time(r, "granted_at")));
      return new JsonObject().put("subject", subject).put("consents", out);
    });
  }

  /**
   * A subject grants ({@code granted}) or withdraws its consent to {@code actor}; idempotent either way, audited when it
   * changes something ({@code consent.granted}, {@code consent.withdrawn}, by the subject). Answers the subject's consents.
   */
  public Future<JsonObject> consent(String tenant, String subject, String actor, boolean granted) {
    return db.transaction(ScopedClient.Scope.tenant(tenant), conn -> conn.preparedQuery(granted ? Sql.GRANT_CONSENT : Sql.WITHDRAW_CONSENT)
        .execute(Tuple.of(tenant, subject, actor)).compose(changed -> changed.size() == 0 ? Future.succeededFuture()
            : audit(conn, tenant, subject, List.of(), granted ? "consent.granted" : "consent.withdrawn", "consent:" + actor,
                granted ? null : new JsonObject().put("subject", subject).put("actor", actor),
                granted ? new JsonObject().put("subject", subject).put("actor", actor) : null)))
        .compose(v -> consents(tenant, subject));
  }

  public Future<JsonObject> audit(String tenant, int page, int limit) {
    long started = System.nanoTime();
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.LIST_AUDIT, Tuple.of(tenant, limit, (long) (page - 1) * limit)).map(rows -> {
      JsonArray data = new JsonArray();
      for (Row r : rows) {
        data.add(new JsonObject().put("id", r.getLong("id")).put("at", Rows.time(r, "at")).put("actor", r.getString("actor"))
            .put("actors", Rows.strings(r, "actors"))
            .put("action", r.getString("action")).put("target", r.getString("target"))
            .put("before", r.getValue("before")).put("after", r.getValue("after")));
      }
      return Rows.page(data, Rows.total(rows), page, limit, started);
    });
  }

  /** One audit row, in the change's transaction (roles, assignments and the users directory share the trail). */
  static Future<Void> audit(SqlConnection conn, String tenant, String actor, List<String> via, String action, String target,
                                    Object before, Object after) {
    Tuple args = Tuple.of(tenant, actor, action, target);
    args.addValue(before).addValue(after).addArrayOfString(via.toArray(new String[0]));
    return conn.preparedQuery(Sql.AUDIT).execute(args).mapEmpty();
  }

  private static JsonObject role(Row r) {
    return new JsonObject().put("name", r.getString("name")).put("scopes", Rows.strings(r, "scopes"))
        .put("deny", Rows.strings(r, "deny")).put("description", r.getString("description"));
  }
}
