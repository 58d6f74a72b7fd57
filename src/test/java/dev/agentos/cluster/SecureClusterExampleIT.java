package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.authn.TokenSigner;
import dev.agentos.testing.NodeProcess;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** conf/examples/secure-cluster.yaml, started with the commands in its header (ports moved off the defaults). */
@DisplayName("conf/examples/secure-cluster.yaml")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SecureClusterExampleIT {
  private static final String SECRET = "a-long-random-secret-of-32-bytes-or-more";

  @Test
  @DisplayName("two nodes made with cluster-credentials form one cluster: a role assigned through one is enforced by the other")
  void twoNodesAsDocumented() throws Exception {
    Path work = Files.createTempDirectory("agentos-secure-example");
    Path creds = work.resolve("creds");
    assertThat(tool(work, "cluster-credentials", "--out", creds.toString(), "--node", "node-1")).isZero();
    assertThat(tool(work, "cluster-credentials", "--ca", creds.resolve("ca").toString(), "--out", creds.toString(), "--node", "node-2")).isZero();
    try (TestDatabase db = TestDatabase.create()) {
      NodeProcess one = new NodeProcess("node-1", work);
      NodeProcess two = new NodeProcess("node-2", work);
      Path config = Path.of("conf/examples/secure-cluster.yaml").toAbsolutePath();
      try {
        // both at once, as the header's two commands with `&` do; each knows the other's member port
        one.start(config, "http,policy,storage,runtime", env(db, creds.resolve("node-1")), two);
        two.start(config, "http,policy,storage,runtime", env(db, creds.resolve("node-2")), one);
        one.awaitReady();
        two.awaitReady();
        String admin = hs("root", "agent_os:admin");
        String carol = hs("carol");
        assertThat(two.get("/agents", carol).statusCode()).isEqualTo(403);
        assertThat(one.send("PUT", "/authz/roles/viewer", admin, new JsonObject().put("scopes", new JsonArray().add("agents:read")))
            .statusCode()).isEqualTo(200);
        assertThat(one.send("PUT", "/authz/subjects/carol/roles", admin, new JsonObject().put("roles", new JsonArray().add("viewer")))
            .statusCode()).isEqualTo(200);
        // nodes started at the same moment may first form two clusters and merge (JGroups MERGE3, seconds later);
        // once they are one, node-2's policy verticle hears node-1's role change
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int status = 0;
        while (System.nanoTime() < deadline && status != 200) {
          status = two.get("/agents", carol).statusCode();
          Thread.sleep(50);
        }
        assertThat(status).as("node-2 enforces a role assigned through node-1\n" + one.log() + two.log()).isEqualTo(200);
        assertThat(one.log() + two.log()).containsPattern("cluster members now \\[[^\\]]+, [^\\]]+\\]");
        JsonArray audit = new JsonObject(one.get("/authz/audit", admin).body()).getJsonArray("data");
        assertThat(audit.getJsonObject(0).getString("actor")).as("the actor is the admin the decision was about").isEqualTo("root");
      } finally {
        one.kill();
        two.kill();
      }
    }
  }

  private static Map<String, String> env(TestDatabase db, Path credentials) {
    Map<String, String> env = new HashMap<>();
    env.put("JWT_VERIFICATION_KEY", SECRET);
    env.put("AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR", credentials.toString());
    env.put("AGENTOS_STORAGE_POSTGRES_HOST", db.host());
    env.put("AGENTOS_STORAGE_POSTGRES_PORT", String.valueOf(db.port()));
    env.put("AGENTOS_STORAGE_POSTGRES_DATABASE", db.name());
    env.put("AGENTOS_HTTP_HOST", "127.0.0.1");
    env.put("AGENTOS_LOGGING_ACCESS_LOG", "off");
    return env;
  }

  private static String hs(String sub, String... scopes) {
    return TokenSigner.sign("HS256", TokenSigner.hmacKey(SECRET), Optional.empty(), Tokens.claims(sub, scopes));
  }

  private static int tool(Path dir, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("java", "-jar", NodeProcess.JAR.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }
}
