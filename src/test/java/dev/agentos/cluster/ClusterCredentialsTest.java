package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.cluster.impl.ClusterTls;
import dev.agentos.cluster.impl.PeerAudit;
import dev.agentos.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Cluster credentials: issued, loaded, checked and reloaded")
class ClusterCredentialsTest {
  @TempDir Path dir;

  private Path ca(String name) {
    Path ca = dir.resolve(name);
    CredentialsIssuer.createCa(ca, "test", Duration.ofDays(10));
    return ca;
  }

  private Path node(Path ca, String name) {
    Path node = dir.resolve(name);
    CredentialsIssuer.issueNode(ca, node, name, Duration.ofDays(10));
    return node;
  }

  @Test
  @DisplayName("a node's credentials load, are private (0600 in 0700) and never include the CA's key")
  void issuedCredentialsLoad() throws Exception {
    Path node = node(ca("ca"), "n1");
    ClusterCredentials c = ClusterCredentials.load(node);
    assertThat(c.certificate().getSubjectX500Principal().getName()).contains("CN=n1").contains("OU=" + CredentialsIssuer.NODE_UNIT);
    assertThat(c.chain()).hasSize(2);
    assertThat(Files.exists(node.resolve(ClusterCredentials.CA_KEY_FILE))).isFalse();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(node))).isEqualTo("rwx------");
    for (String f : new String[] {"ca.pem", "node.pem", "node-key.pem"}) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve(f)))).as(f).isEqualTo("rw-------");
    }
  }

  @Test
  @DisplayName("a key that belongs to another node's certificate is refused, naming the key file")
  void mismatchedKey() throws Exception {
    Path ca = ca("ca");
    Path n1 = node(ca, "n1");
    Path n2 = node(ca, "n2");
    Files.copy(n2.resolve("node-key.pem"), n1.resolve("node-key.pem"), StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> ClusterCredentials.load(n1)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("node-key.pem").hasMessageContaining("does not belong");
  }

  @Test
  @DisplayName("a certificate from a CA outside the node's bundle is refused (its peers would refuse it too)")
  void foreignCertificate() throws Exception {
    Path n1 = node(ca("ca"), "n1");
    Files.copy(ca("other").resolve("ca.pem"), n1.resolve("ca.pem"), StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> ClusterCredentials.load(n1)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("not issued by a CA in");
  }

  @Test
  @DisplayName("a bundle of an old and a new CA accepts a node certificate from either")
  void bundleOfTwoCas() throws Exception {
    Path oldCa = ca("old");
    Path newCa = ca("new");
    String bundle = Files.readString(oldCa.resolve("ca.pem")) + Files.readString(newCa.resolve("ca.pem"));
    for (Path node : new Path[] {node(oldCa, "from-old"), node(newCa, "from-new")}) {
      Files.writeString(node.resolve("ca.pem"), bundle);
      assertThat(ClusterCredentials.load(node).trustedCas()).hasSize(2);
    }
  }

  @Test
  @DisplayName("a leaf certificate in the CA bundle is refused: only CAs may be trusted")
  void leafInBundle() throws Exception {
    Path n1 = node(ca("ca"), "n1");
    Files.writeString(n1.resolve("ca.pem"), Files.readString(n1.resolve("ca.pem")) + Files.readString(n1.resolve("node.pem")));
    assertThatThrownBy(() -> ClusterCredentials.load(n1)).isInstanceOf(ConfigException.class).hasMessageContaining("not a CA certificate");
  }

  @Test
  @DisplayName("missing files name the directory and the tool that makes them")
  void missingFiles() {
    assertThatThrownBy(() -> ClusterCredentials.load(dir.resolve("nowhere"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("no such directory");
    assertThatThrownBy(() -> ClusterCredentials.load(dir)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("cluster-credentials");
  }

  @Test
  @DisplayName("reloading: unchanged files are not reloaded, new ones are, and unusable ones leave the old in use")
  void reload() throws Exception {
    Path ca = ca("ca");
    Path n1 = node(ca, "n1");
    ClusterTls tls = ClusterTls.load(n1, new PeerAudit());
    String first = tls.credentials().fingerprint();
    assertThat(tls.reloadIfChanged()).isFalse();
    Path next = node(ca, "n1-next");
    // half a rotation: the new key with the old certificate
    Files.copy(next.resolve("node-key.pem"), n1.resolve("node-key.pem"), StandardCopyOption.REPLACE_EXISTING);
    assertThat(tls.reloadIfChanged()).as("a key that does not match is not taken").isFalse();
    assertThat(tls.credentials().fingerprint()).isEqualTo(first);
    Files.copy(next.resolve("node.pem"), n1.resolve("node.pem"), StandardCopyOption.REPLACE_EXISTING);
    assertThat(tls.reloadIfChanged()).isTrue();
    assertThat(tls.credentials().fingerprint()).isNotEqualTo(first);
    String alias = tls.keyManager().chooseServerAlias("EC", null, null);
    assertThat(tls.keyManager().getCertificateChain(alias)[0]).as("the same manager now hands out the new certificate")
        .isEqualTo(ClusterCredentials.load(n1).certificate());
  }

  @Test
  @DisplayName("the command line writes a CA and a node, refuses to overwrite a CA, and issues more nodes from it")
  void commandLine() throws Exception {
    Path out = dir.resolve("cli");
    assertThat(run("cluster-credentials", "--out", out.toString(), "--node", "first")).isZero();
    assertThat(ClusterCredentials.load(out.resolve("first")).certificate().getSubjectX500Principal().getName()).contains("CN=first");
    assertThat(run("cluster-credentials", "--out", out.toString())).as("a second CA over the first").isEqualTo(2);
    assertThat(run("cluster-credentials", "--ca", out.resolve("ca").toString(), "--out", out.toString(), "--node", "second")).isZero();
    assertThat(ClusterCredentials.load(out.resolve("second")).trustedCas())
        .isEqualTo(ClusterCredentials.load(out.resolve("first")).trustedCas());
    assertThat(run("cluster-credentials", "--out", out.toString(), "--node", "../escape")).isEqualTo(2);
  }

  private static int run(String... args) {
    return new picocli.CommandLine(new dev.agentos.Main()).execute(args);
  }
}
