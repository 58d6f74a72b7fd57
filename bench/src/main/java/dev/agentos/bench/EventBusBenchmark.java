package dev.agentos.bench;

import dev.agentos.AgentOsServer;
import dev.agentos.contract.Principal;
import dev.agentos.cluster.ClusterNode;
import dev.agentos.cluster.CredentialsIssuer;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.contract.Decision;
import dev.agentos.contract.PolicyApi;
import dev.agentos.policy.PolicyClient;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The round trip of one {@code authorize} request over the event bus, as any verticle (or another JVM's
 * verticle) pays it through {@link PolicyClient}: send, decide, reply, resume the caller.
 * <ul>
 *   <li>{@code local}: a whole node (storage + policy + runtime + HTTP) in this JVM; the caller is a JMH
 *       thread, so each call crosses to an event loop and back.</li>
 *   <li>{@code clustered-insecure}: this JVM joins a cluster with no verticles of its own; a second JVM
 *       ({@code target/agentos.jar}, placement {@code [policy, storage]}) decides. No authentication
 *       ({@code cluster.security.insecure}): plain TCP for membership and event bus.</li>
 *   <li>{@code clustered-tls}: the same, with both JVMs holding credentials from one cluster CA: mutual TLS 1.3
 *       on the event bus and the membership layer (the production setting).</li>
 * </ul>
 * Needs PostgreSQL (PGHOST/PGPORT/PGDATABASE/PGUSER, default 127.0.0.1:5432 test postgres): the policy
 * verticle loads roles from storage before it answers.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
public class EventBusBenchmark {
  private static final String SECRET = "event-bus-benchmark-secret-of-32-bytes!";

  @Param({"local", "clustered-insecure", "clustered-tls"})
  public String topology;

  /**
   * {@code typed}: the contract's records through their codecs (by reference in one JVM); {@code json}: the same
   * request as its JSON form, which the policy verticle also accepts and answers in kind (Vert.x copies a
   * JsonObject on every local send): the cost the typed contract removes, measured side by side.
   * {@code typed} goes through PolicyClient, which asks a policy instance on the caller's own event loop when there
   * is one; {@code typed-shared} and {@code json} send to the shared address (any instance, usually another loop).
   */
  @Param({"typed", "typed-shared", "json"})
  public String wire;

  /** Requests chained one after another on an event loop per invocation of {@link #authorizeFromEventLoop}. */
  private static final int CHAINED = 64;

