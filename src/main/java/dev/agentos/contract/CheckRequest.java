package dev.agentos.contract;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * {@link PolicyApi#CHECK}: may this principal do {@code action} ({@code agents:run}) on {@code resourceId} (absent:
 * any)? JSON: {@code {principal, action, resource_id?}}.
 */
public record CheckRequest(Principal principal, String action, Optional<String> resourceId) implements ContractMessage {
  public CheckRequest {
    if (principal == null || action == null) throw new IllegalArgumentException("principal and action are required");
    resourceId = resourceId == null ? Optional.empty() : resourceId;
  }

  @Override
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("principal", principal.toJson()).put("action", action);
    resourceId.ifPresent(id -> json.put("resource_id", id));
    return json;
  }

  public static CheckRequest fromJson(JsonObject json) {
    if (json == null) throw new IllegalArgumentException("empty request");
    if (!(json.getValue("action") instanceof String action)) throw new IllegalArgumentException("action");
    if (!(json.getValue("principal") instanceof JsonObject principal)) throw new IllegalArgumentException("principal");
    Object resource = json.getValue("resource_id");
    if (resource != null && !(resource instanceof String)) throw new IllegalArgumentException("resource_id");
    return new CheckRequest(Principal.fromJson(principal), action, Optional.ofNullable((String) resource));
  }
}
