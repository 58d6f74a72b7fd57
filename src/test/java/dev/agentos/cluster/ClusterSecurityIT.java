package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.authn.ServiceAccountTokens;
import dev.agentos.contract.DecisionSeal;
import dev.agentos.testing.EventBusFrames;
import dev.agentos.testing.NodeProcess;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster tried as an attacker on its network would (issue: trusted cluster). Two secure nodes share one
 * database: A runs HTTP only, B runs policy, storage and runtime, so every answer A gives was decided and stored
 * over the mutual-TLS event bus. The attacks: raw event-bus frames, TLS without a certificate or with another
 * CA's, a rogue member with the cluster's name, a node with another registry; then a CA rotation under load.
 * A control first shows the same frames do take effect on a node that runs without security.
 */
@DisplayName("A secure cluster under attack from its own network")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterSecurityIT {
  private static final String STORAGE = "agentos.storage.v1";
  private static final List<String> TABLES = List.of("service_accounts", "roles", "subject_roles", "authz_audit", "sessions", "runs");
  private static final String READER = Tokens.hs256("alice", "agents:read", "sessions:read");
  private static final String ADMIN = Tokens.admin();

  private static TestDatabase db;
  private static Path work;
  private static Path ca1;
  private static NodeProcess a;
  private static NodeProcess b;
  private static final List<NodeProcess> started = new ArrayList<>();

  @BeforeAll
  static void startSecureCluster() throws Exception {
    db = TestDatabase.create();
    work = Files.createTempDirectory("agentos-cluster-security");
    ca1 = work.resolve("ca1");
    CredentialsIssuer.createCa(ca1, "sec", Duration.ofDays(30));
    Path config = writeConfig("secure.yaml", db, "sec-" + ProcessHandle.current().pid(), "echo", "  security: {reload_seconds: 1}");
    a = node("a");
    b = node("b");
    b.start(config, "policy,storage,runtime", credentials(ca1, "b"), a);
    a.start(config, "http", credentials(ca1, "a"), b);
    a.awaitReady();
    // alice has a session with one run: the data an attacker would read or write into
    HttpResponse<String> run = a.postForm("/agents/assistant/runs", Tokens.hs256("alice", "agents:run"),
        Map.of("message", "alice's first message", "stream", "false", "session_id", "alice-session"));
    assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
  }

  @AfterAll
  static void stopAll() throws Exception {
    for (NodeProcess n : started) n.kill();
    if (db != null) db.close();
  }

  @Test
  @Order(1)
  @DisplayName("control: on a node running without security the same raw frames create an admin account and write alice's data")
  void framesWorkWithoutSecurity() throws Exception {
    try (TestDatabase plainDb = TestDatabase.create()) {
      Path config = writeConfig("insecure.yaml", plainDb, "plain-" + ProcessHandle.current().pid(), "echo",
          "  security: {insecure: true}");
      NodeProcess x = node("x-insecure").start(config, "http,policy,storage,runtime", Map.of());
      x.awaitReady();
      assertThat(x.log()).contains("cluster.security.insecure is true");
      String stolen = ServiceAccountTokens.generate();
      for (byte[] frame : attackFrames(stolen)) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", x.eventBusPort)) {
          s.getOutputStream().write(frame);
          s.getOutputStream().flush();
          Thread.sleep(300);
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int status = 0;
      while (System.nanoTime() < deadline && status != 200) {
        status = x.get("/sessions?type=agent", stolen).statusCode();
        Thread.sleep(100);
      }
      assertThat(status).as("the forged admin account works on the insecure node").isEqualTo(200);
      assertThat(count(plainDb, "SELECT count(*) FROM sessions WHERE user_id = 'alice' AND session_id = 'planted'"))
          .as("a session planted as alice").isEqualTo(1);
      x.kill();
    }
  }

  @Test
  @Order(2)
  @DisplayName("(a) raw plaintext frames to every cluster port of both nodes change nothing, and each connection is closed")
  void plaintextFramesRefused() throws Exception {
    Map<String, String> before = fingerprints(db);
    String stolen = ServiceAccountTokens.generate();
    for (NodeProcess n : List.of(a, b)) {
      for (int port : List.of(n.eventBusPort, n.clusterPort)) {
        for (byte[] frame : attackFrames(stolen)) {
          assertThat(EventBusFrames.writeAndExpectClose(port, frame, 5_000)).as(n.name + " port " + port + " closes").isTrue();
        }
      }
    }
    Thread.sleep(500);
    assertThat(fingerprints(db)).as("service accounts, roles, sessions, runs, chat history").isEqualTo(before);
    assertThat(a.get("/sessions?type=agent", stolen).statusCode()).isEqualTo(401);
    assertThat(b.log()).contains("refused event-bus connection from 127.0.0.1").contains("refused membership connection from");
    assertThat(refusals(a, "event_bus", "not_tls")).isPositive();
    assertThat(refusals(a, "membership", "not_tls")).isPositive();
  }

  @Test
  @Order(3)
  @DisplayName("(b) a TLS client without a certificate, or with one from another CA, is refused on every cluster port")
  void tlsWithoutTheClusterCertificateRefused() throws Exception {
    Path otherCa = work.resolve("other-ca");
    CredentialsIssuer.createCa(otherCa, "sec", Duration.ofDays(30));
    CredentialsIssuer.issueNode(otherCa, work.resolve("other-node"), "evil", Duration.ofDays(30));
    Map<String, String> before = fingerprints(db);
    Map<String, SSLContext> clients = new LinkedHashMap<>();
    clients.put("no certificate", trustingClient(null));
    clients.put("another CA's certificate", trustingClient(work.resolve("other-node")));
    byte[] frame = attackFrames(ServiceAccountTokens.generate()).get(0);
    for (Map.Entry<String, SSLContext> client : clients.entrySet()) {
      for (NodeProcess n : List.of(a, b)) {
        for (int port : List.of(n.eventBusPort, n.clusterPort)) {
          assertThat(tlsRefused(port, client.getValue(), frame)).as(client.getKey() + " to " + n.name + ":" + port).isTrue();
        }
      }
    }
    Thread.sleep(500);
    assertThat(fingerprints(db)).isEqualTo(before);
    assertThat(refusals(a, "event_bus", "no_certificate")).isPositive();
    assertThat(refusals(a, "event_bus", "untrusted_certificate")).as(refusalLines(a)).isPositive();
    assertThat(refusals(a, "membership", "no_certificate")).isPositive();
    assertThat(refusals(a, "membership", "untrusted_certificate")).isPositive();
    // the cluster's own certificate does get through the handshake: the refusals above are about trust
    assertThat(tlsRefused(a.eventBusPort, trustingClient(work.resolve("a")), null)).isFalse();
  }

  @Test
  @Order(4)
  @DisplayName("(c) a rogue node with the cluster's name but another CA's credentials never joins, and none of 300 decisions comes from it")
  void rogueMemberNeverDecides() throws Exception {
    Path rogueCa = work.resolve("rogue-ca");
    CredentialsIssuer.createCa(rogueCa, "sec", Duration.ofDays(30));
    // same cluster name; RBAC off, so if it ever decided, a token without scopes would be allowed
    Path config = writeConfig("rogue.yaml", db, "sec-" + ProcessHandle.current().pid(), "echo",
        "  security: {reload_seconds: 1}", "authorization:\n  enabled: false");
    NodeProcess rogue = node("rogue").start(config, "policy,storage", credentials(rogueCa, "rogue"), a, b);
    rogue.awaitLog("cluster node 'sec-", Duration.ofSeconds(60));
    String mallory = Tokens.hs256("mallory");
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    for (int i = 0; i < 300; i++) statuses.merge(a.get("/agents", mallory).statusCode(), 1, Integer::sum);
    assertThat(statuses).as("every decision came from B").containsOnlyKeys(403);
    assertThat(rogue.log()).as("the rogue found nobody who would talk to it").contains("creating cluster as coordinator");
    assertThat(refusals(a, "membership", "untrusted_certificate") + refusals(a, "membership", "no_certificate")).isPositive();
    System.out.printf("[cluster-security] rogue member: %s for 300 requests while it ran%n", statuses);
    rogue.kill();
  }

  @Test
  @Order(5)
  @DisplayName("(d) a node with valid credentials but another registry is refused, and both sides name the registry")
  void differentRegistryRefused() throws Exception {
    Path config = writeConfig("other-registry.yaml", db, "sec-" + ProcessHandle.current().pid(), "openai",
        "  security: {reload_seconds: 1}");
    NodeProcess other = node("c-other-registry").start(config, "policy,storage,runtime", credentials(ca1, "c"), a, b);
    assertThat(other.process.waitFor(60, TimeUnit.SECONDS)).as("the refused node exits").isTrue();
    assertThat(other.process.exitValue()).isEqualTo(2);
    assertThat(other.log()).contains("refused by the cluster").contains("registry settings differ");
    // the cluster's coordinator (whichever of A and B it is) refused it, in one line naming the section
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    String line = "settings_differ (its registry settings differ from this cluster's)";
    while (!a.log().contains(line) && !b.log().contains(line)) {
      if (System.nanoTime() > deadline) throw new AssertionError("no coordinator logged the refusal:\n" + a.log() + b.log());
      Thread.sleep(100);
    }
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> run = a.postForm("/agents/assistant/runs", Tokens.hs256("alice", "agents:run"),
          Map.of("message", "run " + i, "stream", "false"));
      assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
      assertThat(new JsonObject(run.body()).getString("content")).as("answered by B's echo model").isEqualTo("run " + i);
    }
    assertThat(new JsonObject(a.get("/agents/assistant", READER).body()).getJsonObject("model").getString("provider")).isEqualTo("echo");
  }

  @Test
  @Order(6)
  @DisplayName("(e) rotating the CA and both nodes' credentials under load fails no request; a node trusting only the new CA joins")
  void rotationUnderLoad() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    List<Thread> load = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Thread thread = new Thread(() -> {
        while (running.get()) {
          int status;
          try {
            status = a.get("/agents", READER).statusCode();
          } catch (Exception e) {
            status = -1;
          }
          statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
        }
      });
      thread.start();
      load.add(thread);
    }
    try {
      Path ca2 = work.resolve("ca2");
      CredentialsIssuer.createCa(ca2, "sec", Duration.ofDays(30));
      String bundle = Files.readString(ca1.resolve("ca.pem")) + Files.readString(ca2.resolve("ca.pem"));
      // 1. both nodes trust old and new CA
      for (NodeProcess n : List.of(a, b)) replace(work.resolve(n.name), "ca.pem", bundle);
      awaitReloads(2);
      // 2. both get certificates from the new CA (the bundle in their directory carries over)
      Files.writeString(ca2.resolve("bundle.pem"), bundle);
      for (NodeProcess n : List.of(a, b)) rotateNode(ca2, n.name, bundle);
      awaitReloads(4);
      // 3. a node that trusts only the new CA joins: A and B now present new-CA certificates on new connections
      Path dOnly = work.resolve("d");
      CredentialsIssuer.issueNode(ca2, dOnly, "d", Duration.ofDays(30));
      Path config = work.resolve("secure.yaml");
      NodeProcess d = node("d").start(config, "http", Map.of("AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR", dOnly.toString()), a, b);
      d.awaitReady();
      assertThat(d.get("/agents", READER).statusCode()).isEqualTo(200);
      // 4. the old CA is dropped everywhere
      for (NodeProcess n : List.of(a, b)) replace(work.resolve(n.name), "ca.pem", Files.readString(ca2.resolve("ca.pem")));
      awaitReloads(6);
      Thread.sleep(1_000);
      d.kill();
    } finally {
      running.set(false);
      for (Thread thread : load) thread.join(10_000);
    }
    Map<Integer, Integer> seen = new java.util.TreeMap<>();
    statuses.forEach((k, v) -> seen.put(k, v.get()));
    System.out.printf("[cluster-security] statuses on A during the CA rotation: %s%n", seen);
    assertThat(seen).as("no request failed during the rotation").containsOnlyKeys(200);
    assertThat(seen.get(200)).isGreaterThan(50);
  }

  // ---- set-up ------------------------------------------------------------------------------------------

  private static NodeProcess node(String name) {
    NodeProcess n = new NodeProcess(name, work);
    started.add(n);
    return n;
  }

  /** Issues {@code name}'s credentials from {@code ca} into {@code work/name} and returns the env pointing at them. */
  private static Map<String, String> credentials(Path ca, String name) {
    CredentialsIssuer.issueNode(ca, work.resolve(name), name, Duration.ofDays(30));
    return Map.of("AGENTOS_CLUSTER_SECURITY_CREDENTIALS_DIR", work.resolve(name).toString());
  }

  private static Path writeConfig(String file, TestDatabase database, String clusterName, String provider,
                                  String securityLine, String... extra) throws Exception {
    String model = provider.equals("echo") ? "{provider: echo}" : "{provider: openai, id: other-model, base_url: \"http://127.0.0.1:9\"}";
    List<String> lines = new ArrayList<>(List.of(
        extra.length > 0 ? extra[0] : "authorization:",
        "  algorithms: [HS256]",
        "  verification_keys: [\"" + Tokens.SECRET + "\"]",
        "  user_isolation: true",
        "  policy_timeout_ms: 1000",
        "storage:",
        "  postgres: " + database.postgresConfig().encode(),
        "agents:",
        "  - {id: assistant, name: Assistant, model: " + model + "}",
        "cluster:",
        "  enabled: true",
        "  name: " + clusterName,
        "  member_timeout_seconds: 5",
        securityLine,
        "logging:",
        "  access_log: \"off\"",
        ""));
    Path path = work.resolve(file);
    Files.writeString(path, String.join("\n", lines));
    return path;
  }

  // ---- the attacks -------------------------------------------------------------------------------------

  /** Frames that, accepted, would mint an admin account, make a role admin, and write into alice's data. */
  private static List<byte[]> attackFrames(String stolenToken) {
    long now = System.currentTimeMillis();
    var forger = NodeIdentities.unauthenticated();
    JsonObject mint = new JsonObject().put("name", "rogue-" + Long.toHexString(now)).put("token_hash", ServiceAccountTokens.hash(stolenToken))
        .put("token_prefix", ServiceAccountTokens.displayPrefix(stolenToken)).put("scopes", new JsonArray().add("agent_os:admin"))
        .putNull("expires_at").put("seal", DecisionSeal.issue(forger, "forged", Optional.of("system"), "jwt", "POST",
            "/service-accounts", now).toJson());
    JsonObject role = new JsonObject().put("name", "viewer").put("scopes", new JsonArray().add("agent_os:admin"))
        .put("deny", new JsonArray()).put("seal", DecisionSeal.issue(forger, "forged", Optional.of("system"), "jwt", "PUT",
            "/authz/roles/viewer", now).toJson());
    JsonObject assign = new JsonObject().put("subject", "mallory").put("roles", new JsonArray().add("administrator"))
        .put("seal", DecisionSeal.issue(forger, "forged", Optional.of("system"), "jwt", "PUT",
            "/authz/subjects/mallory/roles", now).toJson());
    JsonObject planted = new JsonObject().put("owner", "alice").put("session_id", "planted").put("session_type", "agent")
        .put("component_id", "assistant");
    return List.of(
        EventBusFrames.send(STORAGE, Map.of("action", "service_accounts.create"), mint),
        EventBusFrames.send(STORAGE, Map.of("action", "roles.put"), role),
        EventBusFrames.send(STORAGE, Map.of("action", "roles.assign"), assign),
        EventBusFrames.send(STORAGE, Map.of("action", "sessions.create"), planted));
  }

  /** A TLS 1.3 client that trusts any server (so only the server's refusal counts), with the given credentials. */
  private static SSLContext trustingClient(Path credentialsDir) throws Exception {
    javax.net.ssl.KeyManager[] keys = null;
    if (credentialsDir != null) {
      ClusterCredentials c = ClusterCredentials.load(credentialsDir);
      // an attacker sends its certificate even when the server's list of accepted CAs does not name its issuer
      // (the JDK's own client would then send none)
      keys = new javax.net.ssl.KeyManager[] {new javax.net.ssl.X509ExtendedKeyManager() {
        @Override public String[] getClientAliases(String t, java.security.Principal[] i) { return new String[] {"k"}; }
        @Override public String chooseClientAlias(String[] t, java.security.Principal[] i, java.net.Socket s) { return "k"; }
        @Override public String chooseEngineClientAlias(String[] t, java.security.Principal[] i, javax.net.ssl.SSLEngine e) { return "k"; }
        @Override public String[] getServerAliases(String t, java.security.Principal[] i) { return null; }
        @Override public String chooseServerAlias(String t, java.security.Principal[] i, java.net.Socket s) { return null; }
        @Override public X509Certificate[] getCertificateChain(String alias) { return c.chain().toArray(new X509Certificate[0]); }
        @Override public java.security.PrivateKey getPrivateKey(String alias) { return c.key(); }
      }};
    }
    TrustManager trustAll = new X509TrustManager() {
      @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }
      @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { }
      @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    };
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(keys, new TrustManager[] {trustAll}, null);
    return context;
  }

  /**
   * True if the server refuses the client: the handshake fails, or (TLS 1.3, where a client finishes before the
   * server has checked its certificate) the first read after writing {@code frame} ends in an alert or close.
   */
  private static boolean tlsRefused(int port, SSLContext context, byte[] frame) throws Exception {
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      socket.startHandshake();
      if (frame != null) {
        socket.getOutputStream().write(frame);
        socket.getOutputStream().flush();
        return socket.getInputStream().read() < 0;
      }
      // no frame: a healthy handshake stays open until we close it
      try {
        socket.setSoTimeout(500);
        return socket.getInputStream().read() < 0;
      } catch (java.net.SocketTimeoutException stillOpen) {
        return false;
      }
    } catch (javax.net.ssl.SSLException | java.net.SocketException e) {
      return true;
    }
  }

  // ---- observations ------------------------------------------------------------------------------------

  private static Map<String, String> fingerprints(TestDatabase database) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    try (Connection c = database.connect(); Statement st = c.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM "
            + table + " t")) {
          rs.next();
          out.put(table, rs.getString(1));
        }
      }
    }
    return out;
  }

  private static long count(TestDatabase database, String sql) throws Exception {
    try (Connection c = database.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The refusal counter of {@code node} for one layer and reason, read from its /metrics. */
  private static double refusals(NodeProcess node, String layer, String reason) throws Exception {
    String metrics = node.get("/metrics", ADMIN).body();
    String prefix = "agentos_cluster_refused_connections_total{layer=\"" + layer + "\",reason=\"" + reason + "\"} ";
    return metrics.lines().filter(l -> l.startsWith(prefix)).mapToDouble(l -> Double.parseDouble(l.substring(prefix.length())))
        .sum();
  }

  private static String refusalLines(NodeProcess node) throws Exception {
    return String.join("\n", node.get("/metrics", ADMIN).body().lines().filter(l -> l.startsWith("agentos_cluster_refused")).toList());
  }

  private static void replace(Path dir, String file, String content) throws Exception {
    Path tmp = Files.createTempFile(dir, ".rotate", ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** New key and certificate for {@code name} from {@code ca}, written over the node's files (bundle kept). */
  private static void rotateNode(Path ca, String name, String bundle) throws Exception {
    Path staging = work.resolve(name + "-next");
    Path caWithBundle = work.resolve("ca2-issuing");
    Files.createDirectories(caWithBundle);
    Files.writeString(caWithBundle.resolve("ca.pem"), bundle);
    Files.copy(ca.resolve("ca-key.pem"), caWithBundle.resolve("ca-key.pem"), StandardCopyOption.REPLACE_EXISTING);
    CredentialsIssuer.issueNode(caWithBundle, staging, name, Duration.ofDays(30));
    replace(work.resolve(name), "node-key.pem", Files.readString(staging.resolve("node-key.pem")));
    replace(work.resolve(name), "node.pem", Files.readString(staging.resolve("node.pem")));
  }

  /** Waits until A and B together have logged {@code total} credential reloads. */
  private static void awaitReloads(int total) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int seen = 0;
    while (System.nanoTime() < deadline) {
      seen = countOf(a.log(), "cluster credentials reloaded") + countOf(b.log(), "cluster credentials reloaded");
      if (seen >= total) return;
      Thread.sleep(100);
    }
    throw new AssertionError("only " + seen + " credential reloads after 20 s (wanted " + total + ")\n" + b.log());
  }

  private static int countOf(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) n++;
    return n;
  }
}
