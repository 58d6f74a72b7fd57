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
 * With row-level security on, every statement runs in a transaction whose first command sets {@code agentos.scope}
 * with {@code set_config(..., true)}: local to that transaction, so a pooled connection carries nothing to its next
 * user. BEGIN, the setting, the statement and COMMIT are sent together (the client pipelines them): one round trip.
 * With it off, statements run as they are, and the connection's session-level {@code agentos.scope = 'all'} (set at
 * connect) tells the forced policies that this service does not use them.
 */
public final class ScopedClient {
  /** The setting the row-level policies read (V8__tenants_and_row_level_security.sql); one call, as it is cheapest. */
  static final String SET_SCOPE = "SELECT set_config('agentos.scope', $1, true)";

  /**
   * What a statement may see, as the policies read it: one user of a tenant ({@code u|tenant|user}), every user of a
   * tenant ({@code t|tenant}), or (the service's own look-ups) all rows ({@code all}). A tenant id never holds
   * {@code |} ({@link Owner#validTenantId}) and the user is the rest, so the text names one scope only.
   */
  public record Scope(String value) {
    public static final Scope SYSTEM = new Scope("all");

    public static Scope of(Owner owner) {
      return owner.userId().map(u -> new Scope("u|" + owner.tenantId() + "|" + u)).orElseGet(() -> tenant(owner.tenantId()));
    }

    public static Scope tenant(String tenantId) {
      if (!tenantId.isEmpty() && !Owner.validTenantId(tenantId)) throw new IllegalArgumentException("malformed tenant");
      return new Scope("t|" + tenantId);
    }

    Tuple tuple() {
      return Tuple.of(value);
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
      // prepared, like the statement itself: parsed once per connection, not on every request
      Future<RowSet<Row>> begin = conn.preparedQuery("BEGIN").execute();
      Future<RowSet<Row>> settings = conn.preparedQuery(SET_SCOPE).execute(scope.tuple());
      Future<RowSet<Row>> result = conn.preparedQuery(sql).execute(args);
      // COMMIT after a failed command ends the aborted transaction (PostgreSQL answers ROLLBACK)
      Future<RowSet<Row>> end = conn.preparedQuery("COMMIT").execute();
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
    // the owner of a table could turn its policies off (ALTER TABLE … NO FORCE ROW LEVEL SECURITY)
    return pool.query("SELECT current_user AS role, rolsuper, rolbypassrls, (SELECT count(*) FROM pg_class c WHERE c.relname IN "
            + "('sessions', 'runs', 'memories', 'traces', 'spans', 'service_accounts', 'roles', 'subject_roles', 'authz_audit', "
            + "'authz_decisions') AND c.relnamespace = current_schema()::regnamespace AND pg_has_role(current_user, c.relowner, "
            + "'MEMBER')) AS owned FROM pg_roles WHERE rolname = current_user")
        .execute().compose(rows -> {
          Row r = rows.iterator().next();
          String why = r.getBoolean("rolsuper") ? "is a superuser" : r.getBoolean("rolbypassrls") ? "has BYPASSRLS"
              : r.getLong("owned") > 0 ? "owns the tables (and could turn their policies off)" : null;
          if (why != null) {
            return Future.failedFuture(new IllegalStateException("storage.postgres.row_level_security is on, but statements run as "
                + r.getString("role") + ", which " + why + "; set storage.postgres.app_role (docs/deployment.md)"));
          }
          return Future.succeededFuture();
        });
  }
}
