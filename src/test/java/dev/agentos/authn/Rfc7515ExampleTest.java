package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** RFC 7515 Appendix A.1: the published HS256 example verifies (and then fails only on its 2011 exp). */
@DisplayName("RFC 7515 Appendix A.1 (HS256)")
class Rfc7515ExampleTest {
  private static final String TOKEN = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  private static final String K = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

  private static JwtVerifier verifier() {
    AgentOsConfig config = ConfigLoader.fromJson(new JsonObject().put("authorization",
        new JsonObject().put("algorithms", new JsonArray().add("HS256"))), Map.of());
    VerificationKey key = new VerificationKey(KeyFamily.HMAC, new SecretKeySpec(Base64.getUrlDecoder().decode(K), "HmacSHA256"),
        Optional.empty(), Optional.empty(), "rfc7515");
    return new JwtVerifier(config.authorization(), List.of(), new KeySet(List.of(key), List.of()));
  }

  @Test
  @DisplayName("the example's signature verifies with the example key; only its expiry is refused")
  void signatureVerifies() {
    assertThatThrownBy(() -> verifier().verify(TOKEN, 1_700_000_000L)).hasMessage("Token has expired");
  }

  @Test
  @DisplayName("at a time before its exp the example token is accepted")
  void acceptedInItsTime() {
    verifier().verify(TOKEN, 1_300_819_000L);
  }

  @Test
  @DisplayName("a changed signature is refused")
  void changed() {
    String bad = TOKEN.substring(0, TOKEN.length() - 2) + "Ak";
    assertThatThrownBy(() -> verifier().verify(bad, 1_300_819_000L)).hasMessage("Invalid token: Signature verification failed");
  }

  @Test
  @DisplayName("a non-canonical spelling of the same signature bytes (trailing bits set) is refused")
  void nonCanonicalBase64() {
    String respelled = TOKEN.substring(0, TOKEN.length() - 1) + "l";
    assertThatThrownBy(() -> verifier().verify(respelled, 1_300_819_000L)).hasMessage("Invalid token: Invalid crypto padding");
  }
}