  private Vertx vertx;
  private ClusterNode node;
  private AgentOsServer server;
  private Process remote;
  private PolicyClient client;
  private io.vertx.core.Context context;
  private Principal principal;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    principal = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("agents:a7:run", "sessions:read"), List.of(),
        Optional.empty(), new JsonObject(), 0);
    JsonObject pg = new JsonObject().put("host", env("PGHOST", "127.0.0.1")).put("port", Integer.parseInt(env("PGPORT", "5432")))
        .put("database", env("PGDATABASE", "test")).put("user", env("PGUSER", "postgres"));
    if ("local".equals(topology)) {
      AgentOsConfig config = ConfigLoader.fromJson(new JsonObject()
          .put("http", new JsonObject().put("host", "127.0.0.1").put("port", freePort()))
          .put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
              .put("verification_keys", new JsonArray().add(SECRET)))
          .put("storage", new JsonObject().put("postgres", pg))
          .put("logging", new JsonObject().put("access_log", "off").put("level", "WARN")), Map.of());
      vertx = Vertx.vertx();
      server = AgentOsServer.start(vertx, config, "bench").toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } else {
      int remoteMember = freePort();
      int remoteBus = freePort();
      int ownMember = freePort();
      int ownBus = freePort();
      String clusterName = "bench-" + ProcessHandle.current().pid();
      boolean tls = "clustered-tls".equals(topology);
      JsonObject security = new JsonObject().put("insecure", true);
      Path credentials = Files.createTempDirectory("agentos-bench-credentials");
      if (tls) {
        CredentialsIssuer.createCa(credentials.resolve("ca"), clusterName, Duration.ofDays(1));
        CredentialsIssuer.issueNode(credentials.resolve("ca"), credentials.resolve("remote"), "remote", Duration.ofDays(1));
        CredentialsIssuer.issueNode(credentials.resolve("ca"), credentials.resolve("own"), "own", Duration.ofDays(1));
        security = new JsonObject().put("credentials_dir", credentials.resolve("remote").toString());
      }
      Path jar = Path.of(env("AGENTOS_JAR", "target/agentos.jar")).toAbsolutePath();
      Path conf = Files.createTempFile("agentos-bench", ".yaml");
      Files.writeString(conf, new JsonObject()
          .put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
              .put("verification_keys", new JsonArray().add(SECRET)))
          .put("storage", new JsonObject().put("postgres", pg))
          .put("logging", new JsonObject().put("access_log", "off").put("level", "WARN"))
          .put("cluster", new JsonObject().put("enabled", true).put("name", clusterName).put("port", remoteMember)
              .put("event_bus_port", remoteBus).put("members", new JsonArray().add("127.0.0.1:" + ownMember))
              .put("verticles", new JsonArray().add("policy").add("storage")).put("security", security)).encode()); // JSON is YAML
      ProcessBuilder policyJvm = new ProcessBuilder("java", "-jar", jar.toString()).redirectErrorStream(true)
          .redirectOutput(Files.createTempFile("agentos-bench-remote", ".log").toFile());
      policyJvm.environment().put("AGENTOS_CONFIG", conf.toString());
      remote = policyJvm.start();
      // the same authorization and database settings as the policy JVM: a node with other settings is refused at join
      AgentOsConfig own = ConfigLoader.fromJson(new JsonObject()
          .put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
              .put("verification_keys", new JsonArray().add(SECRET)))
          .put("storage", new JsonObject().put("postgres", pg))
          .put("cluster", new JsonObject().put("enabled", true)
          .put("name", clusterName).put("port", ownMember).put("event_bus_port", ownBus)
          .put("members", new JsonArray().add("127.0.0.1:" + remoteMember))
          .put("security", tls ? new JsonObject().put("credentials_dir", credentials.resolve("own").toString())
              : new JsonObject().put("insecure", true)))
          .put("logging", new JsonObject().put("access_log", "off").put("level", "WARN")), Map.of());
      node = ClusterNode.start(own, new VertxOptions(), "bench");
      vertx = node.vertx();
    }
    client = new PolicyClient(vertx, 5_000);
    context = vertx.getOrCreateContext();
    awaitDecisions();
  }

  /** Until the policy verticle (local or remote) has loaded its roles and answers. */
  private void awaitDecisions() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (remote != null && !remote.isAlive()) throw new IllegalStateException("the policy JVM exited " + remote.exitValue());
      try {
        if (authorize().allowed()) return;
        throw new IllegalStateException("expected an allow");
      } catch (Exception e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException("no decision within 120 s", last);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (server != null) server.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (node != null) node.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    else if (vertx != null) vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (remote != null) {
      remote.destroy();
      if (!remote.waitFor(30, TimeUnit.SECONDS)) remote.destroyForcibly();
    }
  }

  /** From a JMH thread: each call crosses to an event loop and back (two thread hand-offs per request). */
  @Benchmark
  public Decision authorize() throws Exception {
    return ask().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /**
   * As a verticle pays it: {@value #CHAINED} requests one after another on an event loop, each sent when the
   * previous reply arrived; JMH reports the time per request (one hand-off to the JMH thread per 64).
   */
  @Benchmark
  @org.openjdk.jmh.annotations.OperationsPerInvocation(CHAINED)
  public Decision authorizeFromEventLoop() throws Exception {
    java.util.concurrent.CompletableFuture<Decision> done = new java.util.concurrent.CompletableFuture<>();
    context.runOnContext(v -> chain(CHAINED, done));
    return done.get(10, TimeUnit.SECONDS);
  }

  private void chain(int left, java.util.concurrent.CompletableFuture<Decision> done) {
    ask().onComplete(ar -> {
      if (ar.failed()) done.completeExceptionally(ar.cause());
      else if (left == 1) done.complete(ar.result());
      else chain(left - 1, done);
    });
  }

  private io.vertx.core.Future<Decision> ask() {
    if ("typed".equals(wire)) return client.authorize(principal, "POST", "/agents/a7/runs");
    dev.agentos.contract.AuthorizeRequest request = new dev.agentos.contract.AuthorizeRequest(principal, "POST", "/agents/a7/runs", false);
    if ("typed-shared".equals(wire)) {
      return dev.agentos.contract.RequestBinding.<dev.agentos.contract.AuthorizeReply>request(vertx.eventBus(), PolicyApi.ADDRESS,
          request, new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5_000).addHeader(PolicyApi.ACTION_HEADER, PolicyApi.AUTHORIZE))
          .map(reply -> reply.body().decision());
    }
    io.vertx.core.eventbus.DeliveryOptions options = new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5_000)
        .addHeader(PolicyApi.ACTION_HEADER, PolicyApi.AUTHORIZE);
    return dev.agentos.contract.RequestBinding.<JsonObject>request(vertx.eventBus(), PolicyApi.ADDRESS,
        request.toJson(), options)
        .map(reply -> Decision.fromJson(reply.body()));
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
