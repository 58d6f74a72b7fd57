package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Token JSON is read strictly (RFC 7493 I-JSON, RFC 8725 §3.9): every header and claims set below is signed
 * with the right key, so only its JSON decides, and each one is refused with 401 (never a 5xx, never read
 * the way a lenient parser would read it). The controls at the top show the same signing passes when the
 * JSON is well-formed.
 */
@DisplayName("Strict JSON and typed parameters in tokens")
class StrictTokenJsonTest {
  private static final String GOOD_HEADER = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  private static TestDatabase db;
  private static TestServer s;
  private static TestServer limited;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    JsonObject hs256 = new JsonObject().put("algorithms", new JsonArray().add("HS256"))
        .put("verification_keys", new JsonArray().add(Tokens.SECRET));
    s = TestServer.start(db, new JsonObject().put("authorization", hs256.copy()));
    limited = TestServer.start(db, new JsonObject().put("authorization", hs256.copy().put("max_token_lifetime_seconds", 3600)
        .put("require_exp", false)));
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    limited.close();
    db.close();
  }

  private static long exp() {
    return Tokens.now() + 600;
  }

  private static String claims(String middle) {
    return "{\"sub\":\"alice\",\"exp\":" + exp() + middle + "}";
  }

  private static final String SCOPES = ",\"scopes\":[\"agents:read\"]";

  static String token(byte[] header, byte[] payload) {
    return Tokens.rawHs256(header, payload);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) out[i] = (byte) values[i];
    return out;
  }

  @Test
  @DisplayName("controls: the same signing with well-formed JSON passes, dates written as integral floats included")
  void controls() {
    assertThat(s.get("/agents", token(utf8(GOOD_HEADER), utf8(claims(SCOPES)))).statusCode()).isEqualTo(200);
    assertThat(s.get("/agents", token(utf8("{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"at+jwt\",\"cty\":\"JWT\"}"),
        utf8(claims(SCOPES)))).statusCode()).isEqualTo(200);
    String farButIntegral = "{\"sub\":\"alice\",\"exp\":1.0E10" + SCOPES + "}"; // year 2286: a date, written as a float
    assertThat(s.get("/agents", token(utf8(GOOD_HEADER), utf8(farButIntegral))).statusCode()).isEqualTo(200);
    String unicode = "{\"sub\":\"\\ud83d\\ude00 al\u00efce\",\"exp\":" + exp() + SCOPES + "}"; // a paired surrogate escape
    assertThat(s.get("/agents", token(utf8(GOOD_HEADER), utf8(unicode))).statusCode()).isEqualTo(200);
  }

  static Stream<Arguments> refusedPayloads() {
    long exp = exp();
    String base = "{\"sub\":\"alice\",\"exp\":" + exp;
    return Stream.of(
        Arguments.of("a duplicate claim (first harmless, last granting)", utf8(base + ",\"scopes\":[],\"scopes\":[\"agents:read\"]}")),
        Arguments.of("a duplicate claim (last harmless)", utf8(base + SCOPES + ",\"scopes\":[]}")),
        Arguments.of("a duplicate nested member", utf8(base + SCOPES + ",\"realm_access\":{\"roles\":[],\"roles\":[\"admin\"]}}")),
        Arguments.of("a block comment", utf8(base + "/* hidden */" + SCOPES + "}")),
        Arguments.of("a line comment", utf8(base + SCOPES + "// hidden\n}")),
        Arguments.of("a byte-order mark", concat(bytes(0xEF, 0xBB, 0xBF), utf8(base + SCOPES + "}"))),
        Arguments.of("UTF-16LE", (base + SCOPES + "}").getBytes(StandardCharsets.UTF_16LE)),
        Arguments.of("UTF-16BE with its BOM", (base + SCOPES + "}").getBytes(StandardCharsets.UTF_16)),
        Arguments.of("UTF-32", (base + SCOPES + "}").getBytes(Charset.forName("UTF-32"))),
        Arguments.of("an invalid UTF-8 sequence in a string", concat(utf8(base + SCOPES + ",\"name\":\""), bytes(0xC3, 0x28), utf8("\"}"))),
        Arguments.of("an overlong UTF-8 encoding of '/'", concat(utf8(base + SCOPES + ",\"name\":\""), bytes(0xC0, 0xAF), utf8("\"}"))),
        Arguments.of("a surrogate encoded in UTF-8 (CESU-8)", concat(utf8(base + SCOPES + ",\"name\":\""), bytes(0xED, 0xA0, 0x80), utf8("\"}"))),
        Arguments.of("an escaped lone high surrogate", utf8(base + SCOPES + ",\"name\":\"a\\ud800b\"}")),
        Arguments.of("an escaped lone low surrogate in a member name", utf8(base + SCOPES + ",\"\\udc00\":1}")),
        Arguments.of("content after the object", utf8(base + SCOPES + "} x")),
        Arguments.of("a second object", utf8(base + SCOPES + "}{}")),
        Arguments.of("single quotes", utf8(base + ",'scopes':['agents:read']}")),
        Arguments.of("an unquoted member name", utf8(base + ",scopes:[\"agents:read\"]}")),
        Arguments.of("a trailing comma", utf8(base + SCOPES + ",}")),
        Arguments.of("NaN", utf8(base + SCOPES + ",\"n\":NaN}")),
        Arguments.of("a leading zero", utf8("{\"sub\":\"alice\",\"exp\":0" + exp + SCOPES + "}")),
        Arguments.of("nesting 200 levels deep", utf8(base + SCOPES + ",\"d\":" + "[".repeat(200) + "]".repeat(200) + "}")),
        Arguments.of("exp = 2^63-1", utf8("{\"sub\":\"alice\",\"exp\":9223372036854775807" + SCOPES + "}")),
        Arguments.of("exp beyond the year 9999", utf8("{\"sub\":\"alice\",\"exp\":253402300800" + SCOPES + "}")),
        Arguments.of("exp 1e300", utf8("{\"sub\":\"alice\",\"exp\":1e300" + SCOPES + "}")),
        Arguments.of("exp beyond a long", utf8("{\"sub\":\"alice\",\"exp\":123456789012345678901234567890" + SCOPES + "}")),
        Arguments.of("a fractional exp", utf8(base + ".5" + SCOPES + "}")),
        Arguments.of("a fractional nbf", utf8(base + ",\"nbf\":1.25" + SCOPES + "}")),
        Arguments.of("exp -0.5", utf8("{\"sub\":\"alice\",\"exp\":-0.5" + SCOPES + "}")),
        Arguments.of("exp as a string", utf8("{\"sub\":\"alice\",\"exp\":\"" + exp + "\"" + SCOPES + "}")),
        Arguments.of("a JSON array, not an object", utf8("[" + exp + "]")));
  }

  @ParameterizedTest(name = "claims with {0}")
  @MethodSource("refusedPayloads")
  @DisplayName("a signed claims set that is not strict I-JSON, or whose dates are not dates, is a 401")
  void refusedPayload(String what, byte[] payload) {
    var r = s.get("/agents", token(utf8(GOOD_HEADER), payload));
    assertThat(r.statusCode()).as(what + ": " + r.bodyAsString()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("detail")).isNotBlank();
  }

  static Stream<Arguments> refusedHeaders() {
    return Stream.of(
        Arguments.of("a duplicate alg", "{\"alg\":\"HS256\",\"alg\":\"HS256\"}"),
        Arguments.of("a comment", "{\"alg\":\"HS256\"/**/}"),
        Arguments.of("kid null", "{\"alg\":\"HS256\",\"kid\":null}"),
        Arguments.of("kid a number", "{\"alg\":\"HS256\",\"kid\":7}"),
        Arguments.of("typ a number", "{\"alg\":\"HS256\",\"typ\":1}"),
        Arguments.of("typ null", "{\"alg\":\"HS256\",\"typ\":null}"),
        Arguments.of("cty an object", "{\"alg\":\"HS256\",\"cty\":{}}"),
        Arguments.of("jku a number", "{\"alg\":\"HS256\",\"jku\":1}"),
        Arguments.of("x5u a list", "{\"alg\":\"HS256\",\"x5u\":[\"https://x\"]}"),
        Arguments.of("alg null", "{\"alg\":null}"));
  }

  @ParameterizedTest(name = "header with {0}")
  @MethodSource("refusedHeaders")
  @DisplayName("a signed header that is not strict JSON, or whose kid/typ/cty/jku/x5u is not a string, is a 401")
  void refusedHeader(String what, String header) {
    var r = s.get("/agents", token(utf8(header), utf8(claims(SCOPES))));
    assertThat(r.statusCode()).as(what + ": " + r.bodyAsString()).isEqualTo(401);
  }

  @Test
  @DisplayName("max_token_lifetime_seconds refuses tokens that live longer, and tokens without exp; shorter ones pass")
  void maxLifetime() {
    long now = Tokens.now();
    String shortLived = token(utf8(GOOD_HEADER), utf8("{\"sub\":\"alice\",\"exp\":" + (now + 600) + SCOPES + "}"));
    String longLived = token(utf8(GOOD_HEADER), utf8("{\"sub\":\"alice\",\"exp\":" + (now + 7200) + SCOPES + "}"));
    String forever = token(utf8(GOOD_HEADER), utf8("{\"sub\":\"alice\"" + SCOPES + "}"));
    assertThat(limited.get("/agents", shortLived).statusCode()).isEqualTo(200);
    var r = limited.get("/agents", longLived);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("detail")).contains("lifetime");
    assertThat(limited.get("/agents", forever).statusCode()).isEqualTo(401);
    assertThat(s.get("/agents", longLived).statusCode()).as("off by default").isEqualTo(200);
  }
}
