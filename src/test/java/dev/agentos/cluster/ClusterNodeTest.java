package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.config.Placement;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Cluster settings become Hazelcast settings")
class ClusterNodeTest {

  private static AgentOsConfig config(JsonObject section, Map<String, String> env) {
    return ConfigLoader.fromJson(new JsonObject().put("cluster", section.put("enabled", true)), env);
  }

  @Test
  @DisplayName("TCP/IP discovery joins exactly the listed members, with multicast and auto-detection off")
  void tcpMembers() {
    Config hz = ClusterNode.hazelcastConfig(config(new JsonObject().put("name", "prod")
        .put("members", new JsonArray().add("10.0.0.2:5701").add("10.0.0.3:5701")).put("host", "10.0.0.1"), Map.of()));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertThat(hz.getClusterName()).matches("prod-[0-9a-f]{12}");
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.0.0.2:5701", "10.0.0.3:5701");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThat(hz.getNetworkConfig().isPortAutoIncrement()).isFalse();
    assertThat(hz.getNetworkConfig().getPublicAddress()).isEqualTo("10.0.0.1:5701");
    assertThat(hz.getProperty("hazelcast.local.localAddress")).isEqualTo("10.0.0.1");
  }

  @Test
  @DisplayName("Kubernetes discovery looks up the headless Service by DNS on the member port")
  void kubernetesDns() {
    Config hz = ClusterNode.hazelcastConfig(config(new JsonObject().put("discovery", "kubernetes")
        .put("kubernetes_service_dns", "agentos-cluster.agentos.svc.cluster.local").put("port", 5702),
        Map.of("AGENTOS_CLUSTER_HOST", "10.1.2.3")));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("agentos-cluster.agentos.svc.cluster.local");
    assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo("5702");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(hz.getNetworkConfig().getPublicAddress()).isEqualTo("10.1.2.3:5702");
  }

  @Test
  @DisplayName("Vert.x's own cluster maps stay configured and Hazelcast never installs its own shutdown hook")
  void keepsVertxMaps() {
    Config hz = ClusterNode.hazelcastConfig(config(new JsonObject(), Map.of()));
    assertThat(hz.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(hz.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
    assertThat(hz.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(hz.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("10");
  }

  @Test
  @DisplayName("a public host different from the bind host is what other members are told")
  void publicHost() {
    Config hz = ClusterNode.hazelcastConfig(config(new JsonObject().put("host", "0.0.0.0").put("public_host", "node1.example"), Map.of()));
    assertThat(hz.getNetworkConfig().getPublicAddress()).isEqualTo("node1.example:5701");
    assertThat(hz.getProperty("hazelcast.socket.bind.any")).isEqualTo("true");
  }

  @Test
  @DisplayName("a placement names verticles in deployment order")
  void placement() {
    AgentOsConfig.Cluster c = config(new JsonObject().put("verticles", new JsonArray().add("runtime").add("HTTP")), Map.of()).cluster();
    assertThat(c.verticles().names()).containsExactly("http", "runtime");
    assertThat(c.verticles().runs(Placement.Verticle.POLICY)).isFalse();
  }

  @Test
  @DisplayName("nodes whose authorization settings, keys or database differ get different cluster names, so they never join")
  void fingerprint() {
    JsonObject base = new JsonObject().put("cluster", new JsonObject().put("enabled", true).put("name", "prod"))
        .put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
            .put("verification_keys", new JsonArray().add("a-secret-of-at-least-thirty-two-bytes!!")))
        .put("storage", new JsonObject().put("postgres", new JsonObject().put("host", "db1").put("database", "agentos")));
    String same = ClusterNode.effectiveName(ConfigLoader.fromJson(base.copy(), Map.of()));
    assertThat(ClusterNode.effectiveName(ConfigLoader.fromJson(base.copy(), Map.of("AGENTOS_CLUSTER_HOST", "10.0.0.9"))))
        .as("per-node settings do not change it").isEqualTo(same);
    JsonObject isolationOff = base.copy();
    isolationOff.getJsonObject("authorization").put("user_isolation", true);
    JsonObject otherKey = base.copy();
    otherKey.getJsonObject("authorization").put("verification_keys", new JsonArray().add("another-secret-of-at-least-32-bytes!!"));
    JsonObject otherDb = base.copy();
    otherDb.getJsonObject("storage").getJsonObject("postgres").put("host", "db2");
    JsonObject rbacOff = base.copy();
    rbacOff.getJsonObject("authorization").put("enabled", false);
    for (JsonObject different : java.util.List.of(isolationOff, otherKey, otherDb, rbacOff)) {
      assertThat(ClusterNode.effectiveName(ConfigLoader.fromJson(different, Map.of()))).startsWith("prod-").isNotEqualTo(same);
    }
  }
}
