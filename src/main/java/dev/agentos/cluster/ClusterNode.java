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

/**
 * Creates this node's Vert.x instance: plain, or clustered with Hazelcast when {@code cluster.enabled}.
 * Discovery is a TCP/IP member list or a DNS lookup of a Kubernetes headless Service; multicast and every
 * other auto-detection are switched off, so a node never joins a cluster nobody configured.
 */
public final class ClusterNode {
  /** How long the event bus waits to open a connection to another node; a dead pod's IP must fail fast. */
  static final int EVENT_BUS_CONNECT_TIMEOUT_MS = 3_000;

  private ClusterNode() {}

  public static Future<Vertx> create(AgentOsConfig.Cluster cluster, VertxOptions options) {
    if (!cluster.enabled()) return Future.succeededFuture(Vertx.vertx(options));
    options.getEventBusOptions().setHost(cluster.host()).setPort(cluster.eventBusPort())
        .setClusterPublicHost(cluster.publicHost()).setClusterPublicPort(cluster.eventBusPort())
        .setConnectTimeout(EVENT_BUS_CONNECT_TIMEOUT_MS);
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hazelcastConfig(cluster)))
        .buildClustered();
  }

  /** Hazelcast settings derived from our config; starts from Vert.x's defaults so its own maps stay configured. */
  public static Config hazelcastConfig(AgentOsConfig.Cluster cluster) {
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(cluster.name());
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
