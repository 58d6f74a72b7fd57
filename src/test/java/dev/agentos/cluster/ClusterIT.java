package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.NodeProcess;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes in three JVMs (the runnable jar) on one secure cluster (mutual TLS, TCP member list) on 127.0.0.1, sharing one
 * database. A is HTTP-only; B runs policy and storage (no HTTP); C runs everything. The tests run in order
 * because they walk one cluster through its life: A served by B, C joining, C leaving, B dying, B back.
 */
@DisplayName("A cluster of three JVMs")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClusterIT {
  private static TestDatabase db;
  private static Path workDir;
  private static NodeProcess a;
  private static NodeProcess b;
  private static NodeProcess c;
  private static final List<NodeProcess> started = new ArrayList<>();
  private static Path config;

  private static final String READER = Tokens.hs256("alice", "agents:read", "sessions:read");
  private static final String ADMIN = Tokens.admin();

  @BeforeAll
  static void startAandB() throws Exception {
    db = TestDatabase.create();
    workDir = Files.createTempDirectory("agentos-cluster");
    // the cluster runs secure, as in production: mutual TLS from one CA, settings agreed at join
    Path ca = workDir.resolve("ca");
    CredentialsIssuer.createCa(ca, "it", Duration.ofDays(30));
    config = writeConfig();
    a = node("a", ca);
    b = node("b", ca);
    c = node("c", ca);
    start(b, "policy,storage", a, c);
    start(a, "http", b, c);
    a.awaitReady();
  }

  @AfterAll
  static void stopAll() throws Exception {
    for (NodeProcess n : started) n.kill();
    if (db != null) db.close();
  }

  @Test
  @Order(1)
  @DisplayName("a request to an HTTP-only node is decided by the policy verticle of another node")
  void httpOnlyNodeAsksRemotePolicy() throws Exception {
    assertThat(a.log()).contains("verticles [http]");
    // B is the only node with a policy verticle: every decision A gets comes from B.
    assertThat(a.get("/agents", READER).statusCode()).isEqualTo(200);
    HttpResponse<String> denied = a.get("/agents", Tokens.hs256("alice", "sessions:read"));
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.headers().firstValue("X-Decision-Id")).isPresent();
    // storage is remote too: an isolated listing answers from B's pool
    assertThat(a.get("/sessions", READER).statusCode()).isEqualTo(200);
    JsonObject ready = new JsonObject(a.get("/ready", null).body());
    assertThat(ready.getJsonObject("checks").getMap()).containsEntry("policy", "up").containsEntry("storage", "up");
  }

  @Test
  @Order(2)
  @DisplayName("a joining node causes no errors elsewhere, and a managed-role change made through node A is enforced on node C within one second")
  void roleChangeReachesOtherNodes() throws Exception {
    start(c, "http,policy,storage,runtime", a, b);
    // while C joins, A keeps being served: C's policy and storage verticles take requests only once they can answer
    Map<Integer, Integer> duringJoin = new HashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    boolean cReady = false;
    while (!cReady && System.nanoTime() < deadline) {
      duringJoin.merge(a.get("/agents", READER).statusCode(), 1, Integer::sum);
      duringJoin.merge(a.get("/sessions", READER).statusCode(), 1, Integer::sum);
      try {
        cReady = c.get("/ready", null).statusCode() == 200;
      } catch (IOException notListeningYet) {
        // C's HTTP server is not up yet
      }
    }
    c.awaitReady();
    assertThat(duringJoin.keySet()).as("A's answers while C joined: " + duringJoin).containsOnly(200);
    String carol = Tokens.hs256("carol"); // no scopes: only a managed role can let her in
    assertThat(c.get("/agents", carol).statusCode()).isEqualTo(403);

    assertThat(a.send("PUT", "/authz/roles/agent-viewer", ADMIN,
        new JsonObject().put("scopes", new JsonArray().add("agents:read"))).statusCode()).isEqualTo(200);
    HttpResponse<String> assigned = a.send("PUT", "/authz/subjects/carol/roles", ADMIN,
        new JsonObject().put("roles", new JsonArray().add("agent-viewer")));
    assertThat(assigned.statusCode()).isEqualTo(200);
    long allowedAfterMs = awaitStatus(c, "/agents", carol, 200, Duration.ofSeconds(1));
    assertThat(allowedAfterMs).as("ms until C enforces the new assignment").isLessThan(1000);
    System.out.printf("[cluster] role assigned through A: enforced on C after %d ms%n", allowedAfterMs);
    // both policy verticles (B and C) now agree: requests are spread over them
    for (int i = 0; i < 10; i++) assertThat(c.get("/agents", carol).statusCode()).isEqualTo(200);

    assertThat(a.send("PUT", "/authz/subjects/carol/roles", ADMIN, new JsonObject().put("roles", new JsonArray()))
        .statusCode()).isEqualTo(200);
    long revokedAfterMs = awaitStatus(c, "/agents", carol, 403, Duration.ofSeconds(1));
    assertThat(revokedAfterMs).isLessThan(1000);
    System.out.printf("[cluster] role unassigned through A: enforced on C after %d ms%n", revokedAfterMs);
    for (int i = 0; i < 10; i++) assertThat(c.get("/agents", carol).statusCode()).isEqualTo(403);
  }

  @Test
  @Order(3)
  @DisplayName("a user disabled through node A gets 401 on node C within one second, and so do the service accounts they minted")
  void killSwitchReachesOtherNodes() throws Exception {
    String dave = Tokens.hs256("dave", "agents:read", "service_accounts:write");
    HttpResponse<String> minted = a.send("POST", "/service-accounts", dave, new JsonObject().put("name", "dave-bot")
        .put("scopes", new JsonArray().add("agents:read")));
    assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
    String bot = new JsonObject(minted.body()).getString("token");
    assertThat(c.get("/agents", dave).statusCode()).isEqualTo(200);
    assertThat(c.get("/agents", bot).statusCode()).isEqualTo(200);

    assertThat(a.send("PATCH", "/users/dave", ADMIN, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(200);
    long userRefusedMs = awaitStatus(c, "/agents", dave, 401, Duration.ofSeconds(1));
    long botRefusedMs = awaitStatus(c, "/agents", bot, 401, Duration.ofSeconds(1));
    System.out.printf("[cluster] user disabled through A: refused on C after %d ms, their service account after %d ms more%n",
        userRefusedMs, botRefusedMs);
    // both policy verticles (B and C) refuse: requests are spread over them
    for (int i = 0; i < 10; i++) {
      assertThat(c.get("/agents", dave).statusCode()).isEqualTo(401);
      assertThat(a.get("/agents", bot).statusCode()).isEqualTo(401);
    }
    assertThat(new JsonObject(c.get("/agents", dave).body()).getString("detail")).isEqualTo("User is disabled");

    assertThat(a.send("PATCH", "/users/dave", ADMIN, new JsonObject().put("disabled", false)).statusCode()).isEqualTo(200);
    awaitStatus(c, "/agents", dave, 200, Duration.ofSeconds(1));
    awaitStatus(c, "/agents", bot, 200, Duration.ofSeconds(1));
  }

  @Test
  @Order(4)
  @DisplayName("SIGTERM: the node stops being ready, leaves the cluster and exits 0, while the others keep serving")
  void sigtermLeavesGracefully() throws Exception {
    c.process.destroy(); // SIGTERM
    assertThat(c.process.waitFor(40, TimeUnit.SECONDS)).as("C exits within the drain bound").isTrue();
    assertThat(c.process.exitValue()).isIn(0, 143);
    System.out.printf("[cluster] SIGTERM: C exited %d%n", c.process.exitValue());
    assertThat(c.log()).contains("draining").contains("left the cluster");
    // A still has B's policy verticle
    assertThat(awaitStatus(a, "/agents", READER, 200, Duration.ofSeconds(15))).isLessThan(15_000);
  }

  @Test
  @Order(5)
  @DisplayName("with the only policy node killed (kill -9) the HTTP node answers 503, never 200, and recovers when a policy verticle is back")
  void policyNodeKilled() throws Exception {
    b.process.destroyForcibly(); // SIGKILL: no goodbye to the cluster
    assertThat(b.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    Map<Integer, Integer> statuses = new HashMap<>();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    while (System.nanoTime() < until) {
      statuses.merge(a.get("/agents", READER).statusCode(), 1, Integer::sum);
      statuses.merge(a.get("/sessions", READER).statusCode(), 1, Integer::sum);
    }
    assertThat(statuses.keySet()).as("statuses while no policy verticle is reachable: " + statuses).containsOnly(503);
    assertThat(new JsonObject(a.get("/agents", READER).body()).getString("detail")).isEqualTo("Authorization service unavailable");
    assertThat(a.get("/ready", null).statusCode()).isEqualTo(503);
    assertThat(a.get("/health", null).statusCode()).as("liveness does not depend on other nodes").isEqualTo(200);

    start(b, "policy,storage", a, c);
    long recoveredAfterMs = awaitStatus(a, "/agents", READER, 200, Duration.ofSeconds(60));
    assertThat(recoveredAfterMs).isLessThan(60_000);
    System.out.printf("[cluster] policy node killed: %s on A while none was reachable; A allowed again %d ms after "
        + "the policy JVM was started again (JVM start and cluster join included)%n", statuses, recoveredAfterMs);
    for (int i = 0; i < 10; i++) assertThat(a.get("/agents", READER).statusCode()).isEqualTo(200);
  }

  /** Polls until the status is seen; returns the milliseconds it took, or fails after {@code within}. */
  private static long awaitStatus(NodeProcess node, String path, String token, int status, Duration within) throws Exception {
    long start = System.nanoTime();
    long deadline = start + within.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = node.get(path, token).statusCode();
      if (last == status) return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      Thread.sleep(20);
    }
    throw new AssertionError(node.name + path + " still answers " + last + " after " + within.toMillis() + " ms");
  }

  private static NodeProcess node(String name, Path ca) {
    CredentialsIssuer.issueNode(ca, workDir.resolve("credentials-" + name), name, Duration.ofDays(30));
    return new NodeProcess(name, workDir);
  }

  private static void start(NodeProcess node, String verticles, NodeProcess... others) throws IOException {
    node.start(config, verticles, Map.of("AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR",
        workDir.resolve("credentials-" + node.name).toString()), others);
    started.add(node);
  }

  private static Path writeConfig() throws IOException {
    Path path = workDir.resolve("config.yaml");
    Files.writeString(path, String.join("\n",
        "authorization:",
        "  algorithms: [HS256]",
        "  verification_keys: [\"" + Tokens.SECRET + "\"]",
        "  user_isolation: true",
        "  policy_timeout_ms: 1000",
        "storage:",
        "  postgres: " + db.postgresConfig().encode(), // JSON is YAML
        "agents:",
        "  - {id: assistant, name: Assistant, model: {provider: echo}}",
        "cluster:",
        "  enabled: true",
        "  name: it-" + ProcessHandle.current().pid(),
        "  member_timeout_seconds: 5",
        "logging:",
        "  access_log: \"off\"",
        ""));
    return path;
  }
}
