package dev.agentos.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service node in its own JVM (the runnable jar), for the cluster tests. Ports are fixed per node so it can
 * be restarted as itself; the config file and extra environment are the caller's.
 */
public final class NodeProcess {
  public static final Path JAR = Path.of(System.getProperty("agentos.jar", "target/agentos.jar")).toAbsolutePath();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public final String name;
  public final int httpPort = TestServer.freePort();
  public final int clusterPort = TestServer.freePort();
  public final int eventBusPort = TestServer.freePort();
  private final Path workDir;
  public Process process;
  private Path logFile;
  private int generation;

  public NodeProcess(String name, Path workDir) {
    this.name = name;
    this.workDir = workDir;
  }

  /** Starts the jar with {@code config}, placement {@code verticles} and members {@code others} (their cluster ports). */
  public NodeProcess start(Path config, String verticles, Map<String, String> env, NodeProcess... others) throws IOException {
    List<String> members = new ArrayList<>();
    for (NodeProcess other : others) members.add("127.0.0.1:" + other.clusterPort);
    logFile = workDir.resolve(name + "-" + (generation++) + ".log");
    ProcessBuilder pb = new ProcessBuilder("java", "-Xmx256m", "-jar", JAR.toString()).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(logFile.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("AGENTOS_") || k.startsWith("PG") || k.startsWith("JWT_"));
    Map<String, String> all = new HashMap<>(Map.of(
        "AGENTOS_CONFIG", config.toString(),
        "AGENTOS_HTTP_PORT", String.valueOf(httpPort),
        "AGENTOS_HTTP_INSTANCES", "1",
        "AGENTOS_CLUSTER_PORT", String.valueOf(clusterPort),
        "AGENTOS_CLUSTER_EVENT_BUS_PORT", String.valueOf(eventBusPort),
        "AGENTOS_CLUSTER_MEMBERS", String.join(",", members),
        "AGENTOS_CLUSTER_VERTICLES", verticles));
    all.putAll(env);
    pb.environment().putAll(all);
    process = pb.start();
    return this;
  }

  public void awaitReady() throws Exception {
    awaitReady(Duration.ofSeconds(90));
  }

  public void awaitReady(Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new AssertionError(name + " exited " + process.exitValue() + ":\n" + log());
      try {
        if (get("/ready", null).statusCode() == 200) return;
      } catch (IOException notListeningYet) {
        // keep polling
      }
      Thread.sleep(100);
    }
    throw new AssertionError(name + " not ready after " + bound.toSeconds() + " s:\n" + log());
  }

  /** Waits until the log contains {@code text} (or fails after {@code bound}). */
  public void awaitLog(String text, Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < deadline) {
      if (log().contains(text)) return;
      Thread.sleep(100);
    }
    throw new AssertionError(name + " never logged '" + text + "' within " + bound.toSeconds() + " s:\n" + log());
  }

  public HttpResponse<String> get(String path, String token) throws Exception {
    return send("GET", path, token, null);
  }

  public HttpResponse<String> send(String method, String path, String token, JsonObject body) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) req.header("Content-Type", "application/json");
    if (token != null) req.header("Authorization", "Bearer " + token);
    return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A form POST (what the run routes take). */
  public HttpResponse<String> postForm(String path, String token, Map<String, String> fields) throws Exception {
    StringBuilder form = new StringBuilder();
    fields.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(java.net.URLEncoder.encode(k, java.nio.charset.StandardCharsets.UTF_8))
        .append('=').append(java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8)));
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form.toString()));
    if (token != null) req.header("Authorization", "Bearer " + token);
    return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  public String log() throws IOException {
    return logFile == null || !Files.exists(logFile) ? "" : Files.readString(logFile);
  }

  public void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
