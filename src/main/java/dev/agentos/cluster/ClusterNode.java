package dev.agentos.cluster;

import dev.agentos.cluster.impl.ClusterTls;
import dev.agentos.cluster.impl.EventBusTls;
import dev.agentos.cluster.impl.MembershipStack;
import dev.agentos.cluster.impl.PeerAudit;
import dev.agentos.cluster.impl.SettingsAgreement;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.NodeIdentity;
import dev.agentos.config.ConfigException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import io.vertx.micrometer.backends.BackendRegistries;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.infinispan.manager.DefaultCacheManager;
import org.jgroups.JChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's Vert.x instance: plain, or clustered when {@code cluster.enabled}. A clustered node joins through
 * the membership layer ({@link MembershipStack}: JGroups under vertx-infinispan) and talks to the others over the
 * clustered event bus. With {@code cluster.security.credentials_dir}, both run over mutual TLS against the
 * cluster's CA, the join is refused unless the joiner's answer-changing settings match ({@link #settingsSections}),
 * and the credential files are re-read every {@code reload_seconds} (rotation without a restart).
 */
public final class ClusterNode {
  /** How long the event bus waits to open a connection to another node; a dead pod's IP must fail fast. */
  static final int EVENT_BUS_CONNECT_TIMEOUT_MS = 3_000;
  /** Version of the messages nodes exchange on the event bus; nodes of another version never join. */
  public static final String CONTRACT_VERSION = dev.agentos.contract.Contract.NAME;

  /**
   * Settings of the authorization section that say how a node runs, not what it answers: left out of the
   * fingerprint, or nodes with other core counts (whose default instance counts differ) could not join.
   */
  private static final java.util.Set<String> PLACEMENT_ONLY = java.util.Set.of("policyInstances");

  private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
  private static final Logger securityLog = LoggerFactory.getLogger("agentos.cluster.security");

  private final Vertx vertx;
  private final DefaultCacheManager caches; // null outside a cluster
  private final ClusterTls tls; // null outside a cluster and in insecure mode
  private final PeerAudit audit;
  private final NodeIdentity identity;

  private ClusterNode(Vertx vertx, DefaultCacheManager caches, ClusterTls tls, PeerAudit audit, NodeIdentity identity) {
    this.vertx = vertx;
    this.caches = caches;
    this.tls = tls;
    this.audit = audit;
    this.identity = identity;
  }

  /** What this node signs with and whom it trusts (see {@link NodeIdentity}). */
  public NodeIdentity identity() {
    return identity;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Refusals counted on this node (tests and the metrics endpoint read them). */
  public PeerAudit audit() {
    return audit;
  }

  /**
   * Creates the node's Vert.x instance. Blocking (it joins the cluster): call it from a start-up thread, never an
   * event loop. A join refused for other settings is a {@link ConfigException} naming the differing sections.
   */
  public static ClusterNode start(AgentOsConfig config, VertxOptions options, String metricsRegistry) throws Exception {
    AgentOsConfig.Cluster cluster = config.cluster();
    PeerAudit audit = new PeerAudit();
    if (!cluster.enabled()) return new ClusterNode(Vertx.vertx(options), null, null, audit, NodeIdentities.local());

    ClusterTls tls = cluster.credentialsDir().map(dir -> ClusterTls.load(dir, audit)).orElse(null);
    if (tls == null) {
      securityLog.warn(INSECURE_WARNING);
    }
    SettingsAgreement agreement = new SettingsAgreement(settingsSections(config), audit);
    log.info("joining cluster '{}' ({} discovery, {})", cluster.name(), cluster.discovery().name().toLowerCase(Locale.ROOT),
        tls == null ? "INSECURE: no authentication" : "mutual TLS (event bus on " + EventBusTls.engineName() + "), certificate "
            + tls.credentials().certificate().getSubjectX500Principal().getName());
    JChannel channel = MembershipStack.channel(cluster, tls, agreement);
    DefaultCacheManager caches;
    try {
      caches = MembershipStack.startCaches(channel, cluster.name());
    } catch (RuntimeException e) {
      SecurityException refused = find(e, SecurityException.class);
      channel.close();
      if (refused != null) {
        throw new ConfigException("cluster", "this node was refused by the cluster '" + cluster.name() + "': " + refused.getMessage());
      }
      throw e;
    }

    options.getEventBusOptions().setHost(cluster.host()).setPort(cluster.eventBusPort())
        .setClusterPublicHost(cluster.publicHost()).setClusterPublicPort(cluster.eventBusPort())
        .setConnectTimeout(EVENT_BUS_CONNECT_TIMEOUT_MS);
    cluster.credentialsDir().ifPresent(dir -> EventBusTls.configure(options.getEventBusOptions(), dir));
    Vertx vertx;
    try {
      vertx = Vertx.builder().with(options).withClusterManager(new dev.agentos.cluster.impl.MergeHealingClusterManager(caches)).buildClustered()
          .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      if (tls != null) EventBusTls.install(vertx, tls).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      caches.stop();
      throw e;
    }
    ClusterNode node = new ClusterNode(vertx, caches, tls, audit,
        tls == null ? NodeIdentities.unauthenticated() : NodeIdentities.of(tls));
    node.watch(cluster, metricsRegistry);
    return node;
  }

  private static final String INSECURE_WARNING = "!!! cluster.security.insecure is true: the cluster's membership and event "
      + "bus are NOT authenticated or encrypted. Anyone who can reach cluster.port or cluster.event_bus_port can join, read "
      + "every message, and answer authorization requests. Use this only on a network nothing else can reach. !!!";

  private void watch(AgentOsConfig.Cluster cluster, String metricsRegistry) {
    MeterRegistry registry = BackendRegistries.getNow(metricsRegistry);
    audit.bind(registry);
    if (registry != null) {
      Gauge.builder("agentos_cluster_insecure", () -> tls == null ? 1 : 0)
          .description("1 when this node runs a cluster without authentication (cluster.security.insecure)").register(registry);
    }
    if (tls == null) {
      vertx.setPeriodic(60_000, id -> securityLog.warn(INSECURE_WARNING));
      return;
    }
    long periodMs = TimeUnit.SECONDS.toMillis(cluster.credentialsReloadSeconds());
    vertx.setPeriodic(periodMs, id -> vertx.executeBlocking(tls::reloadIfChanged, false));
  }

  /** Leaves the cluster: closes Vert.x (unregistering this node's consumers), then the membership layer. */
  public Future<Void> close() {
    return vertx.close().andThen(ar -> {
      if (caches != null) caches.stop();
    });
  }

  /**
   * A fingerprint of each section of this node's settings that changes an answer: the whole authorization
   * section (keys, claims, rules, isolation, roles), the agent/team/workflow registry with its models, the
   * storage target, the os id (the default audience) and the event-bus contract version. Nodes whose sections
   * differ never form one cluster.
   */
  public static Map<String, String> settingsSections(AgentOsConfig config) {
    Map<String, String> sections = new LinkedHashMap<>();
    sections.put("authorization", digest(canonical(config.authorization())));
    sections.put("registry", digest(canonical(config.registry())));
    AgentOsConfig.Postgres pg = config.postgres();
    sections.put("storage", digest(pg.url().orElse("") + "|" + pg.host().orElse("") + "|" + pg.port() + "|"
        + pg.database().orElse("")));
    sections.put("os", digest(config.os().id().orElse("")));
    sections.put("contract", CONTRACT_VERSION);
    return sections;
  }

  private static String canonical(Object value) {
    StringBuilder out = new StringBuilder();
    append(out, value);
    return out.toString();
  }

  private static void append(StringBuilder out, Object value) {
    if (value instanceof Record record) {
      out.append('{');
      for (RecordComponent component : record.getClass().getRecordComponents()) {
        if (PLACEMENT_ONLY.contains(component.getName())) continue;
        try {
          out.append(component.getName()).append('=');
          append(out, component.getAccessor().invoke(record));
          out.append(';');
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      out.append('}');
    } else if (value instanceof Iterable<?> items) {
      out.append('[');
      for (Object item : items) {
        append(out, item);
        out.append(',');
      }
      out.append(']');
    } else if (value instanceof Map<?, ?> map) {
      out.append('<');
      new java.util.TreeMap<>(map.entrySet().stream().collect(java.util.stream.Collectors.toMap(
          e -> String.valueOf(e.getKey()), Map.Entry::getValue, (a, b) -> a))).forEach((k, v) -> {
            out.append(k).append(':');
            append(out, v);
            out.append(',');
          });
      out.append('>');
    } else if (value instanceof java.util.Optional<?> optional) {
      append(out, optional.orElse(null));
    } else {
      out.append(value);
    }
  }

  private static String digest(String canonical) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return type.cast(t);
    }
    return null;
  }
}
