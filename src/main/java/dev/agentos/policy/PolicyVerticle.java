package dev.agentos.policy;

import dev.agentos.authn.AuthenticationException;
import dev.agentos.authn.ClaimMapper;
import dev.agentos.authn.JwtVerifier;
import dev.agentos.authn.KeySet;
import dev.agentos.authn.Principal;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.storage.StorageApi;
import dev.agentos.storage.StorageClient;
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
  private static final Logger log = LoggerFactory.getLogger(PolicyVerticle.class);

  private final AgentOsConfig.Authorization config;
  /** Signs the decisions of sealed writes ({@link dev.agentos.contract.SealedWrites}). */
  private final dev.agentos.contract.NodeIdentity identity;
  private final KeySet keys;
  private final String metricsRegistry;
  private final java.util.List<String> expectedAudience;
  private PolicyEngine engine;
  private JwtVerifier verifier;
  private ClaimMapper claims;
  private dev.agentos.authn.NodeJwks jwks;
  private boolean rolesLoaded;
  private long reloadTimer = -1;
  private MessageConsumer<JsonObject> rolesChanged;
  private MessageConsumer<JsonObject> consumer;
  private Future<Void> keysReady = Future.succeededFuture();
  private boolean stopped;
  private boolean loading;
  private boolean reloadRequested;
  private long lastLoadedAt;
  private long retryTimer = -1;
  /** Three missed periodic reloads. */
  private static final long STALE_AFTER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(3L * PolicyApi.ROLES_RELOAD_SECONDS);
  private Counter allowed;
  private Counter denied;
  private Timer evaluation;

  /**
   * @param keys             the verification keys, for {@code check} requests that carry a bearer token
   * @param expectedAudience audiences a token must name when audience verification is on
   * @param metricsRegistry  the Micrometer registry of this Vert.x instance
   */
  public PolicyVerticle(AgentOsConfig.Authorization config, KeySet keys, java.util.List<String> expectedAudience,
                        String metricsRegistry, dev.agentos.contract.NodeIdentity identity) {
    this.identity = identity;
    this.config = config;
    this.metricsRegistry = metricsRegistry;
    this.keys = keys;
    this.expectedAudience = java.util.List.copyOf(expectedAudience);
  }

  @Override
  public Future<?> start() {
    engine = new PolicyEngine(config);
    verifier = new JwtVerifier(config, expectedAudience, keys);
    claims = new ClaimMapper(config);
    Future<Void> keysLoaded = Future.succeededFuture();
    if (config.jwksUrl().isPresent() && config.validate()) {
      jwks = new dev.agentos.authn.NodeJwks(vertx, config, fetched -> verifier.updateKeys(verifier.keys().withJwks(fetched)));
      keysLoaded = jwks.start();
    }
    MeterRegistry registry = BackendRegistries.getNow(metricsRegistry);
    if (registry != null) {
      allowed = Counter.builder("agentos_policy_decisions").tag("result", "allow")
          .description("Decisions of this node's policy verticle, by result").register(registry);
      denied = Counter.builder("agentos_policy_decisions").tag("result", "deny")
          .description("Decisions of this node's policy verticle, by result").register(registry);
      evaluation = Timer.builder("agentos_policy_evaluation")
          .description("Time the policy engine takes to decide one authorize request (the event-bus hop excluded)").register(registry);
    }
    keysReady = keysLoaded;
    rolesChanged = vertx.eventBus().consumer(PolicyApi.ROLES_CHANGED, msg -> reloadRoles());
    // the timer first: a failed first load retries every 500 ms only while the verticle is running (timer set)
    reloadTimer = vertx.setPeriodic(PolicyApi.ROLES_RELOAD_SECONDS * 1000L, id -> periodic());
    reloadRoles();
    return keysLoaded;
  }

  /**
   * Registers for decisions once keys and roles are loaded: before that every answer would be a 503, and in a
   * cluster other nodes' requests would be sent here round-robin and fail while policy verticles that can
   * decide exist elsewhere.
   */
  private void serveOnceReady() {
    keysReady.onSuccess(v -> {
      if (consumer == null && !stopped) consumer = vertx.eventBus().consumer(PolicyApi.ADDRESS, this::handle);
    });
  }

  /**
   * Loads managed roles and subject assignments from the storage verticle, one request at a time: a notice
   * that arrives while a load is in flight triggers one more load after it, so snapshots are applied in the
   * order they were taken and the newest wins. Until the first load succeeds nothing is served (a managed
   * deny could otherwise be missed); a failed first load is retried every 500 ms by a single timer.
   */
  private void reloadRoles() {
    if (stopped) return;
    if (loading) {
      reloadRequested = true;
      return;
    }
    loading = true;
    new StorageClient(vertx, 5_000).request(StorageApi.ROLES_SNAPSHOT, new JsonObject()).onComplete(ar -> {
      loading = false;
      if (stopped) return;
      if (ar.succeeded()) {
        JsonObject snapshot = ar.result();
        engine.useRoles(engine.roles().withManaged(config, snapshot.getJsonArray("roles"), snapshot.getJsonObject("subjects")));
        rolesLoaded = true;
        if (consumer == null && lastLoadedAt != 0) log.info("roles reloaded: serving decisions again");
        lastLoadedAt = System.nanoTime();
        serveOnceReady();
      } else if (consumer == null) {
        scheduleRetry();
      }
      if (reloadRequested) {
        reloadRequested = false;
        reloadRoles();
      }
    });
  }

  private void scheduleRetry() {
    if (retryTimer >= 0 || stopped) return;
    retryTimer = vertx.setTimer(500, id -> {
      retryTimer = -1;
      reloadRoles();
    });
  }

  /**
   * Periodic: reload, and stop serving when the roles could not be refreshed for {@link #STALE_AFTER_NANOS}
   * (a revoked grant must not live on in a node cut off from storage; other policy verticles take over, or
   * callers get 503).
   */
  private void periodic() {
    if (consumer != null && lastLoadedAt != 0 && System.nanoTime() - lastLoadedAt > STALE_AFTER_NANOS) {
      log.warn("roles not refreshed for {} s: no longer serving decisions until a reload succeeds",
          java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - lastLoadedAt));
      consumer.unregister();
      consumer = null;
    }
    reloadRoles();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (reloadTimer >= 0) vertx.cancelTimer(reloadTimer);
    if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
    if (rolesChanged != null) rolesChanged.unregister();
    if (jwks != null) jwks.close();
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void handle(Message<JsonObject> msg) {
    String action = msg.headers().get(PolicyApi.ACTION_HEADER);
    JsonObject body = msg.body();
    try {
      switch (action == null ? "" : action) {
        case PolicyApi.PING -> {
          if (rolesLoaded) reply(msg, new JsonObject().put("ok", true));
          else msg.fail(PolicyApi.UNAVAILABLE, "roles not loaded yet");
        }
        case PolicyApi.AUTHORIZE -> {
          if (!rolesLoaded) {
            msg.fail(PolicyApi.UNAVAILABLE, "roles not loaded yet");
            return;
          }
          String method = requireString(body, "method");
          String path = requireString(body, "path");
          if (body.containsKey("token")) {
            principalFromToken(requireString(body, "token")).onComplete(ar -> {
              if (ar.succeeded()) {
                reply(msg, decide(ar.result(), method, path).toJson());
              } else {
                String why = ar.cause() instanceof AuthenticationException a ? a.detail() : "token not accepted";
                reply(msg, new Decision(false, java.util.List.of(), java.util.Optional.empty(), java.util.Optional.empty(), false,
                    "", java.util.List.of("token not accepted: " + why), why).toJson());
              }
            });
            return;
          }
          Principal principal = Principal.fromJson(body.getJsonObject("principal"));
          Decision decision = decide(principal, method, path);
          JsonObject answer = decision.toJson();
          if (decision.allowed() && Boolean.TRUE.equals(body.getBoolean("seal"))
              && dev.agentos.contract.SealedWrites.needsSeal(method, path)) {
            answer.put("seal", dev.agentos.contract.DecisionSeal.issue(identity, decision.decisionId(), principal.userId(),
                principal.kind().name().toLowerCase(java.util.Locale.ROOT), method, path, System.currentTimeMillis()).toJson());
          }
          reply(msg, answer);
        }
        case PolicyApi.CHECK -> {
          if (!rolesLoaded) {
            msg.fail(PolicyApi.UNAVAILABLE, "roles not loaded yet");
            return;
          }
          String wanted = requireString(body, "action");
          Object resource = body.getValue("resource_id");
          if (resource != null && !(resource instanceof String)) throw new IllegalArgumentException("resource_id");
          Future<Principal> who = body.containsKey("token")
              ? principalFromToken(requireString(body, "token"))
              : Future.succeededFuture(Principal.fromJson(body.getJsonObject("principal")));
          who.onComplete(ar -> {
            if (ar.failed()) {
              String why = ar.cause() instanceof AuthenticationException a ? a.detail() : "token not accepted";
              reply(msg, new JsonObject().put("allowed", false).put("decision_id", "")
                  .put("reasons", new JsonArray().add("token not accepted: " + why)));
              return;
            }
            Decision d = engine.check(ar.result(), wanted, (String) resource);
            record(d, 0);
            reply(msg, new JsonObject().put("allowed", d.allowed()).put("decision_id", d.decisionId())
                .put("reasons", new JsonArray(d.reasons())));
          });
        }
        default -> msg.fail(PolicyApi.UNKNOWN_ACTION, "unknown policy action");
      }
    } catch (AuthenticationException e) {
      reply(msg, new JsonObject().put("allowed", false).put("decision_id", "")
          .put("reasons", new JsonArray().add("token not accepted: " + e.detail())));
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      msg.fail(PolicyApi.BAD_REQUEST, "malformed policy request");
    }
  }

  private static void reply(Message<JsonObject> msg, JsonObject body) {
    dev.agentos.contract.RequestBinding.reply(msg, body);
  }

  private void record(Decision d, long nanos) {
    if (allowed == null) return;
    (d.allowed() ? allowed : denied).increment();
    if (nanos > 0) evaluation.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private Decision decide(Principal principal, String method, String path) {
    long start = System.nanoTime();
    Decision d = engine.authorize(principal, method, path);
    long nanos = System.nanoTime() - start;
    record(d, nanos);
    if (!d.allowed() || sampledAllow()) logDecision(d, principal, method, path, nanos);
    return d;
  }

  private boolean sampledAllow() {
    int percent = config.decisionLogAllowPercent();
    return percent > 0 && (percent >= 100 || java.util.concurrent.ThreadLocalRandom.current().nextInt(100) < percent);
  }

  /** One JSON line per decision on the {@code agentos.decisions} logger; tokens are never part of a decision. */
  private void logDecision(Decision d, Principal p, String method, String path, long nanos) {
    if (!decisionLog.isInfoEnabled()) return;
    JsonObject line = new JsonObject().put("decision_id", d.decisionId()).put("sub", p.userId().orElse(null))
        .put("method", method).put("path", path).put("required", new JsonArray(d.required()))
        .put("granted_by", d.allowed() ? grantedBy(d) : null).put("result", d.allowed() ? "allow" : "deny")
        .put("reasons", new JsonArray(d.reasons())).put("latency_us", nanos / 1000);
    decisionLog.info(line.encode());
  }

  private static String grantedBy(Decision d) {
    for (String reason : d.reasons()) {
      int at = reason.indexOf(" granted by ");
      if (at >= 0) return reason.substring(at + " granted by ".length());
      if (reason.startsWith("granted by ")) return reason.substring("granted by ".length());
    }
    return d.reasons().isEmpty() ? null : d.reasons().get(0);
  }

  /** Verifies a bearer token exactly as the HTTP path does (off the event loop), for {@code check}. */
  private Future<Principal> principalFromToken(String token) {
    if (!config.validate()) {
      return Future.succeededFuture(claims.toPrincipal(JwtVerifier.decodeUnverified(token), Principal.Kind.UNVERIFIED));
    }
    Future<Void> keysReady = Future.succeededFuture();
    if (jwks != null && JwtVerifier.decode(token).header().getValue("kid") instanceof String kid && !verifier.keys().knowsKid(kid)) {
      keysReady = jwks.awaitKid(kid);
    }
    return keysReady.compose(v -> vertx.executeBlocking(() -> claims.toPrincipal(verifier.verify(token, System.currentTimeMillis() / 1000),
        Principal.Kind.JWT), false));
  }

  private static String requireString(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (!(v instanceof String s)) throw new IllegalArgumentException(field);
    return s;
  }
}
