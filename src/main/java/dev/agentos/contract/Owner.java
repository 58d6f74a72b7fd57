package dev.agentos.contract;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Whose rows a storage operation may touch: one user of one tenant, or (only from an explicit unscoped decision: an
 * admin, isolation off, a security-key root) every user of one tenant. There is no owner for "every tenant": a
 * platform admin acts in one tenant at a time. Every storage request on user data carries one, every method on an
 * owned table takes one, and a request that does not say is refused ({@link #fromJson}), never read as "everyone".
 *
 * @param tenantId the tenant; {@link #IMPLICIT_TENANT} ({@code ""}) when tenants are off, and for rows written
 *                 before tenants existed. No token can name it (a tenant claim must be non-empty).
 */
public record Owner(String tenantId, Optional<String> userId) {
  public static final String FIELD = "owner";
  public static final String TENANT_FIELD = "tenant";
  public static final String IMPLICIT_TENANT = "";

  /** A tenant id as a claim or header may carry it: the id alphabet, 1 to 128 characters (never the implicit ""). */
  private static final java.util.regex.Pattern TENANT_ID = java.util.regex.Pattern.compile("^[A-Za-z0-9._:@-]{1,128}$");

  public static boolean validTenantId(String tenant) {
    return tenant != null && TENANT_ID.matcher(tenant).matches();
  }

  public Owner {
    if (tenantId == null) throw new IllegalArgumentException("owner tenant");
    // the implicit tenant, or a tenant id: never text the row-level scope could read two ways
    if (!tenantId.isEmpty() && !validTenantId(tenantId)) throw new ContractMessage.Malformed("malformed owner tenant");
    userId = userId == null ? Optional.empty() : userId;
  }

  /** A user of the implicit tenant. */
  public static Owner user(String userId) {
    return of(IMPLICIT_TENANT, userId);
  }

  public static Owner of(String tenantId, String userId) {
    if (userId == null || userId.isEmpty()) throw new IllegalArgumentException("owner user id");
    return new Owner(tenantId, Optional.of(userId));
  }

  /** Every owner's rows of the implicit tenant: only for callers the policy decided are unscoped. */
  public static Owner everyone() {
    return everyoneIn(IMPLICIT_TENANT);
  }

  /** Every owner's rows of one tenant: only for callers the policy decided are unscoped in that tenant. */
  public static Owner everyoneIn(String tenantId) {
    return new Owner(tenantId, Optional.empty());
  }

  public boolean isEveryone() {
    return userId.isEmpty();
  }

  /** The value bound as $1 in every owned statement: {tenant, user} (user NULL = every owner of the tenant). */
  public String[] sqlValue() {
    return new String[] {tenantId, userId.orElse(null)};
  }

  public JsonObject into(JsonObject message) {
    message.put(FIELD, userId.orElse(null));
    if (!tenantId.isEmpty()) message.put(TENANT_FIELD, tenantId);
    return message;
  }

  /**
   * The owner a message names; a message without the owner field is malformed (never read as "everyone"). A message
   * without a tenant is of the implicit tenant, as every message was before tenants.
   */
  public static Owner fromJson(JsonObject message) {
    if (message == null || !message.containsKey(FIELD)) {
      throw new ContractMessage.Malformed("storage request without an owner");
    }
    Object t = message.getValue(TENANT_FIELD);
    if (t != null && !(t instanceof String)) throw new ContractMessage.Malformed("malformed owner tenant");
    String tenant = t == null ? IMPLICIT_TENANT : (String) t;
    Object v = message.getValue(FIELD);
    if (v == null) return everyoneIn(tenant);
    if (!(v instanceof String s) || s.isEmpty()) throw new ContractMessage.Malformed("malformed owner");
    return of(tenant, s);
  }
}
