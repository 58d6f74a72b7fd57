package dev.agentos.policy;

import dev.agentos.authn.Principal;
import dev.agentos.config.AgentOsConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers authorization questions on {@link PolicyApi#ADDRESS}. Stateless apart from its immutable engine,
 * so any number of instances (in this JVM or on other cluster nodes) can serve the address.
 */
public final class PolicyVerticle extends VerticleBase {
  private static final Logger decisionLog = LoggerFactory.getLogger("agentos.decisions");

  private final AgentOsConfig.Authorization config;
  private PolicyEngine engine;
  private MessageConsumer<JsonObject> consumer;
  private Counter allowed;
  private Counter denied;
  private Timer evaluation;

  public PolicyVerticle(AgentOsConfig.Authorization config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    engine = new PolicyEngine(config);
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry != null) {
      allowed = Counter.builder("agentos_policy_decisions").tag("result", "allow").register(registry);
      denied = Counter.builder("agentos_policy_decisions").tag("result", "deny").register(registry);
      evaluation = Timer.builder("agentos_policy_evaluation").register(registry);
    }
    consumer = vertx.eventBus().consumer(PolicyApi.ADDRESS, this::handle);
    return consumer.completion();
  }

  private void handle(Message<JsonObject> msg) {
    String action = msg.headers().get(PolicyApi.ACTION_HEADER);
    JsonObject body = msg.body();
    try {
      switch (action == null ? "" : action) {
        case PolicyApi.PING -> msg.reply(new JsonObject().put("ok", true));
        case PolicyApi.AUTHORIZE -> {
          long start = System.nanoTime();
          Principal principal = Principal.fromJson(body.getJsonObject("principal"));
          String method = requireString(body, "method");
          String path = requireString(body, "path");
          Decision d = engine.authorize(principal, method, path);
          long nanos = System.nanoTime() - start;
          record(d, nanos);
          if (!d.allowed()) logDenial(d, principal, method, path, nanos);
          msg.reply(d.toJson());
        }
        case PolicyApi.CHECK -> {
          Principal principal = Principal.fromJson(body.getJsonObject("principal"));
          Decision d = engine.check(principal, requireString(body, "action"), body.getString("resource_id"));
          record(d, 0);
          msg.reply(new JsonObject().put("allowed", d.allowed()).put("decision_id", d.decisionId())
              .put("reasons", new JsonArray(d.reasons())));
        }
        default -> msg.fail(PolicyApi.UNKNOWN_ACTION, "unknown policy action");
      }
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      msg.fail(PolicyApi.BAD_REQUEST, "malformed policy request");
    }
  }

  private void record(Decision d, long nanos) {
    if (allowed == null) return;
    (d.allowed() ? allowed : denied).increment();
    if (nanos > 0) evaluation.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private void logDenial(Decision d, Principal p, String method, String path, long nanos) {
    if (!decisionLog.isInfoEnabled()) return;
    JsonObject line = new JsonObject().put("decision_id", d.decisionId()).put("sub", p.userId().orElse(null))
        .put("method", method).put("path", path).put("required", new JsonArray(d.required()))
        .put("granted_by", null).put("result", "deny").put("reasons", new JsonArray(d.reasons()))
        .put("latency_us", nanos / 1000);
    decisionLog.info(line.encode());
  }

  private static String requireString(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (!(v instanceof String s)) throw new IllegalArgumentException(field);
    return s;
  }
}
