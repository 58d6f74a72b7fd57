package dev.agentos.authn;

import dev.agentos.authn.impl.KeyParser;
import dev.agentos.config.AgentOsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Consumer;

/**
 * A verticle's view of the node's JWKS ({@link JwksVerticle}): it applies every set the node publishes and, for a
 * token with an unknown kid, asks the node to refresh and waits for the answer, at most {@link #WAIT_MS}, on the
 * event bus (the event loop is never blocked). One per verticle instance; the set itself lives in one place.
 */
public final class NodeJwks {
  /** How long a token with an unknown kid waits for the node's refresh before it is judged on the current set. */
  public static final long WAIT_MS = 2_000;

  private final Vertx vertx;
  private final AgentOsConfig.Authorization config;
  private final Consumer<List<VerificationKey>> onKeys;
  private MessageConsumer<JsonObject> updates;
  private String applied;
  private boolean haveKeys;

  public NodeJwks(Vertx vertx, AgentOsConfig.Authorization config, Consumer<List<VerificationKey>> onKeys) {
    this.vertx = vertx;
    this.config = config;
    this.onKeys = onKeys;
  }

  /** Subscribes to the node's sets and takes the current one (a node whose first fetch failed has none yet). */
  public Future<Void> start() {
    updates = vertx.eventBus().localConsumer(JwksVerticle.KEYS, msg -> apply(msg.body()));
    return updates.completion().compose(v -> ask(null)).recover(e -> Future.succeededFuture());
  }

  public boolean hasKeys() {
    return haveKeys;
  }

  /** Completes once the node has refreshed for {@code kid} (or decided not to, or after {@link #WAIT_MS}). */
  public Future<Void> awaitKid(String kid) {
    return ask(kid).recover(e -> Future.succeededFuture());
  }

  private Future<Void> ask(String kid) {
    JsonObject request = kid == null ? new JsonObject() : new JsonObject().put("kid", kid);
    return vertx.eventBus().<JsonObject>request(JwksVerticle.REFRESH, request, new DeliveryOptions().setSendTimeout(WAIT_MS)
        .setLocalOnly(true)).map(reply -> {
          apply(reply.body());
          return null;
        });
  }

  private void apply(JsonObject message) {
    String document = message == null ? null : message.getString("jwks");
    if (document == null || document.equals(applied)) return;
    List<VerificationKey> keys = KeyParser.parseJwks(document, "authorization.jwks_url").stream()
        .filter(k -> config.algorithms().stream().anyMatch(k::accepts)).toList();
    applied = document;
    haveKeys = true;
    onKeys.accept(keys);
  }

  public void close() {
    if (updates != null) updates.unregister();
  }
}
