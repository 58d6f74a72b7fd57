package dev.agentos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The token and keygen tools (java -jar agentos.jar token|keygen)")
class TokenToolIT {
  private static final Path JAR = Path.of(System.getProperty("agentos.jar", "target/agentos.jar"));

  private static String run(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", JAR.toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out.strip();
  }

  /** Runs the jar and returns exit code and combined output. */
  private static java.util.Map.Entry<Integer, String> exec(Path dir, String... args) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("java", "-jar", JAR.toAbsolutePath().toString()));
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return java.util.Map.entry(p.exitValue(), out);
  }

  @org.junit.jupiter.api.Test
  @org.junit.jupiter.api.DisplayName("--version prints the version; help and help <command> print usage with defaults; a too-short HMAC key is refused")
  void commandLineBasics(@TempDir Path dir) throws Exception {
    var version = exec(dir, "--version");
    assertThat(version.getKey()).isZero();
    assertThat(version.getValue()).startsWith("agentos ").contains("Java ");
    var help = exec(dir, "help");
    assertThat(help.getKey()).isZero();
    assertThat(help.getValue()).contains("Usage: agentos").contains("token").contains("cluster-credentials");
    var tokenHelp = exec(dir, "help", "token");
    assertThat(tokenHelp.getValue()).contains("Default: HS256").contains("Default: 1h").contains("none unless given");
    var shortKey = exec(dir, "token", "--key", "short");
    assertThat(shortKey.getKey()).isEqualTo(2);
    assertThat(shortKey.getValue()).contains("too short").contains("at least 16");
  }

  @ParameterizedTest(name = "keygen --alg {0}, then a minted token is accepted by a service reading the JWKS")
  @ValueSource(strings = {"RS256", "ES256", "EdDSA"})
  void keygenThenToken(String alg, @TempDir Path dir) throws Exception {
    run(dir, "keygen", "--alg", alg, "--out", dir.toString(), "--kid", "k1");
    assertThat(dir.resolve("private.pem")).exists();
    assertThat(Files.readString(dir.resolve("public.pem"))).startsWith("-----BEGIN PUBLIC KEY-----");
    String token = run(dir, "token", "--alg", alg, "--key", dir.resolve("private.pem").toString(), "--kid", "k1",
        "--sub", "alice", "--scopes", "metrics:read agents:read", "--ttl", "10m", "--claim", "team=\"blue\"");
    JsonObject payload = new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
    assertThat(payload.getString("sub")).isEqualTo("alice");
    assertThat(payload.getJsonArray("scopes")).containsExactly("metrics:read", "agents:read");
    assertThat(payload.getString("team")).isEqualTo("blue");
    assertThat(payload.getLong("exp") - payload.getLong("iat")).isEqualTo(600);

    try (TestDatabase db = TestDatabase.create()) {
      JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject()
          .put("algorithms", new JsonArray().add(alg)).put("jwks_file", dir.resolve("jwks.json").toString()));
      try (TestServer s = TestServer.start(conf, Map.of())) {
        assertThat(s.get("/metrics", token).statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  @DisplayName("token --alg HS256 with a shared secret is accepted by a service holding that secret")
  void hmacToken(@TempDir Path dir) throws Exception {
    String secret = "a-shared-secret-of-32-bytes-at-least!";
    String token = run(dir, "token", "--alg", "HS256", "--key", secret, "--sub", "bob", "--scopes", "metrics:read",
        "--aud", "test-os", "--iss", "me");
    try (TestDatabase db = TestDatabase.create()) {
      JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject()
          .put("algorithms", new JsonArray().add("HS256")).put("verification_keys", new JsonArray().add(secret))
          .put("verify_audience", true).put("issuer", "me"));
      try (TestServer s = TestServer.start(conf, Map.of())) {
        assertThat(s.get("/metrics", token).statusCode()).isEqualTo(200);
      }
    }
  }
}
