package dev.agentos.policy;

import dev.agentos.contract.PolicyApi;
import dev.agentos.contract.AuthorizeReply;
import dev.agentos.contract.AuthorizeRequest;
import dev.agentos.contract.CheckReply;
import dev.agentos.contract.CheckRequest;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.Document;
import dev.agentos.contract.StorageApi;
import dev.agentos.contract.StorageRequest;
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
  private final String metricsRegistry;
  private PolicyEngine engine;
  private boolean rolesLoaded;
  private long reloadTimer = -1;
  private MessageConsumer<JsonObject> rolesChanged;
  private MessageConsumer<JsonObject> saRevoked;
  private final int storageTimeoutMs;
  private StorageClient storage;
  private MessageConsumer<Object> consumer;
  private MessageConsumer<Object> coLocated;
  private boolean stopped;
  private boolean loading;
  private boolean reloadRequested;
  private long lastLoadedAt;
  private long retryTimer = -1;
  /** Three missed periodic reloads. */
  private static final long STALE_AFTER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(3L * PolicyApi.ROLES_RELOAD_SECONDS);
  private dev.agentos.policy.impl.DecisionRecorder recorder;
  private Counter allowed;
  private Counter denied;
  private Timer evaluation;

  /**
   * @param metricsRegistry the Micrometer registry of this Vert.x instance
   * @param identity        signs the decisions of sealed writes
   * @param storageTimeoutMs {@code storage.request_timeout_ms}, for the role snapshots
   */
  public PolicyVerticle(AgentOsConfig.Authorization config, String metricsRegistry, dev.agentos.contract.NodeIdentity identity,
                        int storageTimeoutMs) {
    this.storageTimeoutMs = storageTimeoutMs;
    this.identity = identity;
    this.config = config;
    this.metricsRegistry = metricsRegistry;
  }

  @Override
  public Future<?> start() {
    engine = new PolicyEngine(config);
    storage = new StorageClient(vertx, storageTimeoutMs);
    dev.agentos.contract.Contract.registerCodecs(vertx);
    MeterRegistry registry = BackendRegistries.getNow(metricsRegistry);
    if (registry != null) {
      allowed = Counter.builder("agentos_policy_decisions").tag("result", "allow")
          .description("Decisions of this node's policy verticle, by result").register(registry);
      denied = Counter.builder("agentos_policy_decisions").tag("result", "deny")
          .description("Decisions of this node's policy verticle, by result").register(registry);
      evaluation = Timer.builder("agentos_policy_evaluation")
          .description("Time the policy engine takes to decide one authorize request (the event-bus hop excluded)").register(registry);
    }
    if (config.decisionRecords()) {
      Counter dropped = registry == null ? null : Counter.builder("agentos_policy_decision_records_dropped")
          .description("Decision records this node did not write (a full queue, storage away); the decisions stood").register(registry);
      Counter written = registry == null ? null : Counter.builder("agentos_policy_decision_records_written")
          .description("Decision records this node wrote").register(registry);
      recorder = new dev.agentos.policy.impl.DecisionRecorder(vertx, storage, config.decisionRecordsQueue(), dropped, written);
      recorder.start();
    }
    rolesChanged = vertx.eventBus().consumer(PolicyApi.ROLES_CHANGED, msg -> reloadRoles());
    // a revoked account that acted for users stops acting at once, as a revoked role does
    saRevoked = vertx.eventBus().consumer(StorageApi.SERVICE_ACCOUNT_REVOKED, msg -> reloadRoles());
    // the timer first: a failed first load retries every 500 ms only while the verticle is running (timer set)
    reloadTimer = vertx.setPeriodic(PolicyApi.ROLES_RELOAD_SECONDS * 1000L, id -> periodic());
    reloadRoles();
    return Future.succeededFuture();
  }

  /**
   * Registers for decisions once keys and roles are loaded: before that every answer would be a 503, and in a
   * cluster other nodes' requests would be sent here round-robin and fail while policy verticles that can
   * decide exist elsewhere.
   */
  private void serveOnceReady() {
    if (consumer == null && !stopped) {
      consumer = vertx.eventBus().consumer(PolicyApi.ADDRESS, this::handle);
      // and for callers on this event loop, without a thread hand-off (PolicyApi#coLocatedAddress)
      coLocated = vertx.eventBus().localConsumer(PolicyApi.coLocatedAddress(Thread.currentThread().getName()), this::handle);
    }
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
    storage.request(new StorageRequest.RolesSnapshot(java.util.Optional.empty(), config.defaultRole().isPresent())).onComplete(ar -> {
      loading = false;
      if (stopped) return;
      if (ar.succeeded()) {
        JsonObject snapshot = ar.result();
        engine.useRoles(engine.roles().withManaged(config, snapshot));
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
      coLocated.unregister();
      coLocated = null;
    }
    reloadRoles();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (reloadTimer >= 0) vertx.cancelTimer(reloadTimer);
    if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
    if (rolesChanged != null) rolesChanged.unregister();
    if (saRevoked != null) saRevoked.unregister();
    if (coLocated != null) coLocated.unregister();
    if (recorder != null) recorder.stop();
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /**
   * One request: a typed message from this JVM or another node, or its JSON form from a sender that speaks JSON.
   * A malformed body, or one of another contract version, is a {@link PolicyApi#BAD_REQUEST} failure, never a
   * decision.
   */
  private void handle(Message<Object> msg) {
    String action = msg.headers().get(PolicyApi.ACTION_HEADER);
    try {
      switch (action == null ? "" : action) {
        case PolicyApi.PING -> {
          if (rolesLoaded) reply(msg, new JsonObject().put("ok", true));
          else msg.fail(PolicyApi.UNAVAILABLE, "roles not loaded yet");
        }
        case PolicyApi.AUTHORIZE -> {
          AuthorizeRequest request = msg.body() instanceof AuthorizeRequest typed ? typed : AuthorizeRequest.fromJson(json(msg));
          if (!rolesLoaded) {
            msg.fail(PolicyApi.UNAVAILABLE, "roles not loaded yet");
            return;
          }
          AuthorizeReply answer = authorize(request);
          reply(msg, inKind(msg, answer));
          if (request.provision()) provision(request.principal(), answer.decision());
        }
        case PolicyApi.CHECK -> {
          CheckRequest request = msg.body() instanceof CheckRequest typed ? typed : CheckRequest.fromJson(json(msg));
          if (!rolesLoaded) {
            msg.fail(PolicyApi.UNAVAILABLE, "roles not loaded yet");
            return;
          }
          Decision d = engine.check(request.principal(), request.action(), request.resourceId().orElse(null));
          record(d, 0);
          reply(msg, inKind(msg, new CheckReply(d.allowed(), d.decisionId(), d.reasons())));
        }
        case PolicyApi.ROLES_PUT, PolicyApi.ROLES_DELETE, PolicyApi.ROLES_ASSIGN, PolicyApi.USERS_UPDATE, PolicyApi.CONSENTS_PUT ->
            writeRoles(msg, roleWrite(msg, action));
        default -> msg.fail(PolicyApi.UNKNOWN_ACTION, "unknown policy action");
      }
    } catch (dev.agentos.contract.ContractCodec.ContractMismatch e) {
      msg.fail(PolicyApi.BAD_REQUEST, e.getMessage());
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      msg.fail(PolicyApi.BAD_REQUEST, "malformed policy request");
    }
  }

  /** The storage action each role write is. */
  private static final java.util.Map<String, String> ROLE_WRITES = java.util.Map.of(PolicyApi.ROLES_PUT, StorageApi.ROLES_PUT,
      PolicyApi.ROLES_DELETE, StorageApi.ROLES_DELETE, PolicyApi.ROLES_ASSIGN, StorageApi.SUBJECT_ROLES_PUT,
      PolicyApi.USERS_UPDATE, StorageApi.USERS_UPDATE, PolicyApi.CONSENTS_PUT, StorageApi.CONSENTS_PUT);

  /** The role write a message carries: the typed storage request, or its JSON form; of the kind its action names. */
  private static StorageRequest roleWrite(Message<Object> msg, String action) {
    String storageAction = ROLE_WRITES.get(action);
    StorageRequest write = msg.body() instanceof StorageRequest typed ? typed
        : StorageRequest.fromJson(storageAction, json(msg)).orElseThrow();
    if (!storageAction.equals(write.action())) throw new IllegalArgumentException("a role write of another kind");
    return write;
  }

  /**
   * A role write: performed in storage (which verifies the seal and writes the audit row in the same transaction),
   * then announced to every policy verticle, this one included, and only then answered.
   */
  private void writeRoles(Message<Object> msg, StorageRequest write) {
    storage.request(write).onComplete(ar -> {
      if (ar.failed()) {
        msg.fail(StorageClient.code(ar.cause()), ar.cause().getMessage());
        return;
      }
      vertx.eventBus().publish(PolicyApi.ROLES_CHANGED, new JsonObject());
      reply(msg, msg.body() instanceof JsonObject ? ar.result() : new Document(ar.result()));
    });
  }

  /** A typed request gets a typed reply; a JSON request (a sender that speaks only JSON) the reply's JSON form. */
  private static Object inKind(Message<Object> msg, dev.agentos.contract.ContractMessage reply) {
    return msg.body() instanceof JsonObject ? reply.toJson() : reply;
  }

  private static JsonObject json(Message<Object> msg) {
    if (msg.body() instanceof JsonObject json) return json;
    throw new IllegalArgumentException("not a policy request");
  }

  /**
   * Subjects this verticle has had added to the users directory (each once, not per request; the least recent are
   * forgotten past the bound, and at worst asked about again: the write is idempotent).
   */
  private final com.github.benmanes.caffeine.cache.Cache<String, Boolean> provisioned =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000).build();

  /**
   * Just-in-time provisioning (docs/authorization.md, "Users directory"): a token's subject that the directory does not
   * know is added, in its own tenant, with the default role when it holds none. After the answer, asynchronously: it
   * never delays or changes a decision (the default role already applies to a subject the directory does not know).
   * A failed write is tried again on a later request.
   */
  private void provision(Principal principal, Decision decision) {
    if (!config.autoProvisionUsers() || decision.revoked() || principal.userId().isEmpty()) return;
    if (principal.kind() != Principal.Kind.JWT && principal.kind() != Principal.Kind.UNVERIFIED) return;
    if (config.tenants() && principal.tenantId().isEmpty()) return; // refused: no tenant to add it to
    String tenant = principal.tenantId().orElse(dev.agentos.contract.Owner.IMPLICIT_TENANT);
    String sub = principal.userId().get();
    String key = tenant + '\u0000' + sub;
    if (provisioned.asMap().putIfAbsent(key, Boolean.TRUE) != null) return;
    if (engine.roles().knows(tenant, sub) && config.defaultRole().isPresent()) return; // the snapshot has them
    JsonObject profile = principal.claims().getValue(Principal.PROFILE_CLAIM) instanceof JsonObject p ? p : new JsonObject();
    storage.request(new StorageRequest.UsersProvision(tenant, sub, text(profile, "email"), text(profile, "name")))
        .onFailure(e -> provisioned.invalidate(key));
  }

  private static String text(JsonObject json, String field) {
    return json.getValue(field) instanceof String s ? s : null;
  }

  private AuthorizeReply authorize(AuthorizeRequest request) {
    Principal principal = request.principal();
    Decision decision = decide(principal, request.method(), request.path(), request.tenant());
    if (decision.allowed() && request.seal() && dev.agentos.contract.SealedWrites.needsSeal(request.method(), request.path())) {
      // the write lands in the decision's tenant: the seal says which, so no sender can choose it
      return new AuthorizeReply(decision, java.util.Optional.of(dev.agentos.contract.DecisionSeal.issue(identity,
          decision.decisionId(), principal.userId(), principal.kind().name().toLowerCase(java.util.Locale.ROOT),
          decision.tenantId(), principal.actors().stream().map(Principal.Actor::sub).toList(), request.method(), request.path(),
          System.currentTimeMillis()).toJson()));
    }
    return AuthorizeReply.of(decision);
  }

  private static void reply(Message<Object> msg, Object body) {
    dev.agentos.contract.RequestBinding.reply(msg, body);
  }

  private void record(Decision d, long nanos) {
    if (allowed == null) return;
    (d.allowed() ? allowed : denied).increment();
    if (nanos > 0) evaluation.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private Decision decide(Principal principal, String method, String path, java.util.Optional<String> tenant) {
    long start = System.nanoTime();
    PolicyEngine.Evaluation e = engine.evaluate(principal, method, path, tenant);
    Decision d = e.decision();
    long nanos = System.nanoTime() - start;
    record(d, nanos);
    if (recorder != null) recorder.record(d, principal, method, path, e.route(), e.held());
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
        .put("tenant", d.allowed() ? d.tenantId() : p.tenantId().orElse(null))
        .put("method", method).put("path", path).put("required", new JsonArray(d.required()))
        .put("granted_by", d.allowed() ? grantedBy(d) : null).put("result", d.allowed() ? "allow" : "deny")
        .put("reasons", new JsonArray(d.reasons())).put("latency_us", nanos / 1000);
    // a delegated request: the chain it was decided on, the current actor first
    if (!p.actors().isEmpty()) line.put("actors", new JsonArray(p.actors().stream().map(Principal.Actor::sub).toList()));
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

}
