package dev.agentos.contract;

import io.vertx.core.json.JsonObject;

/**
 * {@link PolicyApi#AUTHORIZE}: may this principal make this request? {@code seal}: also sign the decision, when
 * it allows a sealed write ({@link SealedWrites}). JSON: {@code {principal, method, path, seal?}}.
 */
public record AuthorizeRequest(Principal principal, String method, String path, boolean seal) implements ContractMessage {
  public AuthorizeRequest {
    if (principal == null || method == null || path == null) throw new IllegalArgumentException("principal, method and path are required");
  }

  @Override
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("principal", principal.toJson()).put("method", method).put("path", path);
    if (seal) json.put("seal", true);
    return json;
  }

  public static AuthorizeRequest fromJson(JsonObject json) {
    if (json == null) throw new IllegalArgumentException("empty request");
    if (!(json.getValue("method") instanceof String method)) throw new IllegalArgumentException("method");
    if (!(json.getValue("path") instanceof String path)) throw new IllegalArgumentException("path");
    if (!(json.getValue("principal") instanceof JsonObject principal)) throw new IllegalArgumentException("principal");
    Object seal = json.getValue("seal");
    if (seal != null && !(seal instanceof Boolean)) throw new IllegalArgumentException("seal");
    return new AuthorizeRequest(Principal.fromJson(principal), method, path, Boolean.TRUE.equals(seal));
  }
}
