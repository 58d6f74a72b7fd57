package dev.agentos.authn;

import static dev.agentos.authn.AuthAssertions.accepted;
import static dev.agentos.authn.AuthAssertions.missing;
import static dev.agentos.authn.AuthAssertions.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("JWT authentication (HS256 service, header token source)")
class JwtAuthenticationTest {
  private static TestDatabase db;
  private static TestServer server;
  private static final String ROUTE = "/metrics";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    db.close();
  }

  private static HttpResponse<Buffer> call(String token) {
    return server.get(ROUTE, token);
  }

  private static JsonObject ok() {
    return Tokens.claims("alice", "metrics:read");
  }

  private static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Nested
  @DisplayName("token presence and header parsing")
  class Presence {
    @Test
    @DisplayName("no Authorization header: 401 'Authorization header missing' with a bare Bearer challenge")
    void noHeader() {
      missing(server.get(ROUTE), "Authorization header missing");
    }

    @Test
    @DisplayName("an empty Authorization header counts as missing")
    void emptyHeader() {
      missing(TestServer.send(server.request(HttpMethod.GET, ROUTE).putHeader("Authorization", "")), "Authorization header missing");
    }

    @Test
    @DisplayName("'bearer' is matched case-insensitively and a bare token is accepted, as agno")
    void bearerSpellings() {
      String token = Tokens.hs256(ok());
      for (String value : new String[] {"Bearer " + token, "bearer " + token, "BEARER " + token, token, "Bearer   " + token + "  "}) {
        accepted(TestServer.send(server.request(HttpMethod.GET, ROUTE).putHeader("Authorization", value)));
      }
    }

    @Test
    @DisplayName("'Bearer' alone or glued to the token fails to decode: 401")
    void bearerWithoutSpace() {
      String token = Tokens.hs256(ok());
      HttpResponse<Buffer> glued = TestServer.send(server.request(HttpMethod.GET, ROUTE).putHeader("Authorization", "Bearer" + token));
      assertThat(glued.statusCode()).isEqualTo(401);
      assertThat(glued.bodyAsJsonObject().getString("detail")).startsWith("Invalid token: Invalid header");
      rejected(TestServer.send(server.request(HttpMethod.GET, ROUTE).putHeader("Authorization", "Bearer")),
          "Invalid token: Not enough segments");
    }

    @Test
    @DisplayName("two Authorization headers: 401, whichever is valid")
    void twoHeaders() {
      String token = Tokens.hs256(ok());
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer " + token).add("Authorization", "Bearer " + token);
      rejected(server.send(HttpMethod.GET, ROUTE, headers), "Invalid token: Multiple authorization headers");
    }

    @Test
    @DisplayName("a 100 KB token is a 431, never a 500")
    void hugeToken() {
      HttpResponse<Buffer> r = TestServer.send(server.request(HttpMethod.GET, ROUTE).putHeader("Authorization", "Bearer " + "a".repeat(100_000)));
      assertThat(r.statusCode()).isEqualTo(431);
    }

    @Test
    @DisplayName("a token just under the header limit but over the token limit is a 401")
    void longToken() {
      rejected(call("a".repeat(10_000)), "Invalid token: Token is too large");
    }
  }

  @Nested
  @DisplayName("excluded routes")
  class Excluded {
    @ParameterizedTest(name = "{0} needs no token")
    @ValueSource(strings = {"/", "/health", "/health/", "/info", "/ready"})
    void excluded(String path) {
      assertThat(server.get(path).statusCode()).isIn(200, 503);
    }

    @ParameterizedTest(name = "{0} is not excluded by a spelling trick")
    @ValueSource(strings = {"/health/../metrics", "//metrics", "/./metrics", "/metrics/", "/health/x/../../metrics"})
    void noBypass(String path) {
      missing(server.get(path), "Authorization header missing");
    }
  }

  @Nested
  @DisplayName("signature and algorithm")
  class Signature {
    @Test
    @DisplayName("a valid HS256 token is accepted")
    void valid() {
      accepted(call(Tokens.hs256(ok())));
    }

    @Test
    @DisplayName("agno's 30-byte test secret is accepted as a key (refused below 16 bytes)")
    void agnoSecret() throws Exception {
      JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject()
          .put("algorithms", new JsonArray().add("HS256")).put("verification_keys", new JsonArray().add("test-secret-key-for-rbac-tests")));
      try (TestServer s = TestServer.start(conf, java.util.Map.of())) {
        String t = dev.agentos.authn.TokenSigner.sign("HS256", TokenSigner.hmacKey("test-secret-key-for-rbac-tests"),
            java.util.Optional.empty(), ok());
        accepted(s.get(ROUTE, t));
      }
    }

    @Test
    @DisplayName("a token signed with another secret: 'Signature verification failed'")
    void wrongSecret() {
      String t = TokenSigner.sign("HS256", TokenSigner.hmacKey("another-secret-0123456789abcdef"), java.util.Optional.empty(), ok());
      rejected(call(t), "Invalid token: Signature verification failed");
    }

    @Test
    @DisplayName("an algorithm that is not enabled is refused")
    void algNotAllowed() {
      rejected(call(Tokens.signed("HS512", ok())), "Invalid token: The specified alg value is not allowed");
      rejected(call(Tokens.signed("RS256", ok())), "Invalid token: The specified alg value is not allowed");
    }

    @ParameterizedTest(name = "alg \"{0}\" is always refused")
    @ValueSource(strings = {"none", "None", "NONE", "nOnE"})
    void algNone(String alg) {
      String unsigned = b64("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}") + "." + b64(ok().encode()) + ".";
      rejected(call(unsigned), "Invalid token: The specified alg value is not allowed");
      rejected(call(unsigned.substring(0, unsigned.length() - 1)), "Invalid token: Not enough segments");
    }

    @Test
    @DisplayName("a token whose signature was stripped is refused")
    void strippedSignature() {
      String t = Tokens.hs256(ok());
      rejected(call(t.substring(0, t.lastIndexOf('.') + 1)), "Invalid token: Signature verification failed");
    }

    @Test
    @DisplayName("a payload swapped under a valid signature is refused")
    void payloadSwap() {
      String[] good = Tokens.hs256(ok()).split("\\.");
      String forged = good[0] + "." + b64(Tokens.claims("alice", "agent_os:admin").encode()) + "." + good[2];
      rejected(call(forged), "Invalid token: Signature verification failed");
    }

    @Test
    @DisplayName("an unknown critical header is refused")
    void crit() {
      JsonObject header = new JsonObject().put("alg", "HS256").put("crit", new JsonArray().add("exp-v2")).put("exp-v2", 1);
      rejected(call(TokenSigner.signRaw(header, ok(), "HS256", TokenSigner.hmacKey(Tokens.SECRET))), "Invalid token: Unsupported critical extension");
    }

    @ParameterizedTest(name = "malformed token {0}: 401, never 500")
    @ValueSource(strings = {"abc", "a.b", "a.b.c.d", "....", "e30.e30.", "=.=.=", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA",
        "W10.e30.AAAA", "eyJhbGciOjF9.e30.AAAA", "%%%.%%%.%%%"})
    void malformed(String token) {
      HttpResponse<Buffer> r = call(token);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.bodyAsJsonObject().getString("detail")).startsWith("Invalid token: ");
    }
  }

  @Nested
  @DisplayName("time claims")
  class Time {
    static Stream<Arguments> cases() {
      long now = Tokens.now();
      return Stream.of(
          Arguments.of("expired an hour ago", new JsonObject().put("exp", now - 3600), "Token has expired"),
          Arguments.of("expired 30 s ago (beyond the 10 s leeway)", new JsonObject().put("exp", now - 30), "Token has expired"),
          Arguments.of("nbf in 60 s", new JsonObject().put("nbf", now + 60), "Invalid token: The token is not yet valid (nbf)"),
          Arguments.of("iat in 60 s", new JsonObject().put("iat", now + 60), "Invalid token: The token is not yet valid (iat)"),
          Arguments.of("no exp at all", new JsonObject().putNull("exp"), "Invalid token: Token is missing the \"exp\" claim"),
          Arguments.of("exp as a string", new JsonObject().put("exp", String.valueOf(now + 3600)), "Invalid token: Expiration Time claim (exp) must be an integer."),
          Arguments.of("exp as an object", new JsonObject().put("exp", new JsonObject()), "Invalid token: Expiration Time claim (exp) must be an integer."),
          Arguments.of("exp as a huge number", new JsonObject().put("exp", new java.math.BigInteger("99999999999999999999999")), "Invalid token: Expiration Time claim (exp) must be an integer."),
          Arguments.of("nbf as a boolean", new JsonObject().put("nbf", true), "Invalid token: Not Before claim (nbf) must be an integer."),
          Arguments.of("iat as a list", new JsonObject().put("iat", new JsonArray().add(1)), "Invalid token: Issued At claim (iat) must be an integer."));
    }

    @ParameterizedTest(name = "{0}: 401 \"{2}\"")
    @MethodSource("cases")
    void rejectedTimes(String what, JsonObject patch, String detail) {
      JsonObject claims = ok().mergeIn(patch);
      if (patch.containsKey("exp") && patch.getValue("exp") == null) claims.remove("exp");
      rejected(call(Tokens.hs256(claims)), detail);
    }

    @Test
    @DisplayName("within the 10 s leeway: exp 5 s ago, nbf and iat 5 s ahead are accepted")
    void leeway() {
      long now = Tokens.now();
      accepted(call(Tokens.hs256(ok().put("exp", now - 5))));
      accepted(call(Tokens.hs256(ok().put("nbf", now + 5).put("iat", now + 5))));
    }

    @Test
    @DisplayName("a fractional exp, nbf or iat is a 401: NumericDates are whole seconds")
    void fractionalDates() {
      rejected(call(Tokens.hs256(ok().put("exp", Tokens.now() + 600.5))), "Invalid token: The exp claim is not a whole number of seconds");
      rejected(call(Tokens.hs256(ok().put("nbf", Tokens.now() - 0.25))), "Invalid token: The nbf claim is not a whole number of seconds");
      rejected(call(Tokens.hs256(ok().put("iat", Tokens.now() - 60.001))), "Invalid token: The iat claim is not a whole number of seconds");
    }

    @Test
    @DisplayName("an exp written as a float but integral is a whole second and accepted")
    void integralFloatExp() {
      accepted(call(Tokens.hs256(ok().put("exp", (double) (Tokens.now() + 600)))));
    }
  }

  @Nested
  @DisplayName("subjects and claim types")
  class Subjects {
    @ParameterizedTest(name = "reserved subject {0}: 401 'Invalid token subject'")
    @ValueSource(strings = {"sa:robot", "__oauth__:x", "__scheduler__"})
    void reserved(String sub) {
      rejected(call(Tokens.hs256(ok().put("sub", sub))), "Invalid token subject");
    }

    @ParameterizedTest(name = "ordinary subject {0} is fine")
    @ValueSource(strings = {"scheduler", "alice", "user@example.com"})
    void ordinary(String sub) {
      accepted(call(Tokens.hs256(ok().put("sub", sub))));
    }

    @Test
    @DisplayName("sub as an object or a number: 401, never 500")
    void subType() {
      rejected(call(Tokens.hs256(ok().put("sub", new JsonObject().put("id", 1)))), "Invalid token: Subject must be a string");
      rejected(call(Tokens.hs256(ok().put("sub", 42))), "Invalid token: Subject must be a string");
    }

    @Test
    @DisplayName("a scopes claim of the wrong type grants nothing (403, not 500)")
    void scopesType() {
      HttpResponse<Buffer> r = call(Tokens.hs256(Tokens.claims("alice").put("scopes", new JsonObject().put("metrics:read", true))));
      assertThat(r.statusCode()).isEqualTo(403);
    }

    @Test
    @DisplayName("a space-separated scopes string is split (OAuth2 style)")
    void spaceSeparated() {
      accepted(call(Tokens.hs256(Tokens.claims("alice").put("scopes", "agents:read metrics:read"))));
    }

    @Test
    @DisplayName("without a scopes claim, the standard 'scope' claim is read")
    void scopeFallback() {
      JsonObject c = Tokens.claims("alice");
      c.remove("scopes");
      accepted(call(Tokens.hs256(c.put("scope", "metrics:read"))));
    }
  }
}
