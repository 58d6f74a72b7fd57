package dev.agentos.testing;

import dev.agentos.authn.TokenSigner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Real signed tokens for tests. Key pairs are generated once per JVM run, never committed. */
public final class Tokens {
  public static final String SECRET = "test-secret-key-for-rbac-tests-0123456789";
  private static final Map<String, KeyPair> PAIRS = new ConcurrentHashMap<>();

  private Tokens() {}

  public static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** {@code {"sub": sub, "scopes": [...], "iat": now, "exp": now + 1h}}. */
  public static JsonObject claims(String sub, String... scopes) {
    JsonObject c = new JsonObject().put("iat", now()).put("exp", now() + 3600).put("scopes", new JsonArray(java.util.List.of(scopes)));
    if (sub != null) c.put("sub", sub);
    return c;
  }

  public static String hs256(JsonObject claims) {
    return TokenSigner.sign("HS256", TokenSigner.hmacKey(SECRET), Optional.empty(), claims);
  }

  public static String hs256(String sub, String... scopes) {
    return hs256(claims(sub, scopes));
  }

  public static String admin() {
    return hs256("admin-user", "agent_os:admin");
  }

  /** The key pair used for an asymmetric algorithm family (one per alg name). */
  public static KeyPair pair(String alg) {
    return PAIRS.computeIfAbsent(alg, TokenSigner::generate);
  }

  public static String publicPem(String alg) {
    return TokenSigner.pem("PUBLIC KEY", pair(alg).getPublic().getEncoded());
  }

  public static String signed(String alg, JsonObject claims) {
    return signed(alg, claims, null);
  }

  public static String signed(String alg, JsonObject claims, String kid) {
    if (alg.startsWith("HS")) return TokenSigner.sign(alg, TokenSigner.hmacKey(SECRET), Optional.ofNullable(kid), claims);
    return TokenSigner.sign(alg, pair(alg).getPrivate(), Optional.ofNullable(kid), claims);
  }

  /** HS256 over exactly these header and claims bytes (for tests of how the bytes are read). */
  public static String rawHs256(byte[] header, byte[] payload) {
    try {
      java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
      String input = b64.encodeToString(header) + "." + b64.encodeToString(payload);
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
      return input + "." + b64.encodeToString(mac.doFinal(input.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
