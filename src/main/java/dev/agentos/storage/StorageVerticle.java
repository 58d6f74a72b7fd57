package dev.agentos.storage;

import dev.agentos.contract.ContractCodec;
import dev.agentos.contract.ContractMessage;
import dev.agentos.contract.DecisionSeal;
import dev.agentos.contract.Document;
import dev.agentos.contract.JsonText;
import dev.agentos.contract.Owner;
import dev.agentos.contract.RequestBinding;
import dev.agentos.contract.StorageApi;
import dev.agentos.contract.StorageRequest;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.storage.impl.DecisionStore;
import dev.agentos.storage.impl.MemoryStore;
import dev.agentos.storage.impl.Migrations;
import dev.agentos.storage.impl.PageLane;
import dev.agentos.storage.impl.RoleStore;
import dev.agentos.storage.impl.ScopedClient;
import dev.agentos.storage.impl.ServiceAccountStore;
import dev.agentos.storage.impl.SessionStore;
import dev.agentos.storage.impl.TraceStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the PostgreSQL pool and every SQL statement. At start it migrates the schema in the background,
 * retrying with backoff while the database is unreachable: the service starts, reports not-ready, and
 * becomes ready by itself when the database appears.
 */
public final class StorageVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(StorageVerticle.class);
  private static final long MAX_BACKOFF_MS = 30_000;

  private final AgentOsConfig.Postgres pgConfig;
  private final PostgresTarget target;
  private Pool pool;
  private volatile boolean migrated;
  private volatile String schemaVersion = "";
  private long retryTimer = -1;
  private Future<?> migrating = Future.succeededFuture();
  private boolean stopping;
  private MessageConsumer<Object> consumer;
  private SessionStore sessions;
  private PageLane pages;
  private MemoryStore memories;
  private TraceStore traces;
  private ServiceAccountStore serviceAccounts;
  private RoleStore roles;
  private DecisionStore decisions;
  private dev.agentos.storage.impl.UserStore users;
  private long pruneTimer = -1;

  private final dev.agentos.contract.NodeIdentity identity;

  /** @param identity whom this node trusts to have decided a sealed write (roles, service accounts) */
  /** {@code authorization.default_role}: what a provisioned user gets (from this node's configuration, never a message). */
  private final java.util.Optional<String> defaultRole;

  public StorageVerticle(AgentOsConfig.Postgres pgConfig, PostgresTarget target, dev.agentos.contract.NodeIdentity identity) {
    this(pgConfig, target, identity, java.util.Optional.empty());
  }

  public StorageVerticle(AgentOsConfig.Postgres pgConfig, PostgresTarget target, dev.agentos.contract.NodeIdentity identity,
                         java.util.Optional<String> defaultRole) {
    this.defaultRole = defaultRole;
    this.pgConfig = pgConfig;
    this.target = target;
    this.identity = identity;
  }

  @Override
  public Future<?> start() {
    dev.agentos.contract.Contract.registerCodecs(vertx);
    pool = createPool(vertx, pgConfig, target, "agentos-" + deploymentID());
    ScopedClient db = new ScopedClient(pool, pgConfig.rowLevelSecurity());
    pages = new PageLane(pgConfig.maxConcurrentPages(), 10_000);
    sessions = new SessionStore(db);
    memories = new MemoryStore(db);
    traces = new TraceStore(db);
    serviceAccounts = new ServiceAccountStore(db);
    roles = new RoleStore(db);
    decisions = new DecisionStore(db);
    users = new dev.agentos.storage.impl.UserStore(db);
    // The consumer is registered once the schema is migrated: until then this verticle could only answer 503,
    // and in a cluster other nodes' requests would be sent here round-robin and fail. Unregistered, they go
    // to storage verticles that can answer (or get NO_HANDLERS → 503 when there are none).
    migrate(1_000);
    return Future.succeededFuture();
  }

  /**
   * The service's pool. With row-level security on, every connection takes the application role at start-up
   * ({@code role} in the start-up message: a connection that may not take it fails, it never runs as the login),
   * nothing is set on its session, and each statement's transaction sets its own scope ({@link ScopedClient}). With it
   * off, connections run as the login, as before the second wall existed, and their session tells the forced policies
   * so ({@code agentos.scope = all}) for a login that owns the tables without being a superuser.
   */
  public static Pool createPool(io.vertx.core.Vertx vertx, AgentOsConfig.Postgres pgConfig, PostgresTarget target, String name) {
    io.vertx.pgclient.PgConnectOptions options = target.connectOptions();
    java.util.Map<String, String> startup = new java.util.HashMap<>(options.getProperties());
    if (pgConfig.rowLevelSecurity() && !pgConfig.appRole().isEmpty()) startup.put("role", pgConfig.appRole());
    if (!pgConfig.rowLevelSecurity()) startup.put("agentos.scope", "all");
    options.setProperties(startup);
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(pgConfig.poolSize()).setMaxWaitQueueSize(1_000).setConnectionTimeout(5).setName(name))
        .connectingTo(options)
        .using(vertx)
        .build();
  }

  /** With row-level security on, a node whose statements would not be subject to it does not serve. */
  private Future<Void> checkRowSecurity() {
    return pgConfig.rowLevelSecurity() ? ScopedClient.requireSubjectToPolicies(pool) : Future.succeededFuture();
  }

  private void migrate(long nextBackoffMs) {
    Future<Migrations.Outcome> attempt = vertx.executeBlocking(() -> Migrations.migrate(target, pgConfig.appRole()), false)
        .compose(outcome -> checkRowSecurity().map(outcome));
    migrating = attempt;
    attempt.onComplete(ar -> {
      if (stopping) return;
      if (ar.succeeded()) {
        schemaVersion = ar.result().schemaVersion();
        migrated = true;
        consumer = vertx.eventBus().consumer(StorageApi.ADDRESS, this::handle);
        // decision records past their retention go within the hour, whichever storage verticle gets there first
        prune();
        pruneTimer = vertx.setPeriodic(3_600_000, id -> prune());
        log.info("PostgreSQL {} ready: schema version {} ({} migration(s) applied now)", target, schemaVersion,
            ar.result().applied());
      } else {
        log.warn("PostgreSQL {} not reachable or not migratable ({}); retrying in {} ms", target,
            rootMessage(ar.cause()), nextBackoffMs);
        retryTimer = vertx.setTimer(nextBackoffMs, id -> migrate(Math.min(MAX_BACKOFF_MS, nextBackoffMs * 2)));
      }
    });
  }

  private void prune() {
    decisions.prune(pgConfig.decisionRetentionDays()).onComplete(ar -> {
      if (ar.failed()) logFailure("decisions.prune", ar.cause());
      else if (ar.result() > 0) log.info("pruned {} decision record(s) older than {} days", ar.result(), pgConfig.decisionRetentionDays());
    });
  }

  private void handle(Message<Object> msg) {
    StorageRequest request;
    try {
      request = read(msg);
    } catch (ContractCodec.ContractMismatch | ContractMessage.Malformed e) {
      msg.fail(StorageApi.BAD_REQUEST, e.getMessage());
      return;
    } catch (IllegalArgumentException | ClassCastException e) {
      msg.fail(StorageApi.BAD_REQUEST, "malformed storage request");
      return;
    }
    if (request == null) {
      msg.fail(StorageApi.UNKNOWN_ACTION, "unknown storage action");
      return;
    }
    boolean json = msg.body() instanceof JsonObject;
    if (request instanceof StorageRequest.Ping) {
      ping(msg, json);
      return;
    }
    Future<?> result;
    try {
      if (!migrated) throw new StorageFailure(StorageApi.UNAVAILABLE, "Database unavailable");
      if (request instanceof StorageRequest.SessionRuns r) {
        result = pages.submit(() -> runsPage(r));
      } else if (request instanceof StorageRequest.SessionsGet r && r.historyLimit() > 0) {
        result = pages.submit(() -> dispatch(r));
      } else {
        result = dispatch(request);
      }
    } catch (StorageFailure f) {
      result = Future.failedFuture(f);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      result = Future.failedFuture(new StorageFailure(StorageApi.BAD_REQUEST, "malformed storage request"));
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        RequestBinding.reply(msg, ar.result() instanceof String text ? textInKind(json, text) : inKind(json, (JsonObject) ar.result()));
      } else if (ar.cause() instanceof StorageFailure f) {
        msg.fail(f.code(), f.getMessage());
      } else if (ar.cause() instanceof IllegalArgumentException || ar.cause() instanceof java.time.DateTimeException) {
        // thrown by a read the lane ran later, as the synchronous path's catch above maps it
        msg.fail(StorageApi.BAD_REQUEST, "malformed storage request");
      } else if (ar.cause() instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState())) {
        // a unique id taken (by anyone): a conflict, never an overwrite, and the owner is not revealed
        msg.fail(StorageApi.CONFLICT, "Resource with this id already exists");
      } else {
        logFailure(request.action(), ar.cause());
        msg.fail(StorageApi.UNAVAILABLE, "Database unavailable");
      }
    });
  }

  /**
   * The typed request, or the one a JSON sender meant by its action header; {@code null} for an action this API does
   * not know. Decoding a clustered message happens here (a frame of another contract version is refused).
   */
  private static StorageRequest read(Message<Object> msg) {
    Object body = msg.body();
    if (body instanceof StorageRequest typed) return typed;
    String action = msg.headers().get(StorageApi.ACTION_HEADER);
    if (body != null && !(body instanceof JsonObject)) throw new IllegalArgumentException("not a storage request");
    return StorageRequest.fromJson(action, (JsonObject) body).orElse(null);
  }

  /** A typed request gets a {@link Document}; a JSON request (a sender that speaks only JSON) the JSON itself. */
  private static Object inKind(boolean json, JsonObject reply) {
    return json ? reply : new Document(reply);
  }

  /** A page of runs is text PostgreSQL wrote: typed senders get it as it is; JSON senders get the {runs: [...]} object. */
  private static Object textInKind(boolean json, String runsArray) {
    return json ? new JsonObject().put("runs", new io.vertx.core.json.JsonArray(runsArray)) : new JsonText(runsArray);
  }

  private Future<String> runsPage(StorageRequest.SessionRuns r) {
    return sessions.runsText(owner(r.owner()), required(r.sessionId(), "session_id"), r.createdAfter(), r.createdBefore(),
        atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"));
  }

  private void ping(Message<Object> msg, boolean json) {
    if (!migrated) {
      msg.fail(StorageApi.UNAVAILABLE, "database schema not migrated yet");
      return;
    }
    pool.query("SELECT 1").execute().onComplete(ar -> {
      if (ar.succeeded()) {
        RequestBinding.reply(msg, inKind(json, new JsonObject().put("ok", true).put("schema_version", schemaVersion)));
      } else {
        msg.fail(StorageApi.UNAVAILABLE, "database unreachable");
      }
    });
  }

  private Future<JsonObject> dispatch(StorageRequest request) {
    if (request instanceof StorageRequest.SessionsList r) {
      return sessions.list(owner(r.owner()), r.type(), r.componentId(), r.sessionName(), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"),
          orDefault(r.sortBy(), "created_at"), "asc".equals(r.sortOrder()));
    }
    if (request instanceof StorageRequest.SessionsGet r) {
      return sessions.get(owner(r.owner()), required(r.sessionId(), "session_id"), r.type(), atLeast(r.historyPage(), 1, "history_page"),
          bounded(r.historyLimit(), "history_limit"));
    }
    if (request instanceof StorageRequest.SessionsCreate r) {
      return sessions.create(owner(r.owner()), required(r.sessionId(), "session_id"), required(r.sessionType(), "session_type"),
          r.componentId(), r.sessionName(), r.sessionState(), r.metadata());
    }
    if (request instanceof StorageRequest.SessionsUpdate r) {
      return sessions.update(owner(r.owner()), required(r.sessionId(), "session_id"), r.type(), r.sessionName(),
          r.sessionState(), r.metadata(), r.summary());
    }
    if (request instanceof StorageRequest.SessionsDelete r) {
      return sessions.delete(owner(r.owner()), required(r.sessionIds(), "session_ids"), r.sessionTypes());
    }
    if (request instanceof StorageRequest.SessionRun r) {
      return sessions.run(owner(r.owner()), required(r.sessionId(), "session_id"), required(r.runId(), "run_id"));
    }
    if (request instanceof StorageRequest.RunsLocate r) {
      return sessions.locateRun(owner(r.owner()), required(r.runId(), "run_id"));
    }
    if (request instanceof StorageRequest.SessionsFork r) {
      return sessions.fork(owner(r.owner()), required(r.sessionId(), "session_id"), required(r.sessionType(), "session_type"),
          required(r.componentId(), "component_id"), required(r.newSessionId(), "new_session_id"));
    }
    if (request instanceof StorageRequest.SessionsEnsure r) {
      return sessions.ensure(owner(r.owner()), required(r.sessionId(), "session_id"), required(r.sessionType(), "session_type"),
          required(r.componentId(), "component_id"), atLeast(r.historyRuns(), 0, "history_runs"));
    }
    if (request instanceof StorageRequest.RunsRecord r) {
      return sessions.recordRun(owner(r.owner()), required(r.sessionId(), "session_id"), required(r.sessionType(), "session_type"),
          required(r.componentId(), "component_id"), required(r.run(), "run"), r.trace(), r.spans());
    }
    if (request instanceof StorageRequest.MemoriesList r) {
      return memories.list(owner(r.owner()), r.agentId(), r.teamId(), r.topics(), r.searchContent(), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"),
          orDefault(r.sortBy(), "updated_at"), "asc".equals(r.sortOrder()));
    }
    if (request instanceof StorageRequest.MemoriesGet r) {
      return memories.get(owner(r.owner()), required(r.memoryId(), "memory_id"));
    }
    if (request instanceof StorageRequest.MemoriesCreate r) {
      return memories.create(owner(r.owner()), required(r.memory(), "memory"), r.topics(), r.agentId(), r.teamId());
    }
    if (request instanceof StorageRequest.MemoriesUpdate r) {
      return memories.update(owner(r.owner()), required(r.memoryId(), "memory_id"), required(r.memory(), "memory"), r.topics());
    }
    if (request instanceof StorageRequest.MemoriesDelete r) {
      return memories.delete(owner(r.owner()), required(r.memoryIds(), "memory_ids"));
    }
    if (request instanceof StorageRequest.MemoryTopics r) {
      return memories.topics(owner(r.owner())).map(t -> new JsonObject().put("topics", t));
    }
    if (request instanceof StorageRequest.MemoryStats r) {
      return memories.stats(owner(r.owner()), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"));
    }
    if (request instanceof StorageRequest.TracesList r) {
      return traces.list(owner(r.owner()), new TraceStore.Filters(r.runId(), r.sessionId(), r.componentType(), r.componentId(),
          r.status(), r.startTime(), r.endTime()), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"));
    }
    if (request instanceof StorageRequest.TracesSessionStats r) {
      return traces.sessionStats(owner(r.owner()), new TraceStore.Filters(r.runId(), r.sessionId(), r.componentType(),
          r.componentId(), r.status(), r.startTime(), r.endTime()), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"));
    }
    if (request instanceof StorageRequest.TracesSearch r) {
      return traces.search(owner(r.owner()), r.filter(), orDefault(r.groupBy(), "run"), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"));
    }
    if (request instanceof StorageRequest.TracesGet r) {
      return traces.get(owner(r.owner()), required(r.traceId(), "trace_id"), r.spanId());
    }
    if (request instanceof StorageRequest.TracesRecord r) {
      return traces.record(owner(r.owner()), r.trace(), r.spans() == null ? new io.vertx.core.json.JsonArray() : r.spans());
    }
    return dispatchPolicyData(request);
  }

  /**
   * Service accounts and managed roles are not user data: no owner, but a tenant (a sealed write's is the seal's); their
   * routes need service_accounts:* and authz:*.
   */
  private Future<JsonObject> dispatchPolicyData(StorageRequest request) {
    if (request instanceof StorageRequest.ServiceAccountsCreate r) {
      DecisionSeal seal = sealed(r.seal(), "POST /service-accounts");
      return serviceAccounts.create(seal.tenant(), required(r.name(), "name"), required(r.tokenHash(), "token_hash"),
          required(r.tokenPrefix(), "token_prefix"), required(r.scopes(), "scopes"), creator(seal), r.expiresAt(), r.parentId(),
          mintingUser(seal), r.actsForUsers());
    }
    if (request instanceof StorageRequest.ServiceAccountsList r) {
      return serviceAccounts.list(r.tenant(), r.includeRevoked(), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"),
          "asc".equals(r.sortOrder()));
    }
    if (request instanceof StorageRequest.ServiceAccountsRevoke r) {
      DecisionSeal seal = sealed(r.seal(), "DELETE /service-accounts/" + required(r.id(), "id"));
      return serviceAccounts.revoke(seal.tenant(), r.id());
    }
    if (request instanceof StorageRequest.ServiceAccountsVerify r) {
      return serviceAccounts.verify(required(r.tokenHash(), "token_hash"));
    }
    if (request instanceof StorageRequest.RolesSnapshot r) {
      return roles.snapshot(r.onlyTenant(), r.unassignedUsers());
    }
    if (request instanceof StorageRequest.RolesPut r) {
      String name = required(r.name(), "name");
      // a role is written whole by PUT /authz/roles/{name}, or through its scopes (PUT or PATCH …/scopes)
      DecisionSeal seal = sealed(r.seal(), "PUT /authz/roles/" + name, "PUT /authz/roles/" + name + "/scopes",
          "PATCH /authz/roles/" + name + "/scopes");
      return roles.put(seal.tenant(), name, required(r.scopes(), "scopes"), required(r.deny(), "deny"), r.description(),
          seal.actor().orElse(null), seal.actors());
    }
    if (request instanceof StorageRequest.RolesDelete r) {
      String name = required(r.name(), "name");
      DecisionSeal seal = sealed(r.seal(), "DELETE /authz/roles/" + name);
      return roles.delete(seal.tenant(), name, seal.actor().orElse(null), seal.actors(), r.keepAssignments());
    }
    if (request instanceof StorageRequest.SubjectRolesGet r) {
      return roles.subject(r.tenant(), required(r.subject(), "subject"));
    }
    if (request instanceof StorageRequest.SubjectRolesPut r) {
      String subject = required(r.subject(), "subject");
      DecisionSeal seal = sealed(r.seal(), "PUT /authz/subjects/" + subject + "/roles");
      return roles.assign(seal.tenant(), subject, required(r.roles(), "roles"), seal.actor().orElse(null), seal.actors());
    }
    if (request instanceof StorageRequest.AuthzAudit r) {
      return roles.audit(r.tenant(), atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"));
    }
    if (request instanceof StorageRequest.ConsentsList r) {
      return roles.consents(r.tenant(), required(r.subject(), "subject"));
    }
    if (request instanceof StorageRequest.ConsentsPut r) {
      String actor = required(r.actor(), "actor");
      // a grant only by a PUT's decision, a withdrawal only by a DELETE's
      DecisionSeal seal = sealed(r.seal(), (r.granted() ? "PUT" : "DELETE") + " /authz/consents/" + actor);
      // a consent is a user's own: decided for their own token, not a service account's, not through an actor
      if (!("jwt".equals(seal.actorKind()) || "unverified".equals(seal.actorKind())) || !seal.actors().isEmpty() || seal.actor().isEmpty()) {
        throw new StorageFailure(StorageApi.FORBIDDEN, "Only a user consents, for themselves");
      }
      String subject = seal.actor().get();
      return roles.consent(seal.tenant(), subject, actor, r.granted());
    }
    if (request instanceof StorageRequest.UsersList r) {
      return users.list(r.tenant(), r.search(), r.disabled(), orDefault(r.sortBy(), "created_at"), "asc".equals(r.sortOrder()),
          atLeast(r.page(), 1, "page"), bounded(r.limit(), "limit"));
    }
    if (request instanceof StorageRequest.UsersGet r) {
      return users.get(r.tenant(), required(r.id(), "id"));
    }
    if (request instanceof StorageRequest.UsersUpdate r) {
      String id = required(r.id(), "id");
      DecisionSeal seal = sealed(r.seal(), "PATCH /users/" + id);
      return users.update(seal.tenant(), id, r.email(), r.name(), r.disabled(), seal.actor().orElse(null), seal.actors());
    }
    if (request instanceof StorageRequest.UsersProvision r) {
      return users.provision(r.tenant(), required(r.id(), "id"), r.email(), r.name(), defaultRole.orElse(null));
    }
    if (request instanceof StorageRequest.UsersMetrics r) {
      return users.metrics(r.tenant());
    }
    if (request instanceof StorageRequest.DecisionsRecord r) {
      return decisions.record(required(r.records(), "records"));
    }
    if (request instanceof StorageRequest.DecisionsList r) {
      if (r.result() != null && !r.result().equals("allow") && !r.result().equals("deny")) {
        throw new StorageFailure(StorageApi.BAD_REQUEST, "result must be allow or deny");
      }
      return decisions.list(r.tenant(), r.subject(), r.result(), r.path(), r.from(), r.to(), atLeast(r.page(), 1, "page"),
          bounded(r.limit(), "limit"));
    }
    throw new StorageFailure(StorageApi.UNKNOWN_ACTION, "unknown storage action");
  }

  /**
   * The verified seal of the decision that allowed this write, which must be for one of {@code routes} ("METHOD path":
   * a role is written whole by PUT /authz/roles/{name} or through its scopes): the actor recorded is the seal's (the
   * principal the policy verticle decided on), never a field of the request.
   */
  private DecisionSeal sealed(Object sealJson, String... routes) {
    try {
      DecisionSeal seal = DecisionSeal.fromJson(sealJson);
      String route = seal.method() + " " + seal.path();
      if (!List.of(routes).contains(route)) {
        throw new DecisionSeal.Refused("the decision was for " + route + ", not " + String.join(" or ", routes));
      }
      seal.verify(identity, seal.method(), seal.path(), System.currentTimeMillis());
      return seal;
    } catch (DecisionSeal.Refused e) {
      log.warn("refused {}: {}", dev.agentos.contract.LogSafe.clean(routes[0]), e.getMessage());
      throw new StorageFailure(StorageApi.FORBIDDEN, "The decision for this change could not be verified");
    }
  }

  /** A service account's creator as agno records it: the minting user, or {@code security_key}. */
  private static String creator(DecisionSeal seal) {
    return seal.actor().orElse("security_key".equals(seal.actorKind()) ? "security_key" : null);
  }

  /** The user a service account acts for when a user (a token's subject, never another account) mints it. */
  private static String mintingUser(DecisionSeal seal) {
    return "jwt".equals(seal.actorKind()) || "unverified".equals(seal.actorKind()) ? seal.actor().orElse(null) : null;
  }

  /** The owner a request on user data names; a request that names none is malformed (never read as "everyone"). */
  private static Owner owner(Owner owner) {
    if (owner == null) throw new StorageFailure(StorageApi.BAD_REQUEST, "storage request without an owner");
    return owner;
  }

  private static <T> T required(T value, String field) {
    if (value == null || (value instanceof String s && s.isEmpty())) {
      throw new StorageFailure(StorageApi.BAD_REQUEST, field + " is required");
    }
    return value;
  }

  /** Pages are bounded: a listing never holds more than {@value #MAX_PAGE} rows in memory. */
  private static final int MAX_PAGE = 1_000;

  private static int bounded(int limit, String field) {
    if (limit < 0 || limit > MAX_PAGE) throw new StorageFailure(StorageApi.BAD_REQUEST, field + " must be between 0 and " + MAX_PAGE);
    return limit;
  }

  private static int atLeast(int value, int min, String field) {
    if (value < min) throw new StorageFailure(StorageApi.BAD_REQUEST, field + " must be at least " + min);
    return value;
  }

  private static String orDefault(String value, String absent) {
    return value == null ? absent : value;
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
    if (pruneTimer >= 0) vertx.cancelTimer(pruneTimer);
    Future<Void> unregister = consumer == null ? Future.succeededFuture() : consumer.unregister();
    // A migration in flight holds a JDBC connection on a worker thread: let it finish (bounded) first.
    Future<?> migrationDone = migrating.recover(e -> Future.succeededFuture()).timeout(30, TimeUnit.SECONDS)
        .recover(e -> Future.succeededFuture());
    return unregister.eventually(() -> migrationDone)
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close());
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    String m = c.getMessage();
    if (m == null) return c.getClass().getSimpleName();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  // During an outage every request fails the same way: one line per second, with a count of the rest.
  private long lastFailureLogAt;
  private long suppressedFailures;

  private void logFailure(String action, Throwable cause) {
    long now = System.nanoTime();
    if (lastFailureLogAt != 0 && now - lastFailureLogAt < java.util.concurrent.TimeUnit.SECONDS.toNanos(1)) {
      suppressedFailures++;
      return;
    }
    String more = suppressedFailures == 0 ? "" : " (" + suppressedFailures + " more failures in the last second not logged)";
    log.warn("storage action {} failed: {}{}", action, rootMessage(cause), more);
    lastFailureLogAt = now;
    suppressedFailures = 0;
  }
}
