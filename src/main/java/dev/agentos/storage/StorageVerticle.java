package dev.agentos.storage;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.storage.impl.Migrations;
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

  public StorageVerticle(AgentOsConfig.Postgres pgConfig, PostgresTarget target) {
    this.pgConfig = pgConfig;
    this.target = target;
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(pgConfig.poolSize()).setMaxWaitQueueSize(1_000)
            .setConnectionTimeout(5).setName("agentos-" + deploymentID()))
        .connectingTo(target.connectOptions())
        .using(vertx)
        .build();
    consumer = vertx.eventBus().consumer(StorageApi.ADDRESS, this::handle);
    migrate(1_000);
    return consumer.completion();
  }

  private void migrate(long nextBackoffMs) {
    Future<Migrations.Outcome> attempt = vertx.executeBlocking(() -> Migrations.migrate(target), false);
    migrating = attempt;
    attempt.onComplete(ar -> {
      if (stopping) return;
      if (ar.succeeded()) {
        schemaVersion = ar.result().schemaVersion();
        migrated = true;
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
    if (StorageApi.PING.equals(action)) {
      if (!migrated) {
        msg.fail(StorageApi.UNAVAILABLE, "database schema not migrated yet");
        return;
      }
      pool.query("SELECT 1").execute().onComplete(ar -> {
        if (ar.succeeded()) {
          msg.reply(new JsonObject().put("ok", true).put("schema_version", schemaVersion));
        } else {
          msg.fail(StorageApi.UNAVAILABLE, "database unreachable");
        }
      });
      return;
    }
    msg.fail(StorageApi.UNKNOWN_ACTION, "unknown storage action");
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
}
