package dev.agentos.storage.impl;

import dev.agentos.contract.StorageApi;
import dev.agentos.storage.StorageFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * Service-account metadata and token hashes, per tenant (every method but {@link #verify} takes the tenant first).
 * Never returns a hash; tokens themselves are never stored.
 */
public final class ServiceAccountStore {
  private final ScopedClient db;

  public ServiceAccountStore(ScopedClient db) {
    this.db = db;
  }

  /**
   * @param parentId   the minting service account, if a service account minted this one (its revocation revokes this)
   * @param mintingUser the user who minted it, when a user did: the account acts for them (disabling them stops it);
   *                    an account minted by another acts for that one's user
   */
  public Future<JsonObject> create(String tenant, String name, String tokenHash, String tokenPrefix, List<String> scopes, String createdBy,
                                   OffsetDateTime expiresAt, String parentId, String mintingUser, boolean actsForUsers) {
    Tuple args = Tuple.of(tenant, UUID.randomUUID().toString(), name, tokenHash, tokenPrefix);
    args.addArrayOfString(scopes.toArray(new String[0])).addString(createdBy).addOffsetDateTime(expiresAt).addString(parentId)
        .addString(mintingUser).addBoolean(actsForUsers);
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.CREATE_SERVICE_ACCOUNT, args)
        .map(rows -> account(rows.iterator().next()))
        .recover(err -> err instanceof PgException pg && "23505".equals(pg.getSqlState())
            ? Future.failedFuture(new StorageFailure(StorageApi.CONFLICT, "A service account named '" + name + "' exists or existed; names are not reused"))
            : Future.failedFuture(err));
  }

  public Future<JsonObject> list(String tenant, boolean includeRevoked, int page, int limit, boolean ascending) {
    long started = System.nanoTime();
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.listServiceAccounts(ascending),
        Tuple.of(tenant, includeRevoked, limit, (long) (page - 1) * limit)).map(rows -> {
          JsonArray data = new JsonArray();
          for (Row r : rows) data.add(account(r));
          return Rows.page(data, Rows.total(rows), page, limit, started);
        });
  }

  /**
   * Revokes the account and every account it minted (transitively); the reply lists every revoked id. Idempotent:
   * revoking a revoked account keeps its first revocation time. An id unknown in the tenant: 404.
   */
  public Future<JsonObject> revoke(String tenant, String id) {
    return db.query(ScopedClient.Scope.tenant(tenant), Sql.REVOKE_SERVICE_ACCOUNT, Tuple.of(tenant, id)).compose(rows -> {
      JsonObject self = null;
      io.vertx.core.json.JsonArray revoked = new io.vertx.core.json.JsonArray();
      for (Row r : rows) {
        revoked.add(r.getString("id"));
        if (id.equals(r.getString("id"))) self = account(r);
      }
      return self == null ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Service account not found"))
          : Future.succeededFuture(self.put("revoked_ids", revoked));
    });
  }

  /**
   * The active account a token hash belongs to, with its tenant (404 when unknown, revoked or expired): the service's
   * own look-up, before anyone knows the tenant ({@link ScopedClient.Scope#SYSTEM}).
   */
  public Future<JsonObject> verify(String tokenHash) {
    // the look-up reads over every tenant (read-only); the write that marks the account used is in its own tenant
    return db.query(ScopedClient.Scope.SYSTEM, Sql.FIND_SERVICE_ACCOUNT, Tuple.of(tokenHash)).compose(found -> {
      if (found.size() == 0) {
        return Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Invalid or expired service account token"));
      }
      Row r = found.iterator().next();
      String tenant = r.getString("tenant_id");
      return db.query(ScopedClient.Scope.tenant(tenant), Sql.MARK_SERVICE_ACCOUNT_USED, Tuple.of(tenant, r.getString("id")))
          .compose(marked -> marked.size() == 0
              ? Future.failedFuture(new StorageFailure(StorageApi.NOT_FOUND, "Invalid or expired service account token"))
              : Future.succeededFuture(account(marked.iterator().next())));
    });
  }

  private static JsonObject account(Row r) {
    JsonObject account = new JsonObject().put("id", r.getString("id")).put("name", r.getString("name"))
        .put("token_prefix", r.getString("token_prefix")).put("scopes", Rows.strings(r, "scopes"))
        .put("created_by", r.getString("created_by")).put("created_at", Rows.time(r, "created_at"))
        .put("expires_at", Rows.time(r, "expires_at")).put("last_used_at", Rows.time(r, "last_used_at"))
        .put("revoked_at", Rows.time(r, "revoked_at"));
    if (Boolean.TRUE.equals(r.getBoolean("acts_for_users"))) account.put("acts_for_users", true);
    String mintedFor = r.getString("minted_for");
    if (mintedFor != null) account.put("minted_for", mintedFor);
    String tenant = r.getString("tenant_id");
    return tenant.isEmpty() ? account : account.put("tenant_id", tenant);
  }
}
