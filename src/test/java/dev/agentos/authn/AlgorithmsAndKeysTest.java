package dev.agentos.authn;

import static dev.agentos.authn.AuthAssertions.accepted;
import static dev.agentos.authn.AuthAssertions.rejected;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Every algorithm, and each key bound to one algorithm family")
class AlgorithmsAndKeysTest {
  static final List<String> ALL = List.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
      "PS512", "ES256", "ES384", "ES512", "EdDSA");
  private static TestDatabase db;
  private static TestServer server;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    db = TestDatabase.create();
    Path rsaFile = dir.resolve("rsa.pem");
    Files.writeString(rsaFile, Tokens.publicPem("RS256"));
    // RS* and PS* share one RSA key (same family); each EC curve and Ed25519 has its own key.
    Tokens.pair("RS256");
    JsonArray keys = new JsonArray().add(Tokens.SECRET).add("file:" + rsaFile)
        .add(Tokens.publicPem("ES256")).add(Tokens.publicPem("ES384")).add(Tokens.publicPem("ES512"))
        .add(Tokens.publicPem("EdDSA"));
    server = TestServer.start(db, new JsonObject().put("authorization",
        new JsonObject().put("algorithms", new JsonArray(ALL)).put("verification_keys", keys)));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    db.close();
  }

  private static String sign(String alg) {
    JsonObject claims = Tokens.claims("alice", "metrics:read");
    String keyAlg = alg.startsWith("RS") || alg.startsWith("PS") ? "RS256" : alg;
    if (alg.startsWith("HS")) return Tokens.signed(alg, claims);
    return TokenSigner.sign(alg, Tokens.pair(keyAlg).getPrivate(), Optional.empty(), claims);
  }

  @ParameterizedTest(name = "a valid {0} token is accepted")
  @ValueSource(strings = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
  void everyAlgorithm(String alg) {
    accepted(server.get("/metrics", sign(alg)));
    accepted(server.get("/metrics", sign(alg))); // second time from the verified-token cache
  }

  @Test
  @DisplayName("the RSA public key used as an HS256 secret does not verify (key confusion)")
  void rsaKeyAsHmacSecret() {
    String forged = TokenSigner.sign("HS256", TokenSigner.hmacKey(Tokens.publicPem("RS256")), Optional.empty(),
        Tokens.claims("mallory", "agent_os:admin"));
    rejected(server.get("/metrics", forged), "Invalid token: Signature verification failed");
  }

  @Test
  @DisplayName("an ES384 signature labelled ES256 does not verify (curve bound to algorithm)")
  void curveMismatch() {
    JsonObject header = new JsonObject().put("alg", "ES256");
    String mislabelled = TokenSigner.signRaw(header, Tokens.claims("alice", "metrics:read"), "ES384", Tokens.pair("ES384").getPrivate());
    rejected(server.get("/metrics", mislabelled), "Invalid token: Signature verification failed");
  }

  @Test
  @DisplayName("a token signed by an unknown key pair is refused")
  void unknownKey() {
    String t = TokenSigner.sign("ES256", TokenSigner.generate("ES256").getPrivate(), Optional.empty(), Tokens.claims("a", "metrics:read"));
    rejected(server.get("/metrics", t), "Invalid token: Signature verification failed");
  }

  @Test
  @DisplayName("a key whose family has no enabled algorithm is a start-up error")
  void unusableKey() {
    JsonObject conf = new JsonObject().put("authorization", new JsonObject().put("algorithms", new JsonArray().add("HS256"))
        .put("verification_keys", new JsonArray().add(Tokens.publicPem("RS256"))));
    assertThatThrownBy(() -> KeySources.loadStatic(ConfigLoader.fromJson(conf, Map.of()).authorization()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("authorization.verification_keys[0]: a RSA key, but none of its algorithms");
  }

  @ParameterizedTest(name = "bad key material \"{0}\" is a start-up error")
  @ValueSource(strings = {"short", "-----BEGIN PUBLIC KEY-----\nnot base64!!\n-----END PUBLIC KEY-----",
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----", "file:/no/such/key.pem"})
  void badKeys(String key) {
    JsonObject conf = new JsonObject().put("authorization", new JsonObject().put("algorithms", new JsonArray(ALL))
        .put("verification_keys", new JsonArray().add(key)));
    assertThatThrownBy(() -> KeySources.loadStatic(ConfigLoader.fromJson(conf, Map.of()).authorization()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("authorization.verification_keys[0]: ")
        .hasMessageNotContaining("nnot base64");
  }

  @Test
  @DisplayName("a PEM squeezed onto one line (from an env var) still parses")
  void oneLinePem() {
    String oneLine = Tokens.publicPem("ES256").replace("\n", " ");
    JsonObject conf = new JsonObject().put("authorization", new JsonObject().put("algorithms", new JsonArray().add("ES256"))
        .put("verification_keys", new JsonArray().add(oneLine)));
    KeySources.loadStatic(ConfigLoader.fromJson(conf, Map.of()).authorization());
  }
}
