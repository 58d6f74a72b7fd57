package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.cluster.impl.ClusterTls;
import dev.agentos.cluster.impl.PeerAudit;
import dev.agentos.contract.DecisionSeal;
import dev.agentos.contract.NodeIdentity;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Decision seals: the actor of a recorded write comes from a decision only a cluster node could sign")
class DecisionSealTest {
  @TempDir static Path dir;
  static NodeIdentity nodeA;
  static NodeIdentity nodeB;
  static NodeIdentity stranger;

  @BeforeAll
  static void identities() {
    CredentialsIssuer.createCa(dir.resolve("ca"), "t", Duration.ofDays(5));
    CredentialsIssuer.createCa(dir.resolve("other"), "t", Duration.ofDays(5));
    CredentialsIssuer.issueNode(dir.resolve("ca"), dir.resolve("a"), "a", Duration.ofDays(5));
    CredentialsIssuer.issueNode(dir.resolve("ca"), dir.resolve("b"), "b", Duration.ofDays(5));
    CredentialsIssuer.issueNode(dir.resolve("other"), dir.resolve("x"), "x", Duration.ofDays(5));
    nodeA = NodeIdentities.of(ClusterTls.load(dir.resolve("a"), new PeerAudit()));
    nodeB = NodeIdentities.of(ClusterTls.load(dir.resolve("b"), new PeerAudit()));
    stranger = NodeIdentities.of(ClusterTls.load(dir.resolve("x"), new PeerAudit()));
  }

  private static DecisionSeal seal(NodeIdentity by, String actor, long at) {
    return DecisionSeal.issue(by, "d1", Optional.of(actor), "jwt", "PUT", "/authz/roles/viewer", at);
  }

  private static DecisionSeal wire(DecisionSeal seal) throws DecisionSeal.Refused {
    return DecisionSeal.fromJson(new JsonObject(seal.toJson().encode()));
  }

  @Test
  @DisplayName("a seal made by one node verifies on another node of the same CA, after a trip over the wire")
  void verifiesAcrossNodes() throws Exception {
    long now = System.currentTimeMillis();
    DecisionSeal received = wire(seal(nodeA, "alice", now));
    assertThatCode(() -> received.verify(nodeB, "PUT", "/authz/roles/viewer", now)).doesNotThrowAnyException();
    assertThat(received.actor()).contains("alice");
  }

  @Test
  @DisplayName("a delegated decision's actor chain is signed with it: the chain arrives as sealed, and a changed chain is refused")
  void actorChainIsSigned() throws Exception {
    long now = System.currentTimeMillis();
    DecisionSeal sealed = wire(DecisionSeal.issue(nodeA, "d2", Optional.of("alice"), "jwt", "", List.of("support-agent", "tool"), "PUT",
        "/authz/roles/viewer", now));
    assertThatCode(() -> sealed.verify(nodeB, "PUT", "/authz/roles/viewer", now)).doesNotThrowAnyException();
    assertThat(sealed.actors()).containsExactly("support-agent", "tool");
    for (io.vertx.core.json.JsonArray other : List.of(new io.vertx.core.json.JsonArray().add("tool"),
        new io.vertx.core.json.JsonArray().add("tool").add("support-agent"), new io.vertx.core.json.JsonArray())) {
      JsonObject json = sealed.toJson().put("actors", other);
      DecisionSeal changed = DecisionSeal.fromJson(json);
      assertThatThrownBy(() -> changed.verify(nodeB, "PUT", "/authz/roles/viewer", now)).as(other.encode())
          .isInstanceOf(DecisionSeal.Refused.class);
    }
  }

  @Test
  @DisplayName("a seal is refused for another method or path, when too old, with a changed actor, or from another CA's node")
  void refused() throws Exception {
    long now = System.currentTimeMillis();
    DecisionSeal good = wire(seal(nodeA, "alice", now));
    assertThatThrownBy(() -> good.verify(nodeB, "DELETE", "/authz/roles/viewer", now)).isInstanceOf(DecisionSeal.Refused.class);
    assertThatThrownBy(() -> good.verify(nodeB, "PUT", "/authz/roles/admin", now)).isInstanceOf(DecisionSeal.Refused.class);
    assertThatThrownBy(() -> good.verify(nodeB, "PUT", "/authz/roles/viewer", now + DecisionSeal.MAX_AGE_MS + 1))
        .isInstanceOf(DecisionSeal.Refused.class);
    JsonObject changed = good.toJson().put("actor", "system");
    assertThatThrownBy(() -> DecisionSeal.fromJson(changed).verify(nodeB, "PUT", "/authz/roles/viewer", now))
        .isInstanceOf(DecisionSeal.Refused.class).hasMessageContaining("signature");
    DecisionSeal foreign = wire(seal(stranger, "alice", now));
    assertThatThrownBy(() -> foreign.verify(nodeB, "PUT", "/authz/roles/viewer", now)).isInstanceOf(DecisionSeal.Refused.class)
        .hasMessageContaining("not trusted");
  }

  @Test
  @DisplayName("a seal with only an embedded key (no certificate) is refused by a secure node")
  void bareKeyRefusedBySecureNode() throws Exception {
    long now = System.currentTimeMillis();
    DecisionSeal bare = wire(seal(NodeIdentities.unauthenticated(), "system", now));
    assertThatThrownBy(() -> bare.verify(nodeB, "PUT", "/authz/roles/viewer", now)).isInstanceOf(DecisionSeal.Refused.class);
  }

  @Test
  @DisplayName("outside a cluster a node trusts only seals made with its own key")
  void localTrustsOnlyItself() throws Exception {
    long now = System.currentTimeMillis();
    NodeIdentity local = NodeIdentities.local();
    assertThatCode(() -> wire(seal(local, "alice", now)).verify(local, "PUT", "/authz/roles/viewer", now)).doesNotThrowAnyException();
    DecisionSeal other = wire(seal(NodeIdentities.local(), "alice", now));
    assertThatThrownBy(() -> other.verify(local, "PUT", "/authz/roles/viewer", now)).isInstanceOf(DecisionSeal.Refused.class);
    DecisionSeal fromNode = wire(seal(nodeA, "alice", now));
    assertThatThrownBy(() -> fromNode.verify(local, "PUT", "/authz/roles/viewer", now)).isInstanceOf(DecisionSeal.Refused.class);
  }

  @Test
  @DisplayName("a missing or malformed seal is refused, never another exception")
  void malformed() {
    for (Object raw : new Object[] {null, "seal", new JsonObject(), new JsonObject().put("decision_id", 1),
        new JsonObject().put("decision_id", "d").put("actor_kind", "jwt").put("method", "PUT").put("path", "/x")
            .put("issued_at", "soon").put("signature", "!!")}) {
      assertThatThrownBy(() -> DecisionSeal.fromJson(raw)).as(String.valueOf(raw)).isInstanceOf(DecisionSeal.Refused.class);
    }
  }
}
