package dev.agentos.authn;

import dev.agentos.config.AgentOsConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/**
 * The node's one JWKS URL fetcher: one key set, one refresh timer, one debounce for every HTTP verticle instance
 * and the policy verticle of this node (they get the set from here, {@link NodeJwks}, over node-local addresses).
 * A token with a kid the set lacks asks for a refresh ({@link #REFRESH}); the answer comes when the node's single
 * in-flight fetch completes (or at once when the debounce window forbids another fetch), so the token is judged on
 * the newest set instead of failing while every instance refreshes on its own.
 */
public final class JwksVerticle extends VerticleBase {
  /** Node-local: {@code {kid?}} → the current set, after a refresh when the kid is unknown. */
  public static final String REFRESH = "agentos.jwks.v1.refresh";
  /** Node-local publication of each new set: {@code {jwks: "<document>"}}. */
  public static final String KEYS = "agentos.jwks.v1.keys";

  private final AgentOsConfig.Authorization config;
  private final String metricsRegistry;
  private JwksUrlSource source;
  private MessageConsumer<JsonObject> requests;
  private Set<String> kids = Set.of();

  public JwksVerticle(AgentOsConfig.Authorization config, String metricsRegistry) {
    this.config = config;
    this.metricsRegistry = metricsRegistry;
  }

  @Override
  public Future<?> start() {
    source = new JwksUrlSource(vertx, config, metricsRegistry, keys -> {
      Set<String> known = new HashSet<>();
      keys.forEach(k -> k.kid().ifPresent(known::add));
      kids = Set.copyOf(known);
      vertx.eventBus().publish(KEYS, current(), new DeliveryOptions().setLocalOnly(true));
    });
    requests = vertx.eventBus().localConsumer(REFRESH, this::refresh);
    // the first fetch's failure does not fail start-up: readiness stays down until a set arrives
    return requests.completion().compose(v -> source.start());
  }

  private JsonObject current() {
    return new JsonObject().put("jwks", source.currentBody());
  }

  private void refresh(Message<JsonObject> msg) {
    String kid = msg.body() == null ? null : msg.body().getString("kid");
    if (kid == null || kids.contains(kid)) {
      msg.reply(current());
      return;
    }
    source.refreshForUnknownKid().onComplete(ar -> msg.reply(current()));
  }

  @Override
  public Future<?> stop() {
    if (source != null) source.close();
    return requests == null ? Future.succeededFuture() : requests.unregister();
  }
}
