package dev.agentos.contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The answer to an {@code authorize} request: a value with its reasons. {@code accessibleIds} is set for
 * listing routes ({@code "*"} = all) and {@code excludedIds} names ids a role denies (to be left out even
 * under "*"); {@code scopedUserId} is the owner data is restricted to, if any; {@code tenantId} the tenant the request
 * acts in ({@link Owner#IMPLICIT_TENANT} when tenants are off), and {@code admin} means admin within that tenant.
 */
public record Decision(boolean allowed, List<String> required, Optional<Set<String>> accessibleIds,
                       Optional<String> scopedUserId, boolean admin, String decisionId, List<String> reasons,
                       String detail, Set<String> excludedIds, String tenantId, boolean revoked) {

  public Decision {
    tenantId = tenantId == null ? Owner.IMPLICIT_TENANT : tenantId;
    if (revoked && allowed) throw new IllegalArgumentException("a revoked credential is never allowed");
  }

  public Decision(boolean allowed, List<String> required, Optional<Set<String>> accessibleIds, Optional<String> scopedUserId,
                  boolean admin, String decisionId, List<String> reasons, String detail, Set<String> excludedIds, String tenantId) {
    this(allowed, required, accessibleIds, scopedUserId, admin, decisionId, reasons, detail, excludedIds, tenantId, false);
  }

  /**
   * A deny because the caller's credential is no longer honoured (its user is disabled in the users directory): the
   * HTTP layer answers 401, as for a revoked token, not 403.
   */
  public static Decision revoked(String decisionId, String reason, String detail) {
    return new Decision(false, List.of(), Optional.empty(), Optional.empty(), false, decisionId, List.of(reason), detail, Set.of(),
        Owner.IMPLICIT_TENANT, true);
  }

  public Decision(boolean allowed, List<String> required, Optional<Set<String>> accessibleIds, Optional<String> scopedUserId,
                  boolean admin, String decisionId, List<String> reasons, String detail) {
    this(allowed, required, accessibleIds, scopedUserId, admin, decisionId, reasons, detail, Set.of(), Owner.IMPLICIT_TENANT);
  }

  public Decision(boolean allowed, List<String> required, Optional<Set<String>> accessibleIds, Optional<String> scopedUserId,
                  boolean admin, String decisionId, List<String> reasons, String detail, Set<String> excludedIds) {
    this(allowed, required, accessibleIds, scopedUserId, admin, decisionId, reasons, detail, excludedIds, Owner.IMPLICIT_TENANT);
  }

  /** The same decision, in a tenant. */
  public Decision inTenant(String tenant) {
    return new Decision(allowed, required, accessibleIds, scopedUserId, admin, decisionId, reasons, detail, excludedIds, tenant, revoked);
  }

  /** Whose rows the request may touch: the scoped user of the tenant, or (unscoped) every user of the tenant. */
  public Owner owner() {
    return scopedUserId.map(u -> Owner.of(tenantId, u)).orElseGet(() -> Owner.everyoneIn(tenantId));
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("allowed", allowed).put("required", new JsonArray(required))
        .put("admin", admin).put("decision_id", decisionId).put("reasons", new JsonArray(reasons));
    json.put("accessible_ids", accessibleIds.map(ids -> new JsonArray(List.copyOf(ids))).orElse(null));
    json.put("scoped_user_id", scopedUserId.orElse(null));
    json.put("excluded_ids", new JsonArray(List.copyOf(excludedIds)));
    if (!tenantId.isEmpty()) json.put("tenant_id", tenantId);
    if (detail != null) json.put("detail", detail);
    if (revoked) json.put("revoked", true);
    return json;
  }

  public static Decision fromJson(JsonObject json) {
    JsonArray ids = json.getJsonArray("accessible_ids");
    return new Decision(json.getBoolean("allowed", false), strings(json.getJsonArray("required")),
        ids == null ? Optional.empty() : Optional.of(Set.copyOf(strings(ids))),
        Optional.ofNullable(json.getString("scoped_user_id")), json.getBoolean("admin", false),
        json.getString("decision_id", ""), strings(json.getJsonArray("reasons")), json.getString("detail"),
        Set.copyOf(strings(json.getJsonArray("excluded_ids"))), json.getString("tenant_id", Owner.IMPLICIT_TENANT),
        json.getBoolean("revoked", false));
  }

  private static List<String> strings(JsonArray a) {
    if (a == null) return List.of();
    return a.stream().map(String::valueOf).toList();
  }
}
