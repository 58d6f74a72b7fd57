package dev.agentos.testing;

import dev.agentos.AgentOsServer;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole service, started in-process the way {@code java -jar} starts it (same config loader, same
 * launcher), on a free port, with a real HTTP client. Tests talk to it only over HTTP and the event bus.
 */
public final class TestServer implements AutoCloseable {
  public static final String SECRET = Tokens.SECRET;

  private final Vertx vertx;
  private final AgentOsServer server;
  private final WebClient client;
  private final int port;

  private TestServer(Vertx vertx, AgentOsServer server, int port) {
    this.vertx = vertx;
    this.server = server;
    this.port = port;
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(false));
  }

  /** A base config (HS256 with {@link #SECRET}, os id test-os) deep-merged with {@code overrides}. */
  public static JsonObject baseConfig(TestDatabase db) {
    return new JsonObject()
        .put("os", new JsonObject().put("id", "test-os"))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", freePort()).put("instances", 2)
            .put("shutdown_timeout_seconds", 5))
        .put("authorization", new JsonObject().put("algorithms", new io.vertx.core.json.JsonArray().add("HS256"))
            .put("verification_keys", new io.vertx.core.json.JsonArray().add(SECRET)))
        .put("storage", new JsonObject().put("postgres", db.postgresConfig()))
        .put("logging", new JsonObject().put("access_log", "off"));
  }

  public static TestServer start(TestDatabase db, JsonObject overrides) throws Exception {
    return start(baseConfig(db).mergeIn(overrides, true), Map.of());
  }

  /** Starts and waits until /ready answers 200 (database migrated, policy up). */
  public static TestServer start(JsonObject fileConfig, Map<String, String> env) throws Exception {
    TestServer server = startWithoutWaiting(fileConfig, env);
    try {
      server.awaitReady(java.time.Duration.ofSeconds(30));
    } catch (AssertionError | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Starts without waiting for readiness (for tests of an unreachable database). */
  public static TestServer startWithoutWaiting(JsonObject fileConfig, Map<String, String> env) throws Exception {
    AgentOsConfig config = ConfigLoader.fromJson(fileConfig, env);
    // each in-process server has its own metrics registry, so closing one never breaks another's /metrics
    String registry = "agentos-test-" + java.util.UUID.randomUUID();
    Vertx vertx = Vertx.vertx(AgentOsServer.vertxOptions(registry));
    try {
      AgentOsServer server = AgentOsServer.start(vertx, config, registry).toCompletionStage().toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
      return new TestServer(vertx, server, config.http().port());
    } catch (Exception e) {
      vertx.close();
      throw e;
    }
  }

  /** Starts from a YAML file exactly as {@code java -jar} does (vertx-config YAML store + environment). */
  public static TestServer startFromFile(String yamlPath, Map<String, String> env) throws Exception {
    Vertx loader = Vertx.vertx();
    JsonObject file;
    try {
      file = ConfigLoader.readYaml(loader, yamlPath).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      loader.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    return start(file, env);
  }

  /** Ports this JVM has handed out: the kernel may give a just-closed port again, and two of a node's ports must differ. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A port free now and never handed out before by this JVM (so three calls give three different ports). */
  public static int freePort() {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      try (ServerSocket s = new ServerSocket(0)) {
        s.setReuseAddress(true);
        if (HANDED_OUT.add(s.getLocalPort())) return s.getLocalPort();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("no new free port after 1,000 tries");
  }

  public void awaitReady(java.time.Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = get("/ready").statusCode();
      if (last == 200) return;
      Thread.sleep(50);
    }
    throw new AssertionError("not ready within " + bound + " (last status " + last + ")");
  }

  /** Waits until the policy verticle decides (its role directory is loaded), without waiting for /ready. */
  public void awaitPolicy(java.time.Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    dev.agentos.policy.PolicyClient policy = new dev.agentos.policy.PolicyClient(vertx, 1_000);
    while (System.nanoTime() < deadline) {
      boolean ok = policy.ping().toCompletionStage().toCompletableFuture().handle((v, e) -> e == null).get(5, TimeUnit.SECONDS);
      if (ok) return;
      Thread.sleep(50);
    }
    throw new AssertionError("policy not deciding within " + bound);
  }

  public Vertx vertx() {
    return vertx;
  }

  public AgentOsServer server() {
    return server;
  }

  public int port() {
    return port;
  }

  public HttpRequest<Buffer> request(HttpMethod method, String uri) {
    return client.request(method, uri);
  }

  public HttpResponse<Buffer> get(String uri) {
    return send(client.request(HttpMethod.GET, uri));
  }

  public HttpResponse<Buffer> get(String uri, String token) {
    return send(client.request(HttpMethod.GET, uri).putHeader("Authorization", "Bearer " + token));
  }

  public HttpResponse<Buffer> send(HttpMethod method, String uri, MultiMap headers) {
    HttpRequest<Buffer> req = client.request(method, uri);
    req.putHeaders(headers);
    return send(req);
  }

  /** A request with a bearer token and an optional JSON (or raw text) body. */
  public static HttpResponse<Buffer> call(TestServer s, HttpMethod method, String uri, String token, Object body) {
    HttpRequest<Buffer> req = s.request(method, uri).putHeader("Authorization", "Bearer " + token);
    if (body == null) return send(req);
    req.putHeader("Content-Type", "application/json");
    return send(req, Buffer.buffer(body instanceof JsonObject o ? o.encode() : body.toString()));
  }

  public static HttpResponse<Buffer> send(HttpRequest<Buffer> request, Buffer body) {
    try {
      return request.sendBuffer(body).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e, e);
    }
  }

  public static HttpResponse<Buffer> send(HttpRequest<Buffer> request) {
    try {
      return request.send().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e, e);
    }
  }

  /** Stops the node gracefully (as SIGTERM does) and closes Vert.x. */
  @Override
  public void close() throws Exception {
    try {
      server.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      client.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
