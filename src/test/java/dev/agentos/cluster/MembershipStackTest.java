package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.cluster.impl.AgreementAuth;
import dev.agentos.cluster.impl.ClusterTls;
import dev.agentos.cluster.impl.MembershipSocketFactory;
import dev.agentos.cluster.impl.MembershipStack;
import dev.agentos.cluster.impl.PeerAudit;
import dev.agentos.cluster.impl.SettingsAgreement;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The membership layer's stack follows the cluster settings")
class MembershipStackTest {
  private static AgentOsConfig.Cluster cluster(JsonObject section) {
    return ConfigLoader.fromJson(new JsonObject().put("cluster", section.put("enabled", true)
        .put("security", new JsonObject().put("insecure", true))), Map.of()).cluster();
  }

  private static <T extends Protocol> T find(JChannel channel, Class<T> type) {
    return channel.getProtocolStack().findProtocol(type);
  }

  @Test
  @DisplayName("a member list means TCPPING to those members (and itself), never multicast; member timeout drives failure detection")
  void memberList() throws Exception {
    AgentOsConfig.Cluster c = cluster(new JsonObject().put("members", new JsonArray().add("127.0.0.1:7001").add("127.0.0.1:7002"))
        .put("port", 7000).put("member_timeout_seconds", 6));
    try (JChannel channel = MembershipStack.channel(c, null, new SettingsAgreement(Map.of("a", "1"), new PeerAudit()))) {
      assertThat(find(channel, TCPPING.class)).isNotNull();
      assertThat(find(channel, DNS_PING.class)).isNull();
      assertThat(find(channel, TCPPING.class).getInitialHosts().toString()).contains("7001").contains("7002").contains("7000");
      assertThat(find(channel, TCP.class).getBindPort()).isEqualTo(7000);
      assertThat(find(channel, FD_ALL3.class).getTimeout()).isEqualTo(6000);
      assertThat(find(channel, AgreementAuth.class)).as("joins are checked").isNotNull();
      assertThat(find(channel, TCP.class).getSocketFactory()).as("insecure: plain sockets").isNotInstanceOf(MembershipSocketFactory.class);
    }
  }

  @Test
  @DisplayName("Kubernetes discovery means DNS_PING on the headless Service's name; with credentials every socket is mutual TLS")
  void kubernetes(@TempDir Path dir) throws Exception {
    CredentialsIssuer.createCa(dir.resolve("ca"), "k", Duration.ofDays(2));
    CredentialsIssuer.issueNode(dir.resolve("ca"), dir.resolve("n"), "n", Duration.ofDays(2));
    AgentOsConfig.Cluster c = cluster(new JsonObject().put("discovery", "kubernetes")
        .put("kubernetes_service_dns", "agentos-cluster.agentos.svc.cluster.local"));
    ClusterTls tls = ClusterTls.load(dir.resolve("n"), new PeerAudit());
    try (JChannel channel = MembershipStack.channel(c, tls, new SettingsAgreement(Map.of("a", "1"), new PeerAudit()))) {
      assertThat(find(channel, DNS_PING.class)).isNotNull();
      assertThat(find(channel, TCPPING.class)).isNull();
      assertThat((Object) find(channel, DNS_PING.class).getValue("dns_query")).isEqualTo("agentos-cluster.agentos.svc.cluster.local");
      assertThat(find(channel, TCP.class).getSocketFactory()).isInstanceOf(MembershipSocketFactory.class);
    }
  }
}
