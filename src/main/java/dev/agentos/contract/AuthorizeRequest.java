package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * {@link PolicyApi#AUTHORIZE}: may this principal make this request? {@code seal}: also sign the decision, when
 * it allows a sealed write ({@link SealedWrites}). {@code tenant}: the tenant the caller asks to act in (the
 * {@code X-Tenant-Id} header), when it names one; the policy decides whether it may. {@code provision}: the request is
 * being made by its principal (the HTTP path; not a what-if or a grant check), so its subject may be added to the users
 * directory. JSON: {@code {principal, method, path, seal?, tenant?, provision?}}.
 */
public record AuthorizeRequest(Principal principal, String method, String path, boolean seal,
                               java.util.Optional<String> tenant, boolean provision) implements ContractMessage {
  public AuthorizeRequest {
    if (principal == null || method == null || path == null) throw new IllegalArgumentException("principal, method and path are required");
    tenant = tenant == null ? java.util.Optional.empty() : tenant;
  }

  /** A question about a request (no subject is added to the users directory for it). */
  public AuthorizeRequest(Principal principal, String method, String path, boolean seal, java.util.Optional<String> tenant) {
    this(principal, method, path, seal, tenant, false);
  }

  /** A request that names no tenant (the caller acts in its own). */
  public AuthorizeRequest(Principal principal, String method, String path, boolean seal) {
    this(principal, method, path, seal, java.util.Optional.empty());
  }

  @Override
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("principal", principal.toJson()).put("method", method).put("path", path);
    if (seal) json.put("seal", true);
    tenant.ifPresent(t -> json.put("tenant", t));
    if (provision) json.put("provision", true);
    return json;
  }

  public static AuthorizeRequest fromJson(JsonObject json) {
    if (json == null) throw new IllegalArgumentException("empty request");
    if (!(json.getValue("method") instanceof String method)) throw new IllegalArgumentException("method");
    if (!(json.getValue("path") instanceof String path)) throw new IllegalArgumentException("path");
    if (!(json.getValue("principal") instanceof JsonObject principal)) throw new IllegalArgumentException("principal");
    Object seal = json.getValue("seal");
    if (seal != null && !(seal instanceof Boolean)) throw new IllegalArgumentException("seal");
    Object tenant = json.getValue("tenant");
    if (tenant != null && !(tenant instanceof String)) throw new IllegalArgumentException("tenant");
    Object provision = json.getValue("provision");
    if (provision != null && !(provision instanceof Boolean)) throw new IllegalArgumentException("provision");
    return new AuthorizeRequest(Principal.fromJson(principal), method, path, Boolean.TRUE.equals(seal),
        java.util.Optional.ofNullable((String) tenant), Boolean.TRUE.equals(provision));
  }
}
