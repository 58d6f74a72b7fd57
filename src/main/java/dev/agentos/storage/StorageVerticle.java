package dev.agentos.storage;

import dev.agentos.contract.StorageApi;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.storage.impl.MemoryStore;
import dev.agentos.storage.impl.Migrations;
import dev.agentos.storage.impl.RoleStore;
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
  private MessageConsumer<JsonObject> consumer;
  private SessionStore sessions;
  private MemoryStore memories;
  private TraceStore traces;
  private ServiceAccountStore serviceAccounts;
  private RoleStore roles;

  private final dev.agentos.contract.NodeIdentity identity;

  /** @param identity whom this node trusts to have decided a sealed write (roles, service accounts) */
  public StorageVerticle(AgentOsConfig.Postgres pgConfig, PostgresTarget target, dev.agentos.contract.NodeIdentity identity) {
    this.pgConfig = pgConfig;
    this.target = target;
    this.identity = identity;
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(pgConfig.poolSize()).setMaxWaitQueueSize(1_000)
            .setConnectionTimeout(5).setName("agentos-" + deploymentID()))
        .connectingTo(target.connectOptions())
        .using(vertx)
        .build();
    sessions = new SessionStore(pool);
    memories = new MemoryStore(pool);
    traces = new TraceStore(pool);
    serviceAccounts = new ServiceAccountStore(pool);
    roles = new RoleStore(pool);
    // The consumer is registered once the schema is migrated: until then this verticle could only answer 503,
    // and in a cluster other nodes' requests would be sent here round-robin and fail. Unregistered, they go
    // to storage verticles that can answer (or get NO_HANDLERS → 503 when there are none).
    migrate(1_000);
    return Future.succeededFuture();
  }

  private void migrate(long nextBackoffMs) {
    Future<Migrations.Outcome> attempt = vertx.executeBlocking(() -> Migrations.migrate(target), false);
    migrating = attempt;
    attempt.onComplete(ar -> {
      if (stopping) return;
      if (ar.succeeded()) {
        schemaVersion = ar.result().schemaVersion();
        migrated = true;
        consumer = vertx.eventBus().consumer(StorageApi.ADDRESS, this::handle);
        log.info("PostgreSQL {} ready: schema version {} ({} migration(s) applied now)", target, schemaVersion,
            ar.result().applied());
      } else {
        log.warn("PostgreSQL {} not reachable or not migratable ({}); retrying in {} ms", target,
            rootMessage(ar.cause()), nextBackoffMs);
        retryTimer = vertx.setTimer(nextBackoffMs, id -> migrate(Math.min(MAX_BACKOFF_MS, nextBackoffMs * 2)));
      }
    });
  }

  private void handle(Message<JsonObject> msg) {
    String action = msg.headers().get(StorageApi.ACTION_HEADER);
    if (action != null && !StorageApi.PING.equals(action)) {
      Future<?> result;
      try {
        if (!migrated) throw new StorageFailure(StorageApi.UNAVAILABLE, "Database unavailable");
        result = dispatch(action, msg.body() == null ? new JsonObject() : msg.body());
      } catch (StorageFailure f) {
        result = Future.failedFuture(f);
      } catch (ClassCastException | IllegalArgumentException | java.time.DateTimeException e) {
        result = Future.failedFuture(new StorageFailure(StorageApi.BAD_REQUEST, "malformed storage request"));
      }
      result.onComplete(ar -> {
        if (ar.succeeded()) {
          dev.agentos.contract.RequestBinding.reply(msg, ar.result());
        } else if (ar.cause() instanceof StorageFailure f) {
          msg.fail(f.code(), f.getMessage());
        } else if (ar.cause() instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState())) {
          // a unique id taken (by anyone): a conflict, never an overwrite, and the owner is not revealed
          msg.fail(StorageApi.CONFLICT, "Resource with this id already exists");
        } else {
          logFailure(action, ar.cause());
          msg.fail(StorageApi.UNAVAILABLE, "Database unavailable");
        }
      });
      return;
    }
    if (StorageApi.PING.equals(action)) {
      if (!migrated) {
        msg.fail(StorageApi.UNAVAILABLE, "database schema not migrated yet");
        return;
      }
      pool.query("SELECT 1").execute().onComplete(ar -> {
        if (ar.succeeded()) {
          dev.agentos.contract.RequestBinding.reply(msg, new JsonObject().put("ok", true).put("schema_version", schemaVersion));
        } else {
          msg.fail(StorageApi.UNAVAILABLE, "database unreachable");
        }
      });
      return;
    }
    msg.fail(StorageApi.UNKNOWN_ACTION, "unknown storage action");
  }


  private Future<?> dispatch(String action, JsonObject b) {
    if (action.startsWith("service_accounts.")) return dispatchServiceAccounts(action, b);
    if (action.startsWith("roles.")) return dispatchRoles(action, b);
    Owner owner = Owner.fromMessage(b);
    return switch (action) {
      case StorageApi.SESSIONS_LIST -> sessions.list(owner, b.getString("type"), b.getString("component_id"),
          b.getString("session_name"), b.getInteger("page", 1), b.getInteger("limit", 20),
          b.getString("sort_by", "created_at"), "asc".equals(b.getString("sort_order")));
      case StorageApi.SESSIONS_GET -> sessions.get(owner, required(b, "session_id"), b.getString("type"));
      case StorageApi.SESSIONS_CREATE -> sessions.create(owner, required(b, "session_id"), required(b, "session_type"),
          b.getString("component_id"), b.getString("session_name"), b.getJsonObject("session_state"), b.getJsonObject("metadata"));
      case StorageApi.SESSIONS_UPDATE -> sessions.update(owner, required(b, "session_id"), b.getString("type"),
          b.getString("session_name"), b.getJsonObject("session_state"), b.getJsonObject("metadata"), b.getJsonObject("summary"));
      case StorageApi.SESSIONS_DELETE -> sessions.delete(owner, strings(b, "session_ids"),
          b.containsKey("session_types") ? strings(b, "session_types") : null);
      case StorageApi.SESSION_RUNS -> sessions.runs(owner, required(b, "session_id"), time(b, "created_after"),
          time(b, "created_before")).map(runs -> new JsonObject().put("runs", runs));
      case StorageApi.SESSION_RUN -> sessions.run(owner, required(b, "session_id"), required(b, "run_id"));
      case StorageApi.RUNS_LOCATE -> sessions.locateRun(owner, required(b, "run_id"));
      case StorageApi.SESSIONS_ENSURE -> sessions.ensure(owner, required(b, "session_id"), required(b, "session_type"),
          required(b, "component_id"));
      case StorageApi.RUNS_RECORD -> sessions.recordRun(owner, required(b, "session_id"), required(b, "session_type"),
          required(b, "component_id"), b.getJsonObject("run"));
      case StorageApi.MEMORIES_LIST -> memories.list(owner, b.getString("agent_id"), b.getString("team_id"),
          b.containsKey("topics") ? strings(b, "topics") : null, b.getString("search_content"), b.getInteger("page", 1),
          b.getInteger("limit", 20), b.getString("sort_by", "updated_at"), "asc".equals(b.getString("sort_order")));
      case StorageApi.MEMORIES_GET -> memories.get(owner, required(b, "memory_id"));
      case StorageApi.MEMORIES_CREATE -> memories.create(owner, required(b, "memory"),
          b.containsKey("topics") ? strings(b, "topics") : null, b.getString("agent_id"), b.getString("team_id"));
      case StorageApi.MEMORIES_UPDATE -> memories.update(owner, required(b, "memory_id"), required(b, "memory"),
          b.containsKey("topics") ? strings(b, "topics") : null);
      case StorageApi.MEMORIES_DELETE -> memories.delete(owner, strings(b, "memory_ids"));
      case StorageApi.MEMORY_TOPICS -> memories.topics(owner).map(t -> new JsonObject().put("topics", t));
      case StorageApi.MEMORY_STATS -> memories.stats(owner, b.getInteger("page", 1), b.getInteger("limit", 20));
      case StorageApi.TRACES_LIST -> traces.list(owner, traceFilters(b), b.getInteger("page", 1), b.getInteger("limit", 20));
      case StorageApi.TRACES_SESSION_STATS -> traces.sessionStats(owner, traceFilters(b), b.getInteger("page", 1),
          b.getInteger("limit", 20));
      case StorageApi.TRACES_SEARCH -> traces.search(owner, b.getValue("filter"), b.getString("group_by", "run"),
          b.getInteger("page", 1), b.getInteger("limit", 20));
      case StorageApi.TRACES_GET -> traces.get(owner, required(b, "trace_id"), b.getString("span_id"));
      case StorageApi.TRACES_RECORD -> traces.record(owner, b.getJsonObject("trace"), b.getJsonArray("spans", new io.vertx.core.json.JsonArray()));
      default -> throw new StorageFailure(StorageApi.UNKNOWN_ACTION, "unknown storage action");
    };
  }

  /**
   * The verified seal of the decision that allowed this write: the actor recorded is the seal's (the principal the
   * policy verticle decided on), never a field of the request.
   */
  private dev.agentos.contract.DecisionSeal sealed(JsonObject b, String method, String path) {
    try {
      dev.agentos.contract.DecisionSeal seal = dev.agentos.contract.DecisionSeal.fromJson(b.getValue("seal"));
      seal.verify(identity, method, path, System.currentTimeMillis());
      return seal;
    } catch (dev.agentos.contract.DecisionSeal.Refused e) {
      log.warn("refused {} {}: {}", method, dev.agentos.contract.LogSafe.clean(path), e.getMessage());
      throw new StorageFailure(StorageApi.FORBIDDEN, "The decision for this change could not be verified");
    }
  }

  /** A service account's creator as agno records it: the minting user, or {@code security_key}. */
  private static String creator(dev.agentos.contract.DecisionSeal seal) {
    return seal.actor().orElse("security_key".equals(seal.actorKind()) ? "security_key" : null);
  }

  /** Managed roles are policy data, not user data: no owner; their routes need authz:* scopes. */
  private Future<?> dispatchRoles(String action, JsonObject b) {
    return switch (action) {
      case StorageApi.ROLES_SNAPSHOT -> roles.snapshot();
      case StorageApi.ROLES_PUT -> roles.put(required(b, "name"), strings(b, "scopes"), strings(b, "deny"),
          b.getString("description"), sealed(b, "PUT", "/authz/roles/" + required(b, "name")).actor().orElse(null));
      case StorageApi.ROLES_DELETE -> roles.delete(required(b, "name"),
          sealed(b, "DELETE", "/authz/roles/" + required(b, "name")).actor().orElse(null));
      case StorageApi.SUBJECT_ROLES_GET -> roles.subject(required(b, "subject"));
      case StorageApi.SUBJECT_ROLES_PUT -> roles.assign(required(b, "subject"), strings(b, "roles"),
          sealed(b, "PUT", "/authz/subjects/" + required(b, "subject") + "/roles").actor().orElse(null));
      case StorageApi.AUTHZ_AUDIT -> roles.audit(b.getInteger("page", 1), b.getInteger("limit", 50));
      default -> throw new StorageFailure(StorageApi.UNKNOWN_ACTION, "unknown storage action");
    };
  }

  /** Service accounts are not user data: no owner; their routes need service_accounts:* scopes. */
  private Future<?> dispatchServiceAccounts(String action, JsonObject b) {
    return switch (action) {
      case StorageApi.SERVICE_ACCOUNTS_CREATE -> serviceAccounts.create(required(b, "name"), required(b, "token_hash"),
          required(b, "token_prefix"), strings(b, "scopes"), creator(sealed(b, "POST", "/service-accounts")), time(b, "expires_at"),
          b.getString("parent_id"));
      case StorageApi.SERVICE_ACCOUNTS_LIST -> serviceAccounts.list(b.getBoolean("include_revoked", true),
          b.getInteger("page", 1), b.getInteger("limit", 20), "asc".equals(b.getString("sort_order")));
      case StorageApi.SERVICE_ACCOUNTS_REVOKE -> {
        sealed(b, "DELETE", "/service-accounts/" + required(b, "id"));
        yield serviceAccounts.revoke(required(b, "id"));
      }
      case StorageApi.SERVICE_ACCOUNTS_VERIFY -> serviceAccounts.verify(required(b, "token_hash"));
      default -> throw new StorageFailure(StorageApi.UNKNOWN_ACTION, "unknown storage action");
    };
  }

  private static dev.agentos.storage.impl.TraceStore.Filters traceFilters(JsonObject b) {
    return new dev.agentos.storage.impl.TraceStore.Filters(b.getString("run_id"), b.getString("session_id"),
        b.getString("component_type"), b.getString("component_id"), b.getString("status"), time(b, "start_time"),
        time(b, "end_time"));
  }

  private static String required(JsonObject b, String field) {
    Object v = b.getValue(field);
    if (!(v instanceof String s) || s.isEmpty()) throw new StorageFailure(StorageApi.BAD_REQUEST, field + " is required");
    return s;
  }

  private static java.util.List<String> strings(JsonObject b, String field) {
    Object v = b.getValue(field);
    if (!(v instanceof io.vertx.core.json.JsonArray arr)) throw new StorageFailure(StorageApi.BAD_REQUEST, field + " must be a list");
    java.util.List<String> out = new java.util.ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) throw new StorageFailure(StorageApi.BAD_REQUEST, field + " must hold strings");
      out.add(s);
    }
    return out;
  }

  private static java.time.OffsetDateTime time(JsonObject b, String field) {
    String v = b.getString(field);
    return v == null ? null : java.time.OffsetDateTime.parse(v);
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
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
