package dev.agentos.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.agentos.config.AgentOsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.LoggerFactory;

/**
 * Creates this node's Vert.x instance: plain, or clustered with Hazelcast when {@code cluster.enabled}.
 * Discovery is a TCP/IP member list or a DNS lookup of a Kubernetes headless Service; multicast and every
 * other auto-detection are switched off, so a node never joins a cluster nobody configured.
 */
public final class ClusterNode {
  /** How long the event bus waits to open a connection to another node; a dead pod's IP must fail fast. */
  static final int EVENT_BUS_CONNECT_TIMEOUT_MS = 3_000;

  private ClusterNode() {}

  public static Future<Vertx> create(AgentOsConfig config, VertxOptions options) {
    AgentOsConfig.Cluster cluster = config.cluster();
    if (!cluster.enabled()) return Future.succeededFuture(Vertx.vertx(options));
    options.getEventBusOptions().setHost(cluster.host()).setPort(cluster.eventBusPort())
        .setClusterPublicHost(cluster.publicHost()).setClusterPublicPort(cluster.eventBusPort())
        .setConnectTimeout(EVENT_BUS_CONNECT_TIMEOUT_MS);
    Config hz = hazelcastConfig(config);
    LoggerFactory.getLogger(ClusterNode.class).info("joining cluster '{}' ({} discovery)", hz.getClusterName(),
        cluster.discovery().name().toLowerCase(java.util.Locale.ROOT));
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz)).buildClustered();
  }

  /**
   * The Hazelcast cluster name: {@code cluster.name} plus a fingerprint of everything a node must share with
   * the nodes that decide for it (the whole authorization section, the database, the os id that is the
   * default audience). Nodes that differ in any of it never join one cluster, so a node is never decided for
   * by a policy verticle with other rules, keys or database (during a rollout that changes them, the new
   * nodes form their own cluster).
   */
  public static String effectiveName(AgentOsConfig config) {
    StringBuilder canonical = new StringBuilder();
    appendRecord(canonical, config.authorization());
    AgentOsConfig.Postgres pg = config.postgres();
    canonical.append("|pg:").append(pg.url().orElse("")).append('|').append(pg.host().orElse("")).append('|')
        .append(pg.port()).append('|').append(pg.database().orElse("")).append("|os:").append(config.os().id().orElse(""));
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(canonical.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return config.cluster().name() + "-" + java.util.HexFormat.of().formatHex(digest, 0, 6);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private static void appendRecord(StringBuilder out, Record record) {
    for (java.lang.reflect.RecordComponent component : record.getClass().getRecordComponents()) {
      try {
        Object value = component.getAccessor().invoke(record);
        out.append(component.getName()).append('=');
        if (value instanceof Record nested) appendRecord(out, nested);
        else out.append(value);
        out.append(';');
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Hazelcast settings derived from our config; starts from Vert.x's defaults so its own maps stay configured. */
  public static Config hazelcastConfig(AgentOsConfig config) {
    AgentOsConfig.Cluster cluster = config.cluster();
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(effectiveName(config));
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    // our shutdown hook drains HTTP first and then leaves the cluster; Hazelcast must not leave before that
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(cluster.memberTimeoutSeconds()));
    boolean anyAddress = "0.0.0.0".equals(cluster.host());
    hz.setProperty("hazelcast.socket.bind.any", String.valueOf(anyAddress));
    if (!anyAddress) hz.setProperty("hazelcast.local.localAddress", cluster.host());

    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false).setPortCount(1);
    network.setPublicAddress(cluster.publicHost() + ":" + cluster.port());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    switch (cluster.discovery()) {
      case TCP -> join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
      case KUBERNETES -> join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", cluster.kubernetesServiceDns().orElseThrow())
          .setProperty("service-port", String.valueOf(cluster.port()));
    }
    return hz;
  }
}
