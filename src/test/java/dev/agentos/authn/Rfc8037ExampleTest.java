package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.authn.impl.JwsAlgorithms;
import dev.agentos.authn.impl.KeyParser;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** RFC 8037 Appendix A.2/A.4: the Ed25519 public JWK and the signature of "Example of Ed25519 signing". */
@DisplayName("RFC 8037 Appendix A (Ed25519)")
class Rfc8037ExampleTest {
  private static final String INPUT = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  private static final String SIG = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
  private static final JsonObject JWKS = new JsonObject().put("keys", new JsonArray().add(
      new JsonObject().put("kty", "OKP").put("crv", "Ed25519").put("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")));

  @Test
  @DisplayName("the example signature verifies with the example's public JWK")
  void signatureVerifies() throws Exception {
    VerificationKey key = KeyParser.parseJwks(JWKS.encode(), "rfc8037").get(0);
    assertThat(key.family()).isEqualTo(KeyFamily.ED25519);
    assertThat(JwsAlgorithms.verify("EdDSA", key.key(), INPUT.getBytes(StandardCharsets.US_ASCII),
        Base64.getUrlDecoder().decode(SIG))).isTrue();
  }

  @Test
  @DisplayName("as a bearer token it is refused: its payload is not a JSON claims object")
  void notAJwt() {
    VerificationKey key = KeyParser.parseJwks(JWKS.encode(), "rfc8037").get(0);
    JwtVerifier verifier = new JwtVerifier(ConfigLoader.fromJson(new JsonObject().put("authorization",
        new JsonObject().put("algorithms", new JsonArray().add("EdDSA"))), Map.of()).authorization(), List.of(),
        new KeySet(List.of(), List.of(key)));
    assertThatThrownBy(() -> verifier.verify(INPUT + "." + SIG, 1_700_000_000L))
        .hasMessage("Invalid token: Invalid payload string: must be a json object");
  }
}
