package dev.agentos.storage.impl;

import dev.agentos.contract.Owner;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.function.Function;

/**
 * Runs the stores' statements with PostgreSQL told whose rows they are (the second wall of docs/isolation.md).
 * With row-level security on, every statement runs in a transaction whose first command sets {@code agentos.access},
 * {@code agentos.tenant} and {@code agentos.user} with {@code set_config(..., true)}: local to that transaction, so a
 * pooled connection carries nothing to its next user. BEGIN, the settings, the statement and COMMIT are sent together
 * (the client pipelines them): one round trip. With it off, statements run as they are, and the connection's
 * session-level {@code agentos.access = 'all'} (set at connect) tells the forced policies that this service does not
 * use them.
 */
public final class ScopedClient {
  /** The settings the row-level policies read (V8__tenants_and_row_level_security.sql). */
  static final String SET_SCOPE = "SELECT set_config('agentos.access', $1, true), set_config('agentos.tenant', $2, true), "
      + "set_config('agentos.user', $3, true)";

  /** What a statement may see: one user of a tenant, every user of a tenant, or (the service's own look-ups) all rows. */
  public record Scope(String access, String tenant, String user) {
    public static final Scope SYSTEM = new Scope("all", "", "");

    public static Scope of(Owner owner) {
      return owner.userId().map(u -> new Scope("user", owner.tenantId(), u))
          .orElseGet(() -> new Scope("tenant", owner.tenantId(), ""));
    }

    public static Scope tenant(String tenantId) {
      return new Scope("tenant", tenantId, "");
    }

    Tuple tuple() {
      return Tuple.of(access, tenant, user);
    }
  }

  private final Pool pool;
  private final boolean rowLevelSecurity;

  public ScopedClient(Pool pool, boolean rowLevelSecurity) {
    this.pool = pool;
    this.rowLevelSecurity = rowLevelSecurity;
  }

  public boolean rowLevelSecurity() {
    return rowLevelSecurity;
  }

  /** One statement for the owner. */
  public Future<RowSet<Row>> query(Owner owner, String sql, Tuple args) {
    return query(Scope.of(owner), sql, args);
  }

  /** One statement in a scope. */
  public Future<RowSet<Row>> query(Scope scope, String sql, Tuple args) {
    if (!rowLevelSecurity) return pool.preparedQuery(sql).execute(args);
    return pool.withConnection(conn -> {
      Future<RowSet<Row>> begin = conn.query("BEGIN").execute();
      Future<RowSet<Row>> settings = conn.preparedQuery(SET_SCOPE).execute(scope.tuple());
      Future<RowSet<Row>> result = conn.preparedQuery(sql).execute(args);
      // COMMIT after a failed command ends the aborted transaction (PostgreSQL answers ROLLBACK)
      Future<RowSet<Row>> end = conn.query("COMMIT").execute();
      // every answer is awaited before the connection goes back to the pool; the first failure is the one reported
      return Future.join(begin, settings, result, end).transform(done -> {
        for (Future<RowSet<Row>> step : java.util.List.of(begin, settings, result, end)) {
          if (step.failed()) return Future.failedFuture(step.cause());
        }
        return result;
      });
    });
  }

  /** Several statements in one transaction for the owner (rolled back when {@code work} fails). */
  public <T> Future<T> transaction(Owner owner, Function<SqlConnection, Future<T>> work) {
    return transaction(Scope.of(owner), work);
  }

  public <T> Future<T> transaction(Scope scope, Function<SqlConnection, Future<T>> work) {
    if (!rowLevelSecurity) return pool.withTransaction(work);
    return pool.withTransaction(conn -> {
      Future<RowSet<Row>> settings = conn.preparedQuery(SET_SCOPE).execute(scope.tuple());
      Future<T> result = work.apply(conn); // sent behind the settings on the same connection
      return Future.join(settings, result).transform(done -> settings.failed()
          ? Future.failedFuture(settings.cause()) : result);
    });
  }

  /**
   * Fails unless the pool's statements are subject to the row-level policies: a superuser or a {@code BYPASSRLS} role
   * would make the second wall no wall, so with row-level security on such a node does not serve, and says why.
   */
  public static Future<Void> requireSubjectToPolicies(Pool pool) {
    return pool.query("SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        .execute().compose(rows -> {
          Row r = rows.iterator().next();
          if (r.getBoolean("rolsuper") || r.getBoolean("rolbypassrls")) {
            return Future.failedFuture(new IllegalStateException("storage.postgres.row_level_security is on, but statements run as "
                + r.getString("role") + ", which " + (r.getBoolean("rolsuper") ? "is a superuser" : "has BYPASSRLS")
                + " and is not subject to it; set storage.postgres.app_role (docs/deployment.md)"));
          }
          return Future.succeededFuture();
        });
  }
}
