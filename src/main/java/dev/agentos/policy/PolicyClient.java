package dev.agentos.policy;

import dev.agentos.authn.Principal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * What other verticles use to ask the policy verticle, wherever it runs. A failure (no policy verticle,
 * timeout, malformed reply) is a failed future: callers must treat it as "not allowed" (503 on HTTP).
 */
public final class PolicyClient {
  private final Vertx vertx;
  private final long timeoutMs;

  public PolicyClient(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  public Future<Decision> authorize(Principal principal, String method, String path) {
    JsonObject body = new JsonObject().put("principal", principal.toJson()).put("method", method).put("path", path);
    return send(PolicyApi.AUTHORIZE, body).map(Decision::fromJson);
  }

  /** A decision and, when it allowed a sealed write ({@link dev.agentos.contract.SealedWrites}), its seal. */
  public record Sealed(Decision decision, Optional<JsonObject> seal) {}

  /** As {@link #authorize}, asking for the decision's seal (only sealed writes get one, and only when allowed). */
  public Future<Sealed> authorizeSealed(Principal principal, String method, String path) {
    JsonObject body = new JsonObject().put("principal", principal.toJson()).put("method", method).put("path", path)
        .put("seal", true);
    return send(PolicyApi.AUTHORIZE, body).map(reply -> new Sealed(Decision.fromJson(reply),
        Optional.ofNullable(reply.getValue("seal") instanceof JsonObject seal ? seal : null)));
  }

  /** As {@link #authorize}, for a bearer token the policy verticle verifies itself (the what-if API). */
  public Future<Decision> authorizeToken(String bearerToken, String method, String path) {
    JsonObject body = new JsonObject().put("token", bearerToken).put("method", method).put("path", path);
    return send(PolicyApi.AUTHORIZE, body).map(Decision::fromJson);
  }

  /** {@code action} like {@code agents:run}; {@code resourceId} may be null. Resolves to true only on an explicit allow. */
  public Future<Boolean> check(Principal principal, String action, String resourceId) {
    JsonObject body = new JsonObject().put("principal", principal.toJson()).put("action", action)
        .put("resource_id", resourceId);
    return send(PolicyApi.CHECK, body).map(reply -> Boolean.TRUE.equals(reply.getBoolean("allowed")));
  }

  /** As {@link #check(Principal, String, String)}, for a caller holding only a bearer token (verified by the policy verticle). */
  public Future<Boolean> checkToken(String bearerToken, String action, String resourceId) {
    JsonObject body = new JsonObject().put("token", bearerToken).put("action", action).put("resource_id", resourceId);
    return send(PolicyApi.CHECK, body).map(reply -> Boolean.TRUE.equals(reply.getBoolean("allowed")));
  }

  public Future<Void> ping() {
    return send(PolicyApi.PING, new JsonObject()).mapEmpty();
  }

  private Future<JsonObject> send(String action, JsonObject body) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs).addHeader(PolicyApi.ACTION_HEADER, action);
    return dev.agentos.contract.RequestBinding.<JsonObject>request(vertx.eventBus(), PolicyApi.ADDRESS, body, options).map(msg -> {
      if (msg.body() == null) throw new IllegalStateException("empty policy reply");
      return msg.body();
    });
  }
}
